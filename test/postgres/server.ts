/**
 * A real, throwaway PostgreSQL server: initdb into a temp dir, pg_ctl start on 127.0.0.1 with a
 * free port and the unix socket inside the temp dir, one database; stop and remove on teardown.
 *
 * initdb and postgres refuse to run as root, so as root the server runs as the `postgres` user
 * (created by the Debian/Ubuntu package) or, failing that, a `tagrelay-pg` system user made here.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { findPostgresBinDir } from '../tools/system-tools.mjs';

/** A running server and how to reach it. */
export interface PostgresServer {
  /** postgres://tagrelay@127.0.0.1:<port>/tagrelay_test */
  url: string;
  port: number;
  /** Stop the server (fast shutdown), keeping its files: for "server gone" tests. */
  stop(): void;
  /** Stop (if running) and delete the temp dir. */
  destroy(): void;
}

/** Where initdb/pg_ctl live: $PG_BINDIR, `pg_config --bindir`, or the newest /usr/lib/postgresql/<ver>/bin. */
export function postgresBinDir(): string {
  const { dir, tried } = findPostgresBinDir();
  if (!dir) throw new Error(`PostgreSQL server binaries not found (tried ${tried.join(', ') || 'nothing'}); \`npm test\` installs the postgresql package in pretest (test/tools/ensure-tools.mjs)`);
  return dir;
}

/** uid/gid to run the server as: ourselves unless root. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = (name: string) => {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      return undefined;
    }
  };
  const existing = lookup('postgres') ?? lookup('tagrelay-pg');
  if (existing) return existing;
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', 'tagrelay-pg']);
  return lookup('tagrelay-pg');
}

/** initdb + pg_ctl start + CREATE DATABASE; the caller destroys it. */
export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const user = serverUser();
  // As root the server user must traverse the parent: /tmp is world-searchable, a custom TMPDIR may not be.
  const dir = mkdtempSync(join(user ? '/tmp' : tmpdir(), 'tagrelay-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  chmodSync(dir, 0o700);
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  const run = (cmd: string, args: string[]) =>
    execFileSync(join(bin, cmd), args, { ...user, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' }, timeout: 60_000 });
  run('initdb', ['-D', data, '-U', 'tagrelay', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);

  let running = false;
  let port = 0;
  for (let attempt = 0; !running; attempt++) {
    port = await freePort();
    const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    try {
      run('pg_ctl', ['start', '-D', data, '-l', logFile, '-w', '-t', '60', '-o', options]);
      running = true;
    } catch (err) {
      // Another process may have taken the port between probe and bind: try a new one.
      if (attempt >= 2) throw new Error(`pg_ctl start failed: ${String(err)}\n${existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''}`);
    }
  }
  const stop = () => {
    if (!running) return;
    running = false;
    run('pg_ctl', ['stop', '-D', data, '-m', 'fast', '-w', '-t', '60']);
  };
  const destroy = () => {
    try {
      stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  // A worker killed mid-file skips afterAll: still stop the server with the process.
  process.once('exit', destroy);
  try {
    const admin = new pg.Client({ connectionString: `postgres://tagrelay@127.0.0.1:${port}/postgres` });
    await admin.connect();
    await admin.query('CREATE DATABASE tagrelay_test');
    await admin.end();
  } catch (err) {
    destroy();
    throw err;
  }
  return { url: `postgres://tagrelay@127.0.0.1:${port}/tagrelay_test`, port, stop, destroy };
}

/** Run SQL as the superuser and return the rows (assertions read back through `pg` itself). */
export async function sql<T = Record<string, unknown>>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * One server for the calling test file (vitest runs each file in its own process): started in
 * `beforeAll`, stopped and removed in `afterAll`.
 */
export function usePostgres(): { readonly url: string; readonly server: PostgresServer } {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(() => server?.destroy());
  return {
    get url() {
      if (!server) throw new Error('PostgreSQL is not running (usePostgres must be called at file level)');
      return server.url;
    },
    get server() {
      if (!server) throw new Error('PostgreSQL is not running');
      return server;
    },
  };
}
