/**
 * @module bench:rate — tagrelay at a fixed offered rate (open loop): latency from the scheduled send time, and whether delivery to a delayed vendor sink keeps up.
 *
 * Usage: npm run bench:rate -- [--rate 1500] [--seconds 10] [--delay-ms 30] [--warmup 2] [--connections 128] [--keepup-s 10] [--tsx]
 */
import { parseArgs } from 'node:util';
import { rmSync } from 'node:fs';
import { printHeader, printTable, fmt, mib, percentile } from './lib/report.js';
import { sampleRss } from './lib/proc.js';
import { startSink, describeRequests, type VendorEvents } from './lib/sink.js';
import { writeBenchConfig, benchDestinations } from './lib/config.js';
import { buildDist, startTagrelay, tagrelayCommand } from './lib/build.js';
import { openLoop, type OpenLoopResult } from './lib/open-loop.js';
import { warehouseRows } from './lib/store.js';

const { values: opts } = parseArgs({
  options: {
    rate: { type: 'string', default: '1500' },
    seconds: { type: 'string', default: '10' },
    'delay-ms': { type: 'string', default: '30' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '128' },
    'keepup-s': { type: 'string', default: '10' },
    tsx: { type: 'boolean', default: false },
  },
});
const RATE = Number(opts.rate);
const SECONDS = Number(opts.seconds);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const KEEPUP_MS = Number(opts['keepup-s']) * 1000;
/** Warm-up rate: enough requests for the JIT, few enough that a slow delivery does not start behind. */
const WARMUP_RATE = Math.max(1, Math.round(RATE / 5));
const TIMEOUT_MS = 10_000;

/** A latency cell: ms, or "> 10 s" for a failed or abandoned request. */
const ms = (n: number): string => (Number.isFinite(n) ? fmt(n, 2) : `> ${TIMEOUT_MS / 1000} s`);
const msUnit = (n: number): string => (Number.isFinite(n) ? `${fmt(n, 2)} ms` : ms(n));
const share = (n: number, of: number): string => (of > 0 ? `${fmt((100 * n) / of, 1)} %` : 'n/a');

