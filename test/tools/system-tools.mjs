// Where the suite finds the system tools it runs (Debian packages, not npm): shared by the tests and
// by test/tools/ensure-tools.mjs (pretest), which installs them when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The Chromium that test/browser drives through playwright-core (Debian package `chromium`). */
export const CHROMIUM = '/usr/bin/chromium';

/**
 * Where initdb/pg_ctl live: $PG_BINDIR, `pg_config --bindir`, or the newest /usr/lib/postgresql/<ver>/bin
 * (Debian package `postgresql`). `dir` is undefined when none of the places tried holds both.
 */
export function findPostgresBinDir() {
  const tried = [];
  if (process.env.PG_BINDIR) tried.push(process.env.PG_BINDIR);
  try {
    tried.push(execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    // pg_config ships with libpq-dev or the server package; fall through to the versioned dirs.
  }
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    tried.push(...versions.map((v) => join(root, v, 'bin')));
  }
  const dir = tried.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')));
  return { dir, tried };
}

/** The ClickHouse server binary (Debian package `clickhouse-server`): test/clickhouse starts it. $CLICKHOUSE_SERVER overrides. */
export function findClickHouseServer() {
  const tried = [process.env.CLICKHOUSE_SERVER, '/usr/bin/clickhouse-server', '/usr/sbin/clickhouse-server'].filter(Boolean);
  return { path: tried.find((p) => existsSync(p)), tried };
}
