#!/usr/bin/env node
// pretest: make every tool the suite runs present, so `npm test` passes on a fresh clone after
// `npm install`. The suite never skips a test for a missing tool (it fails with the reason); this
// script is what installs them:
//   deno        npm, pinned, into .tmp/tools: the `deno` npm package lists platform packages the
//               registry here does not serve, which makes `npm ci` (npm 11) refuse the lockfile.
//   chromium    Debian package: test/browser drives /usr/bin/chromium through playwright-core.
//   postgresql  Debian package: test/postgres runs initdb/pg_ctl for a throwaway server.
//   clickhouse-server  Debian package (18.16 on bookworm): test/clickhouse and test/integration/warehouses
//               start a throwaway server (HTTP interface) on 127.0.0.1.
//   redis-server Debian package: test/redis starts a throwaway Redis (AOF in a temp dir) on 127.0.0.1.
// apt-get runs only as root; otherwise this fails with the one command to run. bun and workerd
// (wrangler) are devDependencies: they are only checked here.
import { existsSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, findClickHouseServer, findPostgresBinDir } from './system-tools.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DENO = '2.9.6';

/** Stop with one line saying what is wrong and what to do. */
function fail(line) {
  console.error(`pretest: ${line}`);
  process.exit(1);
}

// ---- deno (npm, on demand) ----
const deno = existsSync(`${root}node_modules/.bin/deno`) ? `${root}node_modules/.bin/deno` : `${root}.tmp/tools/node_modules/.bin/deno`;
if (!existsSync(deno)) {
  console.log(`pretest: installing deno@${DENO} into .tmp/tools (npm) for the runtime conformance suite (test/runtimes/deno)`);
  execFileSync('npm', ['install', '--prefix', `${root}.tmp/tools`, '--no-save', '--no-audit', '--no-fund', '--loglevel=error', `deno@${DENO}`], { stdio: 'inherit' });
}

// ---- system packages (apt-get) ----
const packages = [
  { name: 'chromium', why: `test/browser drives ${CHROMIUM}`, present: () => existsSync(CHROMIUM) },
  { name: 'postgresql', why: 'test/postgres runs initdb/pg_ctl', present: () => findPostgresBinDir().dir !== undefined },
  { name: 'clickhouse-server', why: 'test/clickhouse starts a real ClickHouse server', present: () => findClickHouseServer().path !== undefined },
  { name: 'redis-server', why: 'test/redis starts /usr/bin/redis-server', present: () => existsSync('/usr/bin/redis-server') },
];
const missing = packages.filter((p) => !p.present());
if (missing.length > 0) {
  const names = missing.map((p) => p.name);
  const what = missing.map((p) => `${p.name} (${p.why})`).join(', ');
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!hasApt) fail(`missing ${what}; the suite expects these Debian/Ubuntu packages and this machine has no apt-get`);
  if (process.getuid?.() !== 0) fail(`missing ${what}; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${names.join(' ')}`);

  console.log(`pretest: installing ${what} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => spawnSync('apt-get', ['-qq', '-o', 'Dpkg::Use-Pty=0', ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const install = () => apt(['install', '-y', '--no-install-recommends', ...names]);
  let r = install();
  if (r.status !== 0) {
    // A fresh image has no package lists (or stale ones): fetch them once and try again.
    const update = apt(['update']);
    if (update.status !== 0) fail(`apt-get update failed (exit ${update.status}): ${(update.stderr || update.stdout).trim().split('\n').slice(-5).join(' | ')}`);
    r = install();
  }
  if (r.status !== 0) fail(`apt-get install ${names.join(' ')} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}`);
  const still = missing.filter((p) => !p.present());
  if (still.length > 0) fail(`apt-get installed ${names.join(' ')} but still missing: ${still.map((p) => `${p.name} (${p.why})`).join('; ')}`);
}

// ---- npm devDependencies the runtime suites run: checked, not installed ----
const probes = [
  { name: 'bun', cmd: `${root}node_modules/.bin/bun`, why: 'test/runtimes/bun' },
  { name: 'workerd', cmd: `${root}node_modules/.bin/workerd`, why: 'test/runtimes/workerd (through wrangler)' },
  { name: 'deno', cmd: deno, why: 'test/runtimes/deno' },
];
for (const p of probes) {
  const r = spawnSync(p.cmd, ['--version'], { encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) {
    const reason = r.error ? r.error.message : `exit ${r.status}: ${r.stderr.trim().split('\n')[0] ?? ''}`;
    fail(`${p.name} does not run (${reason}); ${p.why} needs it: run \`npm install\` (with install scripts enabled)${p.name === 'deno' ? ' and remove .tmp/tools' : ''}`);
  }
}
