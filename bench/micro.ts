/**
 * @module bench:micro — per-operation costs on the ingest path (ns/op), in-process.
 *
 * Usage: npm run bench:micro -- [--time 1000] [--filter substring]
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printHeader, printTable } from './lib/report.js';
import { eventBody, EVENT_HEADERS } from './lib/event.js';
import { benchConfig } from './lib/config.js';
import { configSchema } from '../src/config/schema.js';
import { ingestNative, type IngestEnv } from '../src/ingest/native.js';
import { resolveConsent } from '../src/consent/resolve.js';
import { createApp } from '../src/app.js';
import { nodeRuntime } from '../src/runtime/node/runtime.js';
import { silentLogger } from '../src/ports.js';

const { values: opts } = parseArgs({
  options: {
    time: { type: 'string', default: '1000' },
    filter: { type: 'string' },
  },
});
const TIME_MS = Number(opts.time);

/** Keeps results observable so the JIT cannot drop the measured work. */
let blackhole = 0;
const consume = (v: unknown) => {
  blackhole ^= typeof v === 'string' ? v.length : v === undefined ? 0 : 1;
};

interface Case {
  name: string;
  /** Operations per call (a call that runs 50 requests concurrently counts 50). */
  per?: number;
  fn: () => unknown;
}

/** Run `fn` for ~TIME_MS after a warm-up of ~TIME_MS/4; returns ns per operation. */
async function time(c: Case): Promise<{ nsPerOp: number; ops: number }> {
  const per = c.per ?? 1;
  const run = async (budgetNs: bigint) => {
    let calls = 0;
    const start = process.hrtime.bigint();
    let now = start;
    // Check the clock every 64 calls: hrtime itself costs ~50 ns.
    while (now - start < budgetNs) {
      for (let i = 0; i < 64; i++) {
        const r = c.fn();
        consume(r instanceof Promise ? await r : r);
      }
      calls += 64;
      now = process.hrtime.bigint();
    }
    return { calls, ns: Number(now - start) };
  };
  await run(BigInt(TIME_MS / 4) * 1_000_000n);
  (globalThis as { gc?: () => void }).gc?.();
  const { calls, ns } = await run(BigInt(TIME_MS) * 1_000_000n);
  return { nsPerOp: ns / (calls * per), ops: calls * per };
}

async function main(): Promise<void> {
  printHeader('bench:micro — per-operation costs', 'bench:micro', [
    `each case: warm-up ${TIME_MS / 4} ms, then ${TIME_MS} ms measured with process.hrtime.bigint; async cases are awaited one by one`,
    `event: the ${Buffer.byteLength(eventBody('x'.repeat(33)))}-byte add_to_cart of bench/lib/event.ts`,
  ]);
  const config = configSchema.parse(benchConfig('http://127.0.0.1:9'));
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-micro-'));
  const runtime = nodeRuntime({ dataDir: dir, log: silentLogger });
  const app = createApp(config, runtime);
  await app.services.ready;

  const email = 'jane.doe@example.com';
  const bytes = new TextEncoder().encode(email);
  const body = eventBody('01HZX3BENCH0000000000000000000000');
  const parsed = JSON.parse(body) as unknown;
  const env: IngestEnv = {
    now: Date.now(),
    request: { source: 'native', ip: '203.0.113.7', user_agent: EVENT_HEADERS['user-agent'], headers: { ...EVENT_HEADERS }, cookies: {} },
    randomHex: runtime.randomHex,
    limits: config.limits,
    time: config.time,
  };
  const ingested = ingestNative(parsed, env);
  if ('error' in ingested || ingested.events.length !== 1) throw new Error('the bench event does not ingest');
  const event = ingested.events[0]!;
  let seq = 0;
  const request = async () => {
    const id = `bench-${(seq++).toString(36)}-${process.pid}`;
    const res = await app.request('/v1/events', { method: 'POST', headers: EVENT_HEADERS, body: eventBody(id) });
    // A benchmark that measures errors is worthless: stop at the first non-202.
    if (res.status !== 202) throw new Error(`app.request answered ${res.status}`);
    return res.status;
  };

  const cases: Case[] = [
    { name: 'sha256 hex: node createHash', fn: () => createHash('sha256').update(email, 'utf8').digest('hex') },
    {
      name: 'sha256 hex: crypto.subtle.digest',
      fn: async () => Buffer.from(await crypto.subtle.digest('SHA-256', bytes)).toString('hex'),
    },
    { name: 'sha256 hex: runtime.hash port (Node)', fn: () => runtime.hash.sha256Hex(email) },
    { name: 'JSON.parse 660-byte event', fn: () => JSON.parse(body) },
    { name: 'ingestNative (parsed body → Event)', fn: () => ingestNative(parsed, env) },
    { name: 'JSON.parse + ingestNative', fn: () => ingestNative(JSON.parse(body), env) },
    { name: 'resolveConsent', fn: () => resolveConsent({ signals: event.consent, headers: event.request.headers }, config.consent) },
    { name: 'app.request POST /v1/events, one at a time', fn: request },
    { name: 'app.request POST /v1/events, 50 concurrent', per: 50, fn: () => Promise.all(Array.from({ length: 50 }, request)) },
  ];

  const rows: (string | number)[][] = [];
  for (const c of cases) {
    if (opts.filter && !c.name.includes(opts.filter)) continue;
    const r = await time(c);
    rows.push([c.name, r.nsPerOp, 1e9 / r.nsPerOp, r.ops]);
    console.log(`  ${c.name}: ${r.nsPerOp.toFixed(0)} ns/op`);
  }
  console.log('');
  printTable(['operation', 'ns/op', 'ops/s', 'ops measured'], rows);
  await app.services.close();
  rmSync(dir, { recursive: true, force: true });
  if (blackhole === 0.5) console.log('');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
