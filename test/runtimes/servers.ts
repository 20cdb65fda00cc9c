/**
 * How to start tagrelay on each runtime as a real process on 127.0.0.1, one table keyed by runtime.
 * Every server runs config/default.yaml on a fresh temporary store and stops with its process group.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStoreFile } from '../helpers/store-file.js';
import type { Target, WarehouseRow } from './conformance.js';

export type RuntimeName = 'node' | 'bun' | 'deno' | 'workerd';

/** A started server. */
export interface Server extends Target {
  child: ChildProcess;
  output(): string;
  /** SIGTERM to the process group; SIGKILL if it has not exited after `graceMs`. Resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

const ROOT = resolve(import.meta.dirname, '../..');
export const BIN = (name: string) => {
  const local = join(ROOT, 'node_modules/.bin', name);
  // deno is installed on demand by test/tools/ensure-tools.mjs (npm test runs it first)
  return name === 'deno' && !existsSync(local) ? join(ROOT, '.tmp/tools/node_modules/.bin', name) : local;
};

interface Spec {
  /** The command line, given a free port (only the runtimes that cannot take PORT=0 use it). */
  command(port: number, dir: string): { cmd: string; args: string[]; env?: Record<string, string> };
  /** Whether the server reports its own port in a log line; otherwise the free port is used. */
  logsPort: boolean;
  /** The SQLite file holding the embedded warehouse, once it exists. */
  warehouse(dir: string): string | undefined;
  /** Whether SIGTERM is the runtime's own graceful shutdown (wrangler dev just tears down workerd). */
  graceful: boolean;
  /** A URL path that fires the runtime's cron handler (Workers' `scheduled`), where it has one. */
  cronPath?: string;
  /** Conformance cases this runtime is known to fail, by name, with why (run as `it.fails`). */
  knownIssues?: Record<string, string>;
  /** A command that fails when the runtime cannot run on this machine. */
  probe: [string, string[]];
}

const ownFile = (dir: string) => join(dir, 'tagrelay.db');

/** Miniflare keeps each local D1 database as a Durable Object SQLite file named by a hash. */
function localD1File(dir: string): string | undefined {
  const d1 = join(dir, 'v3/d1/miniflare-D1DatabaseObject');
  if (!existsSync(d1)) return undefined;
  const file = readdirSync(d1).find((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  return file && join(d1, file);
}

export const RUNTIMES: Record<RuntimeName, Spec> = {
  node: {
    command: () => ({ cmd: process.execPath, args: ['--import', 'tsx', 'src/runtime/node/cli.ts', 'serve'] }),
    logsPort: true,
    warehouse: ownFile,
    graceful: true,
    probe: [process.execPath, ['--version']],
  },
  bun: {
    command: () => ({ cmd: BIN('bun'), args: ['src/runtime/bun/main.ts'] }),
    logsPort: true,
    warehouse: ownFile,
    graceful: true,
    probe: [BIN('bun'), ['--version']],
  },
  deno: {
    command: () => ({ cmd: BIN('deno'), args: ['run', '-A', 'src/runtime/deno/main.ts'], env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' } }),
    logsPort: true,
    warehouse: ownFile,
    graceful: true,
    probe: [BIN('deno'), ['--version']],
  },
  workerd: {
    command: (port, dir) => ({
      cmd: BIN('wrangler'),
      args: ['dev', '-c', 'src/runtime/worker/wrangler.toml', '--local', '--ip', '127.0.0.1', '--port', String(port),
        '--inspector-port', String(port + 1), '--persist-to', dir, '--show-interactive-dev-session=false', '--log-level', 'info'],
      // Fully offline: no metrics, no update check (banner), no Request.cf download.
      env: { WRANGLER_SEND_METRICS: 'false', WRANGLER_HIDE_BANNER: 'true', CLOUDFLARE_CF_FETCH_ENABLED: 'false', WRANGLER_LOG_PATH: join(dir, 'logs'), CLOUDFLARE_API_TOKEN: '', NO_COLOR: '1' },
    }),
    logsPort: false,
    warehouse: localD1File,
    graceful: false,
    cronPath: '/cdn-cgi/handler/scheduled',
    probe: [BIN('workerd'), ['--version']],
  },
};

/** Why a runtime cannot run here, or undefined when it can. */
function unavailable(name: RuntimeName): string | undefined {
  const [cmd, args] = RUNTIMES[name].probe;
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  if (r.error) return `${name}: ${r.error.message}`;
  return r.status === 0 ? undefined : `${name}: \`${cmd} ${args.join(' ')}\` exited ${r.status}: ${r.stderr.slice(0, 300)}`;
}

/**
 * Fail (never skip) when a runtime cannot run here, saying why and where it comes from.
 *
 * @example
 * requireRuntime('deno')
 */
export function requireRuntime(name: RuntimeName): void {
  const why = unavailable(name);
  if (why) throw new Error(`${why} — \`npm test\` provides it: pretest (test/tools/ensure-tools.mjs) installs deno and checks the npm devDependencies bun and wrangler/workerd`);
}

/** Two consecutive free ports on 127.0.0.1 (the second for wrangler's inspector). */
async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((ok, fail) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
      s.once('error', fail);
    });
    const next = await new Promise<boolean>((ok) => {
      const s = createServer().listen(port + 1, '127.0.0.1', () => s.close(() => ok(true)));
      s.once('error', () => ok(false));
    });
    if (next && port < 65535) return port;
  }
}

async function waitHealthy(base: string, child: ChildProcess, output: () => string, limitMs: number): Promise<void> {
  const until = Date.now() + limitMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`server did not become healthy within ${limitMs} ms:\n${output()}`);
}

