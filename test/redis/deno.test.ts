/**
 * `store.kind: redis` on Deno (issue 18: "Node, Bun and Deno can use Redis"): a real redis-server, a
 * tagrelay process on Deno (`deno run -A src/runtime/deno/main.ts`, ioredis through Deno's npm
 * compatibility) and one on Node, sharing the store, with a GA4 fake answering in 20–50 ms. Events
 * accepted (202) by the Deno instance alone are delivered by it; then, with both running, an event id
 * sent to Node and to Deno (at once and one after the other) is accepted once and delivered once; a
 * Bun instance (`bun src/runtime/bun/main.ts`) joins and shares the dedupe and delivery with Deno.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { generateSigningKey } from '../../src/consent/receipts.js';
import { copies, event, ga4Destination, ga4EventIds, kill, readStore, report, startProxy, writeConfig, type ProxyProcess } from '../reliability/harness.js';
import { BIN, requireRuntime } from '../runtimes/servers.js';
import { startRedis, type TestRedis } from './redis-server.js';

const ROOT = resolve(import.meta.dirname, '../..');

interface DenoProcess {
  child: ChildProcess;
  base: string;
  output(): string;
  exited: Promise<void>;
}

/** Start tagrelay on Deno (or Bun) with `configFile`, its embedded store in `dataDir`; resolves once it listens. */
async function startDeno(configFile: string, dataDir: string, runtime: 'deno' | 'bun' = 'deno'): Promise<DenoProcess> {
  const [cmd, args] = runtime === 'deno' ? [BIN('deno'), ['run', '-A', 'src/runtime/deno/main.ts']] : [BIN('bun'), ['src/runtime/bun/main.ts']];
  const child = spawn(cmd, args, {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, TAGRELAY_CONFIG: configFile, TAGRELAY_DATA_DIR: dataDir, HOST: '127.0.0.1', PORT: '0', TAGRELAY_LOG_LEVEL: 'info', DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  let m: RegExpExecArray | null = null;
  const until = Date.now() + 60_000;
  while (!(m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(out)) && Date.now() < until && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
  if (!m) {
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
    throw new Error(`tagrelay on ${runtime} did not start:\n${out.slice(-3000)}`);
  }
  return { child, base: `http://127.0.0.1:${m[1]}`, output: () => out, exited };
}

async function post(base: string, id: string): Promise<{ status: number | 'no answer'; duplicates?: number }> {
  try {
    const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event(id)), signal: AbortSignal.timeout(10_000) });
    const json = (await res.json().catch(() => ({}))) as { duplicates?: number };
    return { status: res.status, duplicates: json.duplicates };
  } catch {
    return { status: 'no answer' };
  }
}

/**
 * `total` event ids, each sent to both instances (alternating which goes first): half race each other
 * (both in flight at once), half are a browser retry after the first answer. Asserts every answer is a
 * 202 and exactly one of each pair stored the event (the other answered it as a duplicate).
 */
async function sendPairs(prefix: string, total: number, one: string, other: string): Promise<string[]> {
  const pairs = await Promise.all(
    Array.from({ length: total }, async (_, i) => {
      const id = `${prefix}-${i}`;
      const [a, b] = i % 2 === 0 ? [one, other] : [other, one];
      if (i % 4 < 2) return { id, answers: await Promise.all([post(a, id), post(b, id)]) };
      const first = await post(a, id);
      return { id, answers: [first, await post(b, id)] };
    }),
  );
  expect(pairs.filter((p) => p.answers.some((a) => a.status !== 202))).toEqual([]);
  expect(pairs.filter((p) => p.answers.reduce((n, a) => n + (a.duplicates ?? 0), 0) !== 1).map((p) => p.id)).toEqual([]);
  return pairs.map((p) => p.id);
}

