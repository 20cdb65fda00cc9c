/**
 * @module bench:ingest — HTTP ingest throughput and latency with a distinct visitor per request: bare Hono, the durable floor and tagrelay in one run.
 *
 * Usage: npm run bench:ingest -- [--duration 10] [--warmup 2] [--connections 50] [--threads 1] [--delay-ms 30]
 *        [--loader wrk|autocannon] [--only bare,floor,tagrelay] [--tsx] [--profile]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { printHeader, printTable, fmt, mib } from './lib/report.js';
import { cpuSeconds, sampleRss, rssOf, startListening, tempDir, type Child } from './lib/proc.js';
import { startSink, vendorEvents, describeRequests } from './lib/sink.js';
import { writeBenchConfig, benchDestinations } from './lib/config.js';
import { buildDist, startTagrelay, tagrelayCommand } from './lib/build.js';
import { visitorBody, visitorTemplate, EVENT_HEADERS } from './lib/event.js';
import { chooseLoader, closedLoop, type LoadRun } from './lib/closed-loop.js';
import { storeSummary } from './lib/store.js';
import { printSummary } from './profile-summary.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    threads: { type: 'string', default: '1' },
    'delay-ms': { type: 'string', default: '30' },
    loader: { type: 'string', default: 'wrk' },
    only: { type: 'string', default: 'bare,floor,tagrelay' },
    tsx: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);
const THREADS = Number(opts.threads);
const ONLY = new Set(opts.only.split(','));

interface TargetResult {
  name: string;
  run: LoadRun;
  /** 2xx answers the load generator counted, warm-up and measured run together. */
  accepted: number;
  rssIdle: number;
  rssPeak: number;
  /** performance.now() when the measured (post-warm-up) load began. */
  loadStartedAt: number;
  /** Server CPU (user + system) per answered request in the measured run, µs: the whole process, and its main (accepting) thread. */
  cpuPerRequest: number;
  mainCpuPerRequest: number;
}

const loader = chooseLoader(opts.loader === 'autocannon' ? 'autocannon' : 'wrk');

/** Warm-up, then the measured run with RSS sampled; every run has its own visitors (`key` + phase). */
async function measure(name: string, key: string, child: Child, url: string): Promise<TargetResult> {
  // tagrelay starts its delivery thread after the first 202 or 500 ms after start: idle RSS includes it.
  await new Promise((resolve) => setTimeout(resolve, 700));
  const rssIdle = rssOf(child.pid);
  console.log(`[${name}] warm-up ${WARMUP} s …`);
  const warm = await closedLoop(loader, url, { run: `${key}warm`, seconds: WARMUP, connections: CONNECTIONS, threads: THREADS });
  if (warm.non2xx + warm.errors > 0) console.log(`[${name}] warm-up had non-2xx/errors: ${warm.detail}`);
  console.log(`[${name}] measured ${DURATION} s, ${CONNECTIONS} connections …`);
  const loadStartedAt = performance.now();
  const rss = sampleRss(child.pid, 100);
  const cpu0 = { all: cpuSeconds(child.pid), main: cpuSeconds(child.pid, child.pid) };
  const run = await closedLoop(loader, url, { run: `${key}peak`, seconds: DURATION, connections: CONNECTIONS, threads: THREADS });
  const perRequest = (s: number) => (run.ok > 0 ? (s * 1e6) / run.ok : NaN);
  const cpuPerRequest = perRequest(cpuSeconds(child.pid) - cpu0.all);
  const mainCpuPerRequest = perRequest(cpuSeconds(child.pid, child.pid) - cpu0.main);
  const { peak: rssPeak } = rss.stop();
  return { name, run, accepted: warm.ok + run.ok, rssIdle, rssPeak, loadStartedAt, cpuPerRequest, mainCpuPerRequest };
}