/** Read one row from a live SQLite file without disturbing the server (read-only; WAL allows it). */
function readRow(file: string | undefined, eventId: string): WarehouseRow | undefined {
  if (!file || !existsSync(file)) return undefined;
  const db = openStoreFile(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 2000');
    return db.prepare('SELECT event_id, name, data FROM events WHERE event_id = ?').get(eventId) as WarehouseRow | undefined;
  } catch (err) {
    // The table does not exist until the server's migration has run.
    if (String(err).includes('no such table')) return undefined;
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Start one runtime's server on 127.0.0.1.
 *
 * @example
 * const server = await startServer('bun'); … await server.stop()
 */
export async function startServer(name: RuntimeName, limitMs = 60_000): Promise<Server> {
  const spec = RUNTIMES[name];
  const dir = mkdtempSync(join(tmpdir(), `tagrelay-${name}-`));
  const port = await freePort();
  const { cmd, args, env } = spec.command(port, dir);
  const child = spawn(cmd, args, {
    cwd: ROOT,
    // Its own process group, so stop() reaches wrangler's workerd and any other grandchildren.
    detached: true,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_DATA_DIR: dir, TAGRELAY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((ok) => child.once('exit', (code, signal) => ok(code ?? (signal ? -1 : null))));
  const kill = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // the group is gone already
    }
  };
  let stopped: Promise<number | null> | undefined;
  const stop = (graceMs = 10_000) =>
    (stopped ??= (async () => {
      kill('SIGTERM');
      const timer = setTimeout(() => kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
      return code;
    })());
  try {
    let actual = port;
    if (spec.logsPort) {
      const until = Date.now() + limitMs;
      let m: RegExpExecArray | null = null;
      while (!(m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(out)) && Date.now() < until && child.exitCode === null) {
        await new Promise((r) => setTimeout(r, 100));
      }
      if (!m) throw new Error(`${name} did not log its port:\n${out}`);
      actual = Number(m[1]);
    }
    const baseUrl = `http://127.0.0.1:${actual}`;
    await waitHealthy(baseUrl, child, () => out, limitMs);
    return { baseUrl, child, output: () => out, stop, readEvent: (id) => readRow(spec.warehouse(dir), id) };
  } catch (err) {
    await stop(1_000);
    throw err;
  }
}
