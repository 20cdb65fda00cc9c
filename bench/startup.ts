/**
 * @module bench:startup — time from process spawn to the first 202 from POST /v1/events.
 *
 * Usage: npm run bench:startup -- [--runs 7] [--tsc] [--profile]
 *
 * Variants: bare Hono; `npm start` as it runs (src/runtime/node/bin.js: the freshness check, then the
 * bundled dist/ in the repository, built first if stale); the bundle's CLI started directly (the Docker
 * CMD); the TypeScript source through tsx; with --tsc also tsc's one-file-per-module output (the
 * recipe before the bundle), for comparison.
 */
import { request } from 'node:http';
import { execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printHeader, printTable, median, mib } from './lib/report.js';
import { startChild, freePort, rssOf } from './lib/proc.js';
import { writeBenchConfig } from './lib/config.js';
import { buildDist, tagrelayCommand, REPO_ROOT } from './lib/build.js';
import { eventBody, EVENT_HEADERS } from './lib/event.js';
import { printSummary } from './profile-summary.js';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '7' }, tsc: { type: 'boolean', default: false }, profile: { type: 'boolean', default: false } } });
const RUNS = Number(opts.runs);
/** How often to knock while the server is not up yet. */
const POLL_MS = 2;

/** One POST on a fresh connection; resolves with the status, or undefined when nothing listens yet. */
function post(port: number, id: string): Promise<number | undefined> {
  return new Promise((ok) => {
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', method: 'POST', headers: EVENT_HEADERS, agent: false }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode));
    });
    req.on('error', () => ok(undefined));
    req.end(eventBody(id));
  });
}

interface Sample {
  firstOkMs: number;
  listeningMs: number;
  rss: number;
}

async function once(cmd: string, args: string[], env: NodeJS.ProcessEnv, run: number): Promise<Sample> {
  const port = await freePort();
  const started = performance.now();
  const child = startChild(cmd, args, { env: { ...env, PORT: String(port) } });
  let listeningMs = NaN;
  void child.waitFor(/listening/, 30_000).then(
    () => (listeningMs = performance.now() - started),
    () => undefined,
  );
  let status: number | undefined;
  let tries = 0;
  while (status === undefined || status < 200 || status >= 300) {
    if (performance.now() - started > 30_000 || child.proc.exitCode !== null) {
      await child.stop();
      throw new Error(`no 2xx within 30 s (last status ${status}); output:\n${child.lines.slice(-10).join('\n')}`);
    }
    status = await post(port, `startup-${run}-${tries++}`);
    if (status === undefined) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const firstOkMs = performance.now() - started;
  const rss = rssOf(child.pid);
  await child.stop();
  return { firstOkMs, listeningMs, rss };
}

async function main(): Promise<void> {
  const build = buildDist();
  const tsc = opts.tsc ? buildDist('tsc') : undefined;
  // `npm start` runs bin.js, which bundles the repository's dist/ when it is stale: do that now (once),
  // so the runs time a start with a fresh dist/, as every start after the first.
  const bin = join(REPO_ROOT, 'src/runtime/node/bin.js');
  const prepared = performance.now();
  execFileSync(process.execPath, [bin, '--help'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const prepareMs = performance.now() - prepared;
  printHeader('bench:startup — spawn → first 2xx on POST /v1/events', 'bench:startup', [
    `${RUNS} runs per variant, alternated (one run of each variant in turn), median reported; each run gets a fresh data dir (the store is created and migrated)`,
    `the client polls every ${POLL_MS} ms with a fresh connection; "listening" is when the server logged it`,
    `npm start: node src/runtime/node/bin.js serve (dist/ checked fresh in ${(prepareMs / 1000).toFixed(1)} s before the runs, bundled then if it was stale)`,
    `bundle: node src/runtime/node/build.js --outdir ${build.root}/dist (${(build.ms / 1000).toFixed(1)} s)${tsc ? `; tsc: --outDir ${tsc.root}/dist (${(tsc.ms / 1000).toFixed(1)} s)` : ''}; bare hono: bench/bare-hono.mjs (answers 204)`,
    `load average at the start: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  ]);
  const variants: { name: string; cmd: string; args: (file: string) => string[] }[] = [
    { name: 'bare hono (baseline)', cmd: process.execPath, args: () => [fileURLToPath(new URL('./bare-hono.mjs', import.meta.url))] },
    { name: 'tagrelay, npm start (bin.js → bundle)', cmd: process.execPath, args: (file) => [bin, 'serve', '--config', file] },
    { name: 'tagrelay, bundle cli.js (Docker CMD)', cmd: process.execPath, args: (file) => [...tagrelayCommand(build).args, 'serve', '--config', file] },
    ...(tsc ? [{ name: 'tagrelay, tsc output (before)', cmd: process.execPath, args: (file: string) => [...tagrelayCommand(tsc).args, 'serve', '--config', file] }] : []),
    { name: 'tagrelay, tsx (src)', cmd: process.execPath, args: (file) => [...tagrelayCommand(undefined).args, 'serve', '--config', file] },
  ];
  // Alternated: a burst of load on this shared machine falls on every variant alike.
  const samples: Sample[][] = variants.map(() => []);
  for (let i = 0; i < RUNS; i++) {
    for (const [k, v] of variants.entries()) {
      const cfg = writeBenchConfig('http://127.0.0.1:9');
      samples[k]!.push(await once(v.cmd, v.args(cfg.file), { TAGRELAY_DATA_DIR: cfg.dataDir, TAGRELAY_LOG_LEVEL: 'info' }, i));
      rmSync(cfg.dir, { recursive: true, force: true });
    }
  }
  const rows: (string | number)[][] = [];
  for (const [k, v] of variants.entries()) {
    const first = samples[k]!.map((s) => s.firstOkMs);
    console.log(`  ${v.name}: ${first.map((m) => m.toFixed(0)).join(', ')} ms`);
    const samplesOf = samples[k]!;
    rows.push([
      v.name,
      median(first),
      Math.min(...first),
      Math.max(...first),
      median(samplesOf.map((s) => s.listeningMs)),
      mib(median(samplesOf.map((s) => s.rss))),
    ]);
  }
  console.log('');
  printTable(['variant', 'median ms', 'min ms', 'max ms', 'listening ms (median)', 'RSS at first 2xx'], rows);
  console.log(`target: tagrelay (npm start) ≤ 150 ms to the first 202 on Node; load average at the end: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`);
  if (opts.profile) {
    // One more dist start under --cpu-prof: where the start-up time goes.
    const cfg = writeBenchConfig('http://127.0.0.1:9');
    const dir = join(cfg.dir, 'prof');
    const args = [...tagrelayCommand(build, ['--cpu-prof', `--cpu-prof-dir=${dir}`]).args, 'serve', '--config', cfg.file];
    await once(process.execPath, args, { TAGRELAY_DATA_DIR: cfg.dataDir, TAGRELAY_LOG_LEVEL: 'info' }, RUNS);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
      console.log('\n## start-up profile (the bundle, until SIGTERM after the first 202)');
      printSummary(join(dir, f), 20);
    }
    rmSync(cfg.dir, { recursive: true, force: true });
  }
  rmSync(build.root, { recursive: true, force: true });
  if (tsc) rmSync(tsc.root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