async function main(): Promise<void> {
  const build = opts.tsx || !ONLY.has('tagrelay') ? undefined : buildDist();
  const sink = await startSink({ delayMs: Number(opts['delay-ms']) });
  const cfg = writeBenchConfig(sink.url);
  const { list, missing } = benchDestinations(sink.url);
  const tagrelay = tagrelayCommand(build, opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(cfg.dir, 'prof')}`] : []);
  const bodyBytes = Buffer.byteLength(visitorBody(visitorTemplate('tagrelaypeak'), 123456));
  printHeader('bench:ingest — POST /v1/events over HTTP: bare Hono, durable floor, tagrelay', 'bench:ingest', [
    `load: ${loader.note}; ${CONNECTIONS} connections${loader.tool === 'wrk' ? `, ${THREADS} wrk thread(s)` : ''}, warm-up ${WARMUP} s, measured ${DURATION} s, as fast as the server answers`,
    `a distinct visitor per request: event_id, client_id, session_id, email and user_id differ per request (bench/lib/event.ts visitorTemplate); body ~${bodyBytes} bytes; headers: ${Object.keys(EVENT_HEADERS).join(', ')}`,
    'bare hono: bench/bare-hono.mjs (reads the body, 204); floor: bench/floor.mjs (parse, SHA-256 email, HMAC client id, one SQLite row in a group commit, cookie, 202)',
    `tagrelay: ${tagrelay.label}${build ? ` built in ${(build.ms / 1000).toFixed(1)} s to ${build.root}` : ''}, config ${cfg.file}`,
    `destinations: ${list.map((d) => `${d.id} (${d.type})`).join(', ')}; not yet available: ${missing.join(', ') || 'none'}; vendors at bench/sink.mjs answering after ${sink.delayMs} ms`,
    'latency: per-response times of the load generator (ms); RSS: VmRSS of the server process sampled every 100 ms',
    'CPU µs/req: the server process\'s user + system CPU over the measured run per 2xx answer (tagrelay: accepting thread + delivery thread); main thread: the accepting thread alone (/proc/<pid>/task/<pid>/stat)',
    'load generator, server and sink share the same cores: compare the rows of one run, not the absolute numbers',
    ...(opts.profile ? ['PROFILING: tagrelay runs under --cpu-prof, its numbers are slower than normal'] : []),
  ]);

  const results: TargetResult[] = [];
  if (ONLY.has('bare')) {
    const { child, url } = await startListening(process.execPath, [fileURLToPath(new URL('./bare-hono.mjs', import.meta.url))], /listening/);
    results.push(await measure('bare hono', 'bare', child, url));
    await child.stop();
  }
  if (ONLY.has('floor')) {
    const dataDir = tempDir('tagrelay-floor-');
    const { child, url } = await startListening(process.execPath, [fileURLToPath(new URL('./floor.mjs', import.meta.url))], /listening/, {
      env: { TAGRELAY_DATA_DIR: dataDir },
    });
    results.push(await measure('durable floor', 'floor', child, url));
    await child.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  let store = '';
  let logLines = 0;
  let profileWindowMs = Infinity;
  if (ONLY.has('tagrelay')) {
    const { child, url } = await startTagrelay(tagrelay, cfg);
    const r = await measure('tagrelay', 'tagrelay', child, url);
    results.push(r);
    const code = await child.stop(30_000);
    profileWindowMs = performance.now() - r.loadStartedAt;
    if (code !== 0) console.log(`[tagrelay] exited with code ${code}`);
    logLines = child.lines.filter((l) => /"level":"(error|warn)"/.test(l)).length;
    store = storeSummary(cfg.dataDir);
  }
  const sinkStats = await sink.stats();
  await sink.stop();

  console.log('');
  printTable(
    ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'RSS idle', 'RSS peak', 'CPU µs/req', 'main thread µs/req'],
    results.map((r) => [r.name, r.run.reqPerSec, r.run.p50, r.run.p90, r.run.p99, r.run.max, r.run.non2xx, r.run.errors, mib(r.rssIdle), mib(r.rssPeak), fmt(r.cpuPerRequest, 0), fmt(r.mainCpuPerRequest, 0)]),
  );
  const by = (name: string) => results.find((r) => r.name === name);
  const [bare, floor, tr] = [by('bare hono'), by('durable floor'), by('tagrelay')];
  const ratio = (a: TargetResult | undefined, b: TargetResult | undefined) => (a && b ? fmt(a.run.reqPerSec / b.run.reqPerSec, 2) : 'n/a');
  console.log(`ratio tagrelay / floor      (req/s): ${ratio(tr, floor)}   (target ≥ 0.50)`);
  console.log(`ratio tagrelay / bare hono  (req/s): ${ratio(tr, bare)}`);
  console.log(`ratio floor / bare hono     (req/s): ${ratio(floor, bare)}   (DESIGN.md cost model: ~0.5–0.6)`);
  const bad = results.filter((r) => r.run.non2xx + r.run.errors > 0);
  console.log(bad.length === 0 ? 'non-2xx and errors: none' : `WARNING: failures measured in ${bad.map((r) => `${r.name} (${r.run.detail})`).join('; ')}`);
  if (tr) {
    const v = vendorEvents(sinkStats);
    console.log(`tagrelay: ${tr.accepted} 2xx answers counted (warm-up + measured; requests in flight at the end are not); at the sink by shutdown: GA4 ${v.ga4}, Meta ${v.meta}; ${store}; ${logLines} warn/error log lines`);
    console.log(`sink: ${sinkStats.requests} requests (${describeRequests(sinkStats)}); delivery keep-up is measured by npm run bench:rate`);
  }

  if (opts.profile) {
    const dir = join(cfg.dir, 'prof');
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    const copyDir = mkdtempSync(join(tmpdir(), 'tagrelay-prof-'));
    for (const f of files) {
      const target = join(copyDir, f);
      copyFileSync(join(dir, f), target);
      // Only the measured load and shutdown, not start-up and warm-up.
      const last = Math.round(profileWindowMs);
      console.log(`\ncpu profile: ${target}\n(summarize again: npm run bench:profile -- ${target} --last-ms ${last})\n`);
      printSummary(target, 15, last);
    }
    if (files.length === 0) console.log('no .cpuprofile was written (did the server exit cleanly?)');
  }
  rmSync(cfg.dir, { recursive: true, force: true });
  if (build) rmSync(build.root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