async function main(): Promise<void> {
  const build = opts.tsx ? undefined : buildDist();
  const sink = await startSink({ delayMs: Number(opts['delay-ms']) });
  const cfg = writeBenchConfig(sink.url);
  const { list, missing } = benchDestinations(sink.url);
  const command = tagrelayCommand(build);
  printHeader(`bench:rate — tagrelay at a fixed ${RATE} events/s (open loop)`, 'bench:rate', [
    `open loop in this process: undici Pool (${CONNECTIONS} keep-alive connections); send times on a fixed clock, ${RATE}/s for ${SECONDS} s after a warm-up of ${WARMUP} s at ${WARMUP_RATE}/s`,
    `latency from the SCHEDULED send time (coordinated omission not hidden); requests unanswered ${TIMEOUT_MS / 1000} s after the schedule ended are abandoned; "p99 all" counts failed and abandoned requests as ∞`,
    'a distinct visitor per request (event_id, client_id, session_id, email, user_id), one event per request',
    `tagrelay: ${command.label}${build ? ` built in ${(build.ms / 1000).toFixed(1)} s` : ''}; destinations: ${list.map((d) => `${d.id} (${d.type})`).join(', ')}; not yet available: ${missing.join(', ') || 'none'}`,
    `vendors: bench/sink.mjs answering after ${sink.delayMs} ms; keep-up = events at the sink ${KEEPUP_MS / 1000} s after the send schedule ended ÷ events accepted (the larger of 2xx answers and warehouse rows), warm-up included`,
    'load generator, server and sink share the same cores',
  ]);

  const { child, url } = await startTagrelay(command, cfg);
  const rss = sampleRss(child.pid, 100);
  console.log(`[tagrelay] warm-up: ${WARMUP_RATE}/s for ${WARMUP} s …`);
  const warm = await openLoop(url, { rate: WARMUP_RATE, seconds: WARMUP, run: 'ratewarm', connections: CONNECTIONS, timeoutMs: TIMEOUT_MS });
  console.log(`[tagrelay] measured: ${RATE}/s for ${SECONDS} s …`);
  const run = await openLoop(url, { rate: RATE, seconds: SECONDS, run: 'rate', connections: CONNECTIONS, timeoutMs: TIMEOUT_MS });
  const answered = warm.ok + run.ok;
  // Both are lower bounds of what the server accepted: the client misses what it abandoned, the
  // warehouse what is not written yet (or a store it cannot read). The larger one is the denominator.
  const accepted = (): number => Math.max(answered, warehouseRows(cfg.dataDir) ?? 0);
  const left = KEEPUP_MS - (performance.now() - run.scheduleEnd);
  console.log(`[tagrelay] answers in; watching the sink until ${KEEPUP_MS / 1000} s after the schedule ended (${fmt(Math.max(0, left) / 1000, 1)} s left) …`);
  let ga4At99: number | undefined;
  let total = accepted();
  const seen = await sink.waitFor((e: VendorEvents) => {
    total = accepted();
    if (ga4At99 === undefined && e.ga4 >= 0.99 * total) ga4At99 = performance.now() - run.scheduleEnd;
    return e.ga4 >= total && e.meta >= total;
  }, Math.max(0, left));
  const afterMs = performance.now() - run.scheduleEnd;
  const { peak: rssPeak } = rss.stop();
  const stored = warehouseRows(cfg.dataDir);
  await child.stop(10_000);
  const logLines = child.lines.filter((l) => /"level":"(error|warn)"/.test(l));
  await sink.stop();

  const row = (name: string, r: OpenLoopResult, rate: number) => [
    name,
    rate,
    r.offered,
    r.ok,
    r.non2xx,
    r.errors,
    r.timeouts,
    r.ok / r.elapsed,
    ms(percentile(r.latencies, 50)),
    ms(r.percentileAll(99)),
    ms(r.latencies[r.latencies.length - 1] ?? NaN),
    ms(percentile(r.sendLag, 99)),
  ];
  console.log('');
  printTable(
    ['phase', 'offered/s', 'offered', '2xx', 'non-2xx', 'errors', 'timeouts', 'achieved 2xx/s', 'p50 ms', 'p99 ms (all)', 'max ms (answered)', 'send lag p99 ms'],
    [row('warm-up', warm, WARMUP_RATE), row('measured', run, RATE)],
  );
  const codes = Object.entries(run.codes).map(([c, n]) => `${c}×${n}`).join(' ');
  console.log(`measured status codes: ${codes}; tagrelay peak RSS ${mib(rssPeak)}; ${logLines.length} warn/error log lines`);
  console.log(`load generator: ${fmt(run.cpuPerRequest, 0)} µs CPU per request in this process; send lag p50 ${ms(percentile(run.sendLag, 50))} ms`);
  console.log(`p99 at ${RATE}/s (from the scheduled send time, failures as ∞): ${msUnit(run.percentileAll(99))}   (target ≤ 10 ms)`);
  const at = `${fmt(Math.min(afterMs, KEEPUP_MS) / 1000, 1)} s after the load ended`;
  console.log(`accepted: ${answered} answered 2xx; ${stored ?? 'n/a'} rows in the warehouse at the deadline (server side, includes requests the client abandoned); share of ${total}`);
  console.log(`delivered to GA4 ${at}: ${seen.events.ga4} of ${total} accepted = ${share(seen.events.ga4, total)}   (target ≥ 99 % within ${KEEPUP_MS / 1000} s)`);
  console.log(`delivered to Meta ${at}: ${seen.events.meta} of ${total} accepted = ${share(seen.events.meta, total)}`);
  if (seen.doneAfterMs !== undefined) console.log(`every accepted event was at both vendors ${fmt(afterMs / 1000, 1)} s after the load ended`);
  else if (ga4At99 !== undefined) console.log(`GA4 reached 99 % ${fmt(ga4At99 / 1000, 1)} s after the load ended`);
  console.log(`sink: ${seen.stats.requests} requests (${describeRequests(seen.stats)})`);
  for (const l of logLines.slice(0, 3)) console.log(`log: ${l.slice(0, 300)}`);
  rmSync(cfg.dir, { recursive: true, force: true });
  if (build) rmSync(build.root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
