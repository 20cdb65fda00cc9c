/**
 * @module bench:ingest — HTTP ingest throughput and latency: bare Hono vs tagrelay, at peak and at half peak.
 *
 * Usage: npm run bench:ingest -- [--duration 10] [--warmup 2] [--connections 50] [--tsx] [--profile] [--only tagrelay|bare]
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { copyFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import autocannon, { type Result } from 'autocannon';
import { printHeader, printTable, fmt, mib, percentile } from './lib/report.js';
import { startChild, sampleRss, rssOf, type Child } from './lib/proc.js';
import { startSink } from './lib/sink.js';
import { writeBenchConfig, benchDestinations } from './lib/config.js';
import { buildDist, tagrelayCommand } from './lib/build.js';
import { eventBody, EVENT_HEADERS } from './lib/event.js';
import { printSummary } from './profile-summary.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    tsx: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const CONNECTIONS = Number(opts.connections);

/** One autocannon run with exact per-response latencies (autocannon's own histogram has 1 ms resolution). */
interface Run {
  result: Result;
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  codes: string;
}

function load(url: string, duration: number, overallRate?: number): Promise<Run> {
  const latencies: number[] = [];
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        url: `${url}/v1/events`,
        method: 'POST',
        headers: EVENT_HEADERS,
        body: eventBody(),
        // Every request gets a fresh event_id, so dedupe never short-circuits the pipeline.
        idReplacement: true,
        connections: CONNECTIONS,
        duration,
        timeout: 10,
        ...(overallRate ? { overallRate } : {}),
      },
      (err, result) => {
        if (err) return fail(err);
        const sorted = Float64Array.from(latencies).sort();
        ok({
          result,
          reqPerSec: result['2xx'] / result.duration,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted[sorted.length - 1] ?? NaN,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          codes: Object.entries(result.statusCodeStats).map(([c, s]) => `${c}×${s.count}`).join(' '),
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

interface TargetResult {
  name: string;
  peak: Run;
  half: Run;
  rssIdle: number;
  rssPeak: number;
  rssEnd: number;
  /** performance.now() when the measured (post-warm-up) load began. */
  loadStartedAt: number;
}

async function measure(name: string, child: Child, url: string): Promise<TargetResult> {
  const rssIdle = rssOf(child.pid);
  console.log(`[${name}] warm-up ${WARMUP} s …`);
  const warm = await load(url, WARMUP);
  if (warm.non2xx + warm.errors > 0) console.log(`[${name}] warm-up had non-2xx/errors: ${warm.codes} errors=${warm.errors}`);
  console.log(`[${name}] peak ${DURATION} s, ${CONNECTIONS} connections …`);
  const loadStartedAt = performance.now();
  const rss = sampleRss(child.pid);
  const peak = await load(url, DURATION);
  const { peak: rssPeak } = rss.stop();
  const rate = Math.max(1, Math.round(peak.reqPerSec / 2));
  console.log(`[${name}] half peak: ${rate} req/s for ${DURATION} s …`);
  const half = await load(url, DURATION, rate);
  return { name, peak, half, rssIdle, rssPeak, rssEnd: rssOf(child.pid), loadStartedAt };
}

async function main(): Promise<void> {
  const build = opts.tsx ? undefined : buildDist();
  const sink = await startSink();
  const cfg = writeBenchConfig(sink.url);
  const { list, missing } = benchDestinations(sink.url);
  const tagrelay = tagrelayCommand(build, opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(cfg.dir, 'prof')}`] : []);
  printHeader('bench:ingest — POST /v1/events over HTTP', 'bench:ingest', [
    `autocannon in this process, ${CONNECTIONS} connections, warm-up ${WARMUP} s, measured ${DURATION} s, then ${DURATION} s at half the measured peak (overallRate)`,
    `body ${Buffer.byteLength(eventBody('x'.repeat(33)))} bytes, unique event_id per request (idReplacement); headers: ${Object.keys(EVENT_HEADERS).join(', ')}`,
    `tagrelay: ${tagrelay.label}${build ? ` built in ${(build.ms / 1000).toFixed(1)} s to ${build.root}` : ''}, config ${cfg.file}`,
    `destinations: ${list.map((d) => `${d.id} (${d.type})`).join(', ')}; not yet available: ${missing.join(', ') || 'none'}`,
    'latency: exact per-response times of 2xx responses (ms); RSS: VmRSS of the server process',
    'load generator and server share the same cores: compare the two targets, not the absolute numbers',
    ...(opts.profile ? ['PROFILING: tagrelay runs under --cpu-prof, numbers are slower than normal'] : []),
  ]);

  const results: TargetResult[] = [];
  if (opts.only !== 'tagrelay') {
    const bare = startChild(process.execPath, [fileURLToPath(new URL('./bare-hono.mjs', import.meta.url))]);
    const port = (JSON.parse(await bare.waitFor(/listening/)) as { port: number }).port;
    results.push(await measure('bare hono', bare, `http://127.0.0.1:${port}`));
    await bare.stop();
  }
  let stored: { events: number; outbox: number; accepted: number } | undefined;
  let errorLines = 0;
  let profileWindowMs = Infinity;
  if (opts.only !== 'bare') {
    const child = startChild(tagrelay.cmd, [...tagrelay.args, 'serve', '--config', cfg.file], {
      env: { TAGRELAY_DATA_DIR: cfg.dataDir, TAGRELAY_LOG_LEVEL: 'info', PORT: '0' },
    });
    const line = await child.waitFor(/tagrelay listening/);
    const port = (JSON.parse(line) as { port: number }).port;
    const r = await measure('tagrelay', child, `http://127.0.0.1:${port}`);
    results.push(r);
    const code = await child.stop(30_000);
    profileWindowMs = performance.now() - r.loadStartedAt;
    if (code !== 0) console.log(`[tagrelay] exited with code ${code}`);
    errorLines = child.lines.filter((l) => /"level":"(error|warn)"/.test(l)).length;
    const db = new Database(join(cfg.dataDir, 'tagrelay.db'), { readonly: true });
    const count = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    stored = {
      events: count('SELECT count(*) AS n FROM events'),
      outbox: count('SELECT count(*) AS n FROM outbox'),
      accepted: count("SELECT count(DISTINCT event_id) AS n FROM delivery_log WHERE status = 'delivered'"),
    };
    db.close();
  }
  const sinkStats = await sink.stats();
  await sink.stop();

  console.log('\n## peak (as fast as the server answers)');
  printTable(
    ['target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'RSS idle', 'RSS peak', 'status codes'],
    results.map((r) => [r.name, r.peak.reqPerSec, r.peak.p50, r.peak.p90, r.peak.p99, r.peak.max, r.peak.non2xx, r.peak.errors, mib(r.rssIdle), mib(r.rssPeak), r.peak.codes]),
  );
  console.log('## half of the measured peak (autocannon overallRate)');
  printTable(
    ['target', 'rate req/s', 'got req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'non-2xx', 'errors', 'RSS end'],
    results.map((r) => [r.name, Math.round(r.peak.reqPerSec / 2), r.half.reqPerSec, r.half.p50, r.half.p90, r.half.p99, r.half.max, r.half.non2xx, r.half.errors, mib(r.rssEnd)]),
  );
  const bare = results.find((r) => r.name === 'bare hono');
  const tr = results.find((r) => r.name === 'tagrelay');
  if (bare && tr) console.log(`ratio tagrelay / bare hono (peak req/s): ${fmt(tr.peak.reqPerSec / bare.peak.reqPerSec, 2)}   (target ≥ 0.70)`);
  if (tr) console.log(`tagrelay p99 at half peak: ${fmt(tr.half.p99, 2)} ms   (target ≤ 5 ms)`);
  const bad = results.reduce((n, r) => n + r.peak.non2xx + r.peak.errors + r.half.non2xx + r.half.errors, 0);
  console.log(bad === 0 ? 'non-2xx and errors: none' : `WARNING: ${bad} non-2xx responses or errors — these runs measured failures`);
  if (stored) {
    console.log(
      `tagrelay store after stop: ${stored.events} rows in events, ${stored.outbox} still in the outbox, ${stored.accepted} events delivered to ≥ 1 destination; ${errorLines} warn/error log lines`,
    );
  }
  console.log(`sink: ${sinkStats.requests} requests, ${sinkStats.bytes} bytes ${JSON.stringify(sinkStats.by_path)}`);

  if (opts.profile) {
    const dir = join(cfg.dir, 'prof');
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    const copyDir = mkdtempSync(join(tmpdir(), 'tagrelay-prof-'));
    for (const f of files) {
      const target = join(copyDir, f);
      copyFileSync(join(dir, f), target);
      // Only the measured load (peak + half peak + shutdown), not start-up and warm-up.
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
