/**
 * @module bench:startup — time from process spawn to the first 202 from POST /v1/events.
 *
 * Usage: npm run bench:startup -- [--runs 7] [--profile]
 */
import { request } from 'node:http';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printHeader, printTable, median, mib } from './lib/report.js';
import { startChild, freePort, rssOf } from './lib/proc.js';
import { writeBenchConfig } from './lib/config.js';
import { buildDist, tagrelayCommand } from './lib/build.js';
import { eventBody, EVENT_HEADERS } from './lib/event.js';
import { printSummary } from './profile-summary.js';

const { values: opts } = parseArgs({ options: { runs: { type: 'string', default: '7' }, profile: { type: 'boolean', default: false } } });
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
  printHeader('bench:startup — spawn → first 2xx on POST /v1/events', 'bench:startup', [
    `${RUNS} runs per variant, median reported; each run gets a fresh data dir (the store is created and migrated)`,
    `the client polls every ${POLL_MS} ms with a fresh connection; "listening" is when the server logged it`,
    `dist: tsc --outDir ${build.root}/dist (built in ${(build.ms / 1000).toFixed(1)} s); bare hono: bench/bare-hono.mjs (answers 204)`,
  ]);
  const variants: { name: string; cmd: string; args: (file: string) => string[] }[] = [
    { name: 'bare hono (baseline)', cmd: process.execPath, args: () => [fileURLToPath(new URL('./bare-hono.mjs', import.meta.url))] },
    { name: 'tagrelay, compiled dist', cmd: process.execPath, args: (file) => [...tagrelayCommand(build).args, 'serve', '--config', file] },
    { name: 'tagrelay, tsx (src)', cmd: process.execPath, args: (file) => [...tagrelayCommand(undefined).args, 'serve', '--config', file] },
  ];
  const rows: (string | number)[][] = [];
  for (const v of variants) {
    const samples: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const cfg = writeBenchConfig('http://127.0.0.1:9');
      samples.push(await once(v.cmd, v.args(cfg.file), { TAGRELAY_DATA_DIR: cfg.dataDir, TAGRELAY_LOG_LEVEL: 'info' }, i));
      rmSync(cfg.dir, { recursive: true, force: true });
    }
    const first = samples.map((s) => s.firstOkMs);
    console.log(`  ${v.name}: ${first.map((m) => m.toFixed(0)).join(', ')} ms`);
    rows.push([
      v.name,
      median(first),
      Math.min(...first),
      Math.max(...first),
      median(samples.map((s) => s.listeningMs)),
      mib(median(samples.map((s) => s.rss))),
    ]);
  }
  console.log('');
  printTable(['variant', 'median ms', 'min ms', 'max ms', 'listening ms (median)', 'RSS at first 2xx'], rows);
  console.log('target: tagrelay compiled dist ≤ 150 ms to the first 202 on Node');
  if (opts.profile) {
    // One more dist start under --cpu-prof: where the start-up time goes.
    const cfg = writeBenchConfig('http://127.0.0.1:9');
    const dir = join(cfg.dir, 'prof');
    const args = [...tagrelayCommand(build, ['--cpu-prof', `--cpu-prof-dir=${dir}`]).args, 'serve', '--config', cfg.file];
    await once(process.execPath, args, { TAGRELAY_DATA_DIR: cfg.dataDir, TAGRELAY_LOG_LEVEL: 'info' }, RUNS);
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.cpuprofile'))) {
      console.log('\n## start-up profile (compiled dist, until SIGTERM after the first 202)');
      printSummary(join(dir, f), 20);
    }
    rmSync(cfg.dir, { recursive: true, force: true });
  }
  rmSync(build.root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
