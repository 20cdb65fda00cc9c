/**
 * @module bench:redis — throughput of 1, 2 and 3 tagrelay instances on one Redis (store.kind redis), and
 * what each accepted event costs Redis: commands, network bytes, and memory per queued event and per
 * dedupe id. Every instance delivers to GA4 and Meta at a sink answering in 30 ms, as vendors do.
 *
 * Usage: npm run bench:redis -- [--duration 8] [--warmup 2] [--connections 48] [--instances 1,2,3] [--appendfsync everysec|always]
 *
 * This machine has 2 cores: the instances, redis-server and the load generator share them, so more
 * instances cannot add CPU here; the table says so next to the numbers.
 */
import { parseArgs } from 'node:util';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { printHeader, printTable, fmt } from './lib/report.js';
import { tempDir, type Child } from './lib/proc.js';
import { startSink } from './lib/sink.js';
import { benchConfig } from './lib/config.js';
import { startTagrelay, tagrelayCommand } from './lib/build.js';
import { chooseLoader, closedLoop } from './lib/closed-loop.js';
import { startRedis } from '../test/redis/redis-server.js';
import { generateSigningKey } from '../src/consent/receipts.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '48' },
    instances: { type: 'string', default: '1,2,3' },
    appendfsync: { type: 'string', default: 'everysec' },
  },
});
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const COUNTS = opts.instances.split(',').map(Number);
const FSYNC = opts.appendfsync === 'always' ? 'always' : 'everysec';

/** `INFO <section>` as key → value. */
function info(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) out.set(line.slice(0, at), line.slice(at + 1));
  }
  return out;
}

/** Total command calls (commands run inside scripts included) and the top commands. */
function commandCalls(text: string): { total: number; top: [string, number][] } {
  const calls: [string, number][] = [];
  for (const [k, v] of info(text)) {
    const m = /calls=(\d+)/.exec(v);
    if (k.startsWith('cmdstat_') && m) calls.push([k.slice(8), Number(m[1])]);
  }
  calls.sort((a, b) => b[1] - a[1]);
  return { total: calls.reduce((n, [, c]) => n + c, 0), top: calls.slice(0, 6) };
}

const loader = chooseLoader('wrk');
printHeader('bench:redis — tagrelay instances on one Redis', 'bench:redis', [
  `${availableParallelism()} cores shared by ${COUNTS.map((n) => `${n} instance(s)`).join(' / ')}, redis-server (appendfsync ${FSYNC}) and the load generator (${loader.note})`,
  `closed loop: ${CONNECTIONS} connections split over the instances, ${WARMUP} s warm-up, ${DURATION} s measured; one add_to_cart (~650 B, email hashed) per request, a new visitor each`,
  'delivery to GA4 + Meta at a sink answering in 30 ms runs during the load; Redis figures are per accepted event, delivery included (after the queue drained)',
]);

const redis = await startRedis({ appendfsync: FSYNC });
const client = redis.client();
const sink = await startSink({ delayMs: 30 });
const dir = tempDir('tagrelay-bench-redis-');
const base = benchConfig(sink.url);
const config = {
  ...base,
  store: { kind: 'redis', url: redis.url },
  consent: { ...base.consent, receipts: { signing_key: JSON.stringify((await generateSigningKey()).privateJwk) } },
  privacy: { pseudonymization: { salt: 'bench-redis-salt-0123456789abcdef' } },
  // The embedded warehouse is per instance: a cluster sends to vendors (and a shared warehouse).
  destinations: (base.destinations ?? []).filter((d) => d.type !== 'sqlite'),
};
const file = join(dir, 'tagrelay.yaml');
writeFileSync(file, `# written by bench/redis.ts\n${stringify(config)}`);