describe('store.kind redis on Deno', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-deno-redis-'));
  let redis: TestRedis;
  let ga: Ga4Fake;
  let configFile: string;
  let deno: DenoProcess | undefined;
  let node: ProxyProcess | undefined;
  const gaIds = () => ga4EventIds(ga.collected().map((r) => r.body));
  const delivered = (dataDir: string, like: string) =>
    readStore(dataDir, (db) => (db.prepare("SELECT event_id FROM delivery_log WHERE destination_id = 'ga' AND status = 'delivered' AND event_id LIKE ?").all(like) as { event_id: string }[]).map((r) => r.event_id));

  beforeAll(async () => {
    requireRuntime('deno');
    redis = await startRedis({ appendfsync: 'always' });
    ga = await startGa4Fake({ apiSecret: 'test-secret' });
    configFile = writeConfig(dir, {
      dev_mode: false,
      store: { kind: 'redis', url: redis.url, claim_idle: '3s' },
      consent: { receipts: { signing_key: JSON.stringify((await generateSigningKey()).privateJwk) } },
      privacy: { pseudonymization: { salt: 'deno-redis-test-salt-0123456789abcdef' } },
      destinations: [ga4Destination('ga', ga.url, { batch: { max_events: 10, max_wait_ms: 5 } })],
      delivery: { poll_interval: '100ms', backoff_base: '50ms', backoff_max: '500ms', claim_batch: 10 },
    });
    deno = await startDeno(configFile, join(dir, 'data-deno'));
  }, 90_000);

  let bun: DenoProcess | undefined;

  afterAll(async () => {
    await kill(node);
    for (const p of [deno, bun]) {
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) continue;
      try {
        process.kill(-p.child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
      await p.exited;
    }
    await ga?.close();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the Deno instance accepts events into Redis (202) and delivers them from its consumer group', async ({ annotate }) => {
    const ids = Array.from({ length: 40 }, (_, i) => `deno-${i}`);
    const answers = await Promise.all(ids.map((id) => post(deno!.base, id)));
    expect(answers.filter((a) => a.status !== 202)).toEqual([]);
    expect(answers.filter((a) => a.duplicates !== 0)).toEqual([]);
    // The records are in Redis: the stream holds them (the embedded store holds no records with kind redis).
    const stream = (await redis.client().call('XRANGE', 'tagrelay:records', '-', '+')) as [string, string[]][];
    const inStream = new Set(stream.map(([, f]) => f[f.indexOf('e') + 1]));
    expect(ids.filter((id) => !inStream.has(id))).toEqual([]);
    await vi.waitFor(() => expect(ids.filter((id) => !gaIds().includes(id))).toEqual([]), { timeout: 20_000, interval: 100 });
    // Delivered by the Deno process (the only instance) and acknowledged in the group: nothing pending.
    await vi.waitFor(() => expect(delivered(join(dir, 'data-deno'), 'deno-%').sort()).toEqual([...ids].sort()), { timeout: 10_000, interval: 100 });
    await vi.waitFor(async () => expect(((await redis.client().call('XPENDING', 'tagrelay:records', 'ga')) as [number])[0]).toBe(0), { timeout: 10_000, interval: 100 });
    expect([...copies(gaIds().filter((id) => id.startsWith('deno-')))].filter(([, n]) => n !== 1)).toEqual([]);
    expect(ga.problems().flat()).toEqual([]);
    expect(deno!.output()).not.toContain('"level":"error"');
    await report(annotate, 'redis on deno: one instance', { accepted: ids.length, delivered: ids.length });
  }, 60_000);

  it('an event id sent to the Node and the Deno instance is accepted once and delivered once', async ({ annotate }) => {
    node = await startProxy(configFile, join(dir, 'data-node'));
    const TOTAL = 60;
    const ids = await sendPairs('dup', TOTAL, node.base, deno!.base);
    await vi.waitFor(() => expect(ids.filter((id) => !gaIds().includes(id))).toEqual([]), { timeout: 20_000, interval: 100 });
    // A few more polls of both instances: still one copy each.
    await new Promise((r) => setTimeout(r, 1000));
    const counts = copies(gaIds().filter((id) => id.startsWith('dup-')));
    expect(counts.size).toBe(TOTAL);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    // Each copy was sent by exactly one of the two processes.
    const byDeno = delivered(join(dir, 'data-deno'), 'dup-%');
    const byNode = delivered(join(dir, 'data-node'), 'dup-%');
    expect(byDeno.filter((id) => byNode.includes(id))).toEqual([]);
    expect(byDeno.length + byNode.length).toBe(TOTAL);
    expect(ga.problems().flat()).toEqual([]);
    expect(deno!.output()).not.toContain('"level":"error"');
    await report(annotate, 'redis on deno: duplicate ids across node and deno', { accepted: TOTAL, delivered: counts.size, by_deno: byDeno.length, by_node: byNode.length });
  }, 90_000);

  it('a Bun instance joins the same Redis: an id sent to Bun and to Deno is accepted once and delivered once', async ({ annotate }) => {
    requireRuntime('bun');
    bun = await startDeno(configFile, join(dir, 'data-bun'), 'bun');
    const TOTAL = 40;
    const ids = await sendPairs('bun', TOTAL, bun.base, deno!.base);
    await vi.waitFor(() => expect(ids.filter((id) => !gaIds().includes(id))).toEqual([]), { timeout: 20_000, interval: 100 });
    await new Promise((r) => setTimeout(r, 1000));
    const counts = copies(gaIds().filter((id) => id.startsWith('bun-')));
    expect(counts.size).toBe(TOTAL);
    expect([...counts].filter(([, n]) => n !== 1)).toEqual([]);
    expect(bun!.output()).not.toContain('"level":"error"');
    await report(annotate, 'redis on bun and deno: duplicate ids across them', { accepted: TOTAL, delivered: counts.size });
  }, 90_000);
});
