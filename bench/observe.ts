/**
 * @module bench:observe — what metrics, request ids and the debug-stream check add per request and per
 * event on the accept path (ns/op, in-process), and a Hono route with and without the request
 * observation (request id, metrics), interleaved so a busy machine skews both alike.
 *
 * Usage: node --import tsx bench/observe.ts [--rounds 7] [--requests 20000]
 */
import { parseArgs } from 'node:util';
import { Hono } from 'hono';
import { createTagrelayMetrics } from '../src/metrics/tagrelay.js';
import { observeRequests } from '../src/metrics/request.js';
import { createDebugHub } from '../src/debug/hub.js';
import { debugConfigSchema } from '../src/debug/config.js';
import { nodeCryptoHasher, randomHex } from '../src/runtime/shared/node-compat.js';
import { silentLogger } from '../src/ports.js';
import type { EventOutcome } from '../src/pipeline.js';

const { values: opts } = parseArgs({ options: { rounds: { type: 'string', default: '7' }, requests: { type: 'string', default: '20000' } } });
const ROUNDS = Number(opts.rounds);
const REQUESTS = Number(opts.requests);

function nsPerOp(fn: () => void, n: number): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t0) / n;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const metrics = createTagrelayMetrics(['lake', 'ga4', 'meta']);
const outcomes = [
  { event_id: 'a', name: 'page_view', status: 'accepted', reasons: [] },
  { event_id: 'b', name: 'purchase', status: 'accepted', reasons: [] },
  { event_id: 'c', name: 'page_view', status: 'duplicate', reasons: [] },
] as EventOutcome[];
const hub = createDebugHub({ config: debugConfigSchema.parse({}), hasher: nodeCryptoHasher, now: Date.now, randomHex, secret: async () => 'k'.repeat(32) });
const request = { cookies: { _ga: 'GA1.1.1.2', tr_consent: 'x' }, headers: { 'user-agent': 'ua', 'accept-language': 'de' } as Record<string, string> };

const rows: [string, number][] = [];
for (const [name, fn] of [
  ['metrics.accept (3 outcomes, per request)', () => metrics.accept(outcomes, [])],
  ['metrics.request (route + status)', () => metrics.request('/v1/events', 202)],
  ['debug: token presence check (no token)', () => void hub.carries(request)],
  ['debug: delivery lookup, no session open', () => void hub.tracing('evt-1')],
] as const) {
  nsPerOp(fn, 200_000);
  rows.push([name, median(Array.from({ length: ROUNDS }, () => nsPerOp(fn, 1_000_000)))]);
}

const plain = new Hono();
plain.post('/v1/events', (c) => c.json({ accepted: 1 }, 202));
const observed = new Hono();
observed.post('/v1/events', (c) => c.json({ accepted: 1 }, 202));
observeRequests(observed, { metrics, log: silentLogger, randomHex, accessLog: false });
const init = { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } };
async function perRequest(app: Hono): Promise<number> {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < REQUESTS; i++) await app.request('/v1/events', init);
  return Number(process.hrtime.bigint() - t0) / REQUESTS;
}
await perRequest(plain);
await perRequest(observed);
const a: number[] = [];
const b: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
  a.push(await perRequest(plain));
  b.push(await perRequest(observed));
}
rows.push(['Hono route, in-process app.request', median(a)], ['same, observed (request id, metrics)', median(b)], ['added per request', median(b) - median(a)]);

console.log(`bench:observe — median of ${ROUNDS} rounds, node ${process.version}`);
for (const [name, ns] of rows) console.log(`${name.padEnd(48)} ${ns >= 1000 ? `${(ns / 1000).toFixed(2)} µs` : `${ns.toFixed(1)} ns`}`);