const rows: (string | number)[][] = [];
const costs: (string | number)[][] = [];
let single = 0;
try {
  for (const n of COUNTS) {
    await client.flushall();
    const children: Child[] = [];
    const urls: string[] = [];
    for (let i = 0; i < n; i++) {
      const { child, url } = await startTagrelay(tagrelayCommand(undefined), { file, dataDir: join(dir, `n${n}-i${i}`) });
      children.push(child);
      urls.push(url);
    }
    const per = Math.max(1, Math.floor(CONNECTIONS / n));
    console.log(`[${n}] warm-up ${WARMUP} s …`);
    await Promise.all(urls.map((u, i) => closedLoop(loader, u, { run: `w${n}x${i}`, seconds: WARMUP, connections: per, threads: 1 })));
    // Let the warm-up's deliveries finish, then count from zero.
    await waitDrained(30_000);
    await client.config('RESETSTAT');
    const memBefore = Number(info(await client.info('memory')).get('used_memory'));
    console.log(`[${n}] measured ${DURATION} s …`);
    const runs = await Promise.all(urls.map((u, i) => closedLoop(loader, u, { run: `m${n}x${i}`, seconds: DURATION, connections: per, threads: 1 })));
    const accepted = runs.reduce((s, r) => s + r.ok, 0);
    const rps = runs.reduce((s, r) => s + r.reqPerSec, 0);
    // The queue as the load left it: bytes per stream entry.
    const queued = Number(await client.xlen('tagrelay:records'));
    const streamBytes = Number((await client.call('MEMORY', 'USAGE', 'tagrelay:records', 'SAMPLES', '0')) ?? 0);
    const drainedMs = await waitDrained(120_000);
    const calls = commandCalls(await client.info('commandstats'));
    const stats = info(await client.info('stats'));
    const net = Number(stats.get('total_net_input_bytes')) + Number(stats.get('total_net_output_bytes'));
    const seen = await sampleSeenKeyBytes();
    const memAfter = Number(info(await client.info('memory')).get('used_memory'));
    if (n === 1) single = rps;
    const p99 = Math.max(...runs.map((r) => r.p99));
    rows.push([n, fmt(rps, 0), single ? `${fmt(rps / single, 2)}×` : '', fmt(p99, 1), runs.reduce((s, r) => s + r.non2xx + r.errors, 0), `${fmt(drainedMs / 1000, 1)} s`]);
    costs.push([
      n,
      fmt(calls.total / accepted, 1),
      calls.top.map(([c, k]) => `${c} ${fmt(k / accepted, 2)}`).join(', '),
      fmt(net / accepted, 0),
      queued > 0 ? `${fmt(streamBytes / queued, 0)} (${queued} queued)` : '–',
      fmt(seen, 0),
      fmt((memAfter - memBefore) / accepted, 0),
    ]);
    await Promise.all(children.map((c) => c.stop(10_000)));
  }
} finally {
  await redis.close();
  await sink.child.stop();
}

console.log('\nthroughput (accepted events/s, every instance answering 202 only after Redis confirmed)');
printTable(['instances', 'events/s', 'vs 1', 'p99 ms', 'non-2xx', 'queue drained after load'], rows);
console.log('\nRedis cost per accepted event (delivery to 2 destinations included)');
printTable(['instances', 'commands', 'top commands per event', 'net bytes', 'bytes per queued entry', 'bytes per dedupe id', 'used_memory Δ per event'], costs);
console.log(
  `\nCPU bound: ${availableParallelism()} cores run every instance, redis-server and wrk. More instances add event loops, not cores:` +
    ' on this machine throughput is bounded by total CPU; scale-out pays off on separate hosts (Redis itself used a fraction of one core).',
);

/** Wait until every consumer group has read everything and nothing is pending or waiting for a retry; resolves with the wait in ms. */
async function waitDrained(timeoutMs: number): Promise<number> {
  const started = performance.now();
  for (;;) {
    const groups = (await client.xinfo('GROUPS', 'tagrelay:records').catch(() => [])) as unknown[][];
    const busy = groups.some((g) => {
      const f = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) f.set(String(g[i]), g[i + 1]);
      return Number(f.get('pending')) > 0 || Number(f.get('lag') ?? 0) > 0;
    });
    const retries = await Promise.all(['ga4', 'meta'].map((d) => client.zcard(`tagrelay:retry:${d}`)));
    if (!busy && retries.every((r) => r === 0)) return performance.now() - started;
    if (performance.now() - started > timeoutMs) return performance.now() - started;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Average MEMORY USAGE of up to 100 dedupe keys. */
async function sampleSeenKeyBytes(): Promise<number> {
  const [, keys] = await client.scan('0', 'MATCH', 'tagrelay:seen:*', 'COUNT', 1000);
  const sample = keys.slice(0, 100);
  if (sample.length === 0) return 0;
  const sizes = await Promise.all(sample.map((k) => client.call('MEMORY', 'USAGE', k, 'SAMPLES', '0') as Promise<number>));
  return sizes.reduce((s, b) => s + Number(b), 0) / sample.length;
}
process.exit(0);
