/**
 * @module npm run fuzz — the endpoint fuzz properties of test/fuzz/ for N runs against the in-process app.
 *
 * Usage: npm run fuzz -- [--runs 1000000] [--seed 42] [--chunk 2000] [--filter substring]
 * Prints the tally (runs, statuses, 5xx, failures with minimal counterexamples, duration, RSS) and exits 1
 * when any invariant broke.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { printHeader, printTable } from './lib/report.js';
import { ENDPOINTS, type EndpointName } from '../test/fuzz/requests.js';
import { check, fuzzApp } from '../test/fuzz/oracle.js';
import type { FuzzRequest } from '../test/fuzz/arbitraries.js';
import { silentLogger, type Logger } from '../src/ports.js';

const { values: opts } = parseArgs({
  options: {
    runs: { type: 'string', default: '1000000' },
    seed: { type: 'string' },
    chunk: { type: 'string', default: '2000' },
    filter: { type: 'string' },
  },
});
const RUNS = Number(opts.runs);
const CHUNK = Number(opts.chunk);
const SEED = opts.seed !== undefined ? Number(opts.seed) : Date.now() ^ (Math.random() * 0x7fffffff);
const names = (Object.keys(ENDPOINTS) as EndpointName[]).filter((n) => !opts.filter || n.includes(opts.filter));
if (!Number.isInteger(RUNS) || RUNS < 1 || !Number.isInteger(CHUNK) || CHUNK < 1 || names.length === 0) {
  console.error('usage: npm run fuzz -- [--runs N] [--seed S] [--chunk C] [--filter substring]');
  process.exit(2);
}

printHeader('fuzz: every public endpoint, in-process', 'fuzz', [
  `seed ${SEED}, ${RUNS} runs in chunks of ${CHUNK} per endpoint, round-robin over ${names.length} endpoint groups`,
  'store: a temp-file SQLite database (the in-memory one would grow with every accepted event)',
]);

interface Failure {
  endpoint: EndpointName;
  problem: string;
  seed: number;
  counterexample: FuzzRequest;
  count: number;
}

/** Errors the app logs are counted: an unhandled error is a bug even when its response looked fine. */
let loggedErrors = 0;
const log: Logger = { ...silentLogger, error: () => void loggedErrors++ };
const dir = mkdtempSync(join(tmpdir(), 'tagrelay-fuzz-'));
const app = fuzzApp({ file: join(dir, 'fuzz.db'), log });
await app.services.ready;

const statuses = new Map<string, number>();
const perEndpoint = new Map<EndpointName, { runs: number; fivexx: number; failed: number }>(names.map((n) => [n, { runs: 0, fivexx: 0, failed: 0 }]));
const failures = new Map<string, Failure>();
let runs = 0;
let fivexx = 0;
let peakRss = 0;
const started = performance.now();
let lastReport = started;

/** One failure per endpoint and kind of problem (digits folded), with its shrunk counterexample. */
function signature(endpoint: string, problem: string): string {
  return `${endpoint}|${problem.replace(/\d+/g, 'N').slice(0, 80)}`;
}

function clip(req: FuzzRequest): FuzzRequest {
  const cut = (s: string) => (s.length > 400 ? `${s.slice(0, 400)}…(${s.length} chars)` : s);
  return { ...req, path: cut(req.path), body: req.body === undefined ? undefined : cut(req.body), headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, cut(v)])) };
}

for (let chunk = 0; runs < RUNS; chunk++) {
  const endpoint = names[chunk % names.length]!;
  const numRuns = Math.min(CHUNK, RUNS - runs);
  const seed = (SEED + chunk) | 0;
  const tally = perEndpoint.get(endpoint)!;
  // After the first failing run fast-check only shrinks: those runs are not counted.
  let shrinking = false;
  const result = await fc.check(
    fc.asyncProperty(ENDPOINTS[endpoint], async (req) => {
      const verdict = await check(app, req);
      if (!shrinking) {
        runs++;
        tally.runs++;
        const key = String(verdict.status);
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (verdict.status >= 500) {
          fivexx++;
          tally.fivexx++;
        }
      }
      if (verdict.problems.length === 0) return true;
      if (!shrinking) tally.failed++;
      shrinking = true;
      return false;
    }),
    { numRuns, seed },
  );
  if (result.failed && result.counterexample) {
    const req = result.counterexample[0];
    const verdict = await check(app, req);
    const problem = verdict.problems[0] ?? String(result.errorInstance ?? 'failed');
    const sig = signature(endpoint, problem);
    const known = failures.get(sig);
    if (known) known.count++;
    else failures.set(sig, { endpoint, problem, seed, counterexample: clip(req), count: 1 });
  }
  const rss = process.memoryUsage().rss;
  peakRss = Math.max(peakRss, rss);
  const now = performance.now();
  if (now - lastReport > 10_000) {
    lastReport = now;
    console.log(`… ${runs} runs, ${fivexx} 5xx, ${failures.size} distinct failures, ${((now - started) / 1000).toFixed(0)} s, rss ${(rss / 2 ** 20).toFixed(0)} MiB`);
  }
}

const duration = (performance.now() - started) / 1000;
await app.services.close();
rmSync(dir, { recursive: true, force: true });
(globalThis as { gc?: () => void }).gc?.();
const mem = process.memoryUsage();

console.log('');
printTable(
  ['endpoint', 'runs', '5xx', 'failed chunks'],
  names.map((n) => [n, perEndpoint.get(n)!.runs, perEndpoint.get(n)!.fivexx, perEndpoint.get(n)!.failed]),
);
console.log('');
printTable(['status', 'responses'], [...statuses.entries()].sort(([a], [b]) => Number(a) - Number(b)).map(([s, n]) => [s, n]));
console.log('');
console.log(`runs:            ${runs}`);
console.log(`5xx:             ${fivexx}`);
console.log(`logged errors:   ${loggedErrors}`);
console.log(`failures:        ${failures.size} distinct`);
console.log(`duration:        ${duration.toFixed(1)} s (${Math.round(runs / duration)} runs/s)`);
console.log(`rss:             peak ${(peakRss / 2 ** 20).toFixed(0)} MiB, end ${(mem.rss / 2 ** 20).toFixed(0)} MiB; heap used at end ${(mem.heapUsed / 2 ** 20).toFixed(0)} MiB`);
for (const f of failures.values()) {
  console.log('');
  console.log(`FAILURE ${f.endpoint} (${f.count}× in chunks, first with seed ${f.seed}): ${f.problem}`);
  console.log(`  minimal counterexample: ${JSON.stringify(f.counterexample)}`);
}
process.exitCode = fivexx > 0 || failures.size > 0 || loggedErrors > 0 ? 1 : 0;
