/**
 * @module The Bun runtime: node:crypto hashing (native in Bun), bun:sqlite, global fetch, JSON logs.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FetchLike, LogFields, Logger, Runtime } from '../../ports.js';
import { openBunSqlite } from './db.js';

/** The slice of Bun's server API tagrelay uses (bun-types is not installed). */
export interface BunServer {
  readonly port: number;
  readonly pendingRequests: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

/** One JSON line per log record on stderr; level threshold from TAGRELAY_LOG_LEVEL. */
export function bunLogger(level = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error', 'silent'];
  const min = Math.max(0, order.indexOf(level));
  const write = (lvl: string) => (msg: string, fields?: LogFields) => {
    if (order.indexOf(lvl) >= min) console.error(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * @example
 * const runtime = bunRuntime({ file: './data/tagrelay.db', env: process.env, log: bunLogger() })
 */
export function bunRuntime(opts: { file: string; env: Record<string, string | undefined>; log: Logger; fetch?: FetchLike }): Runtime {
  return {
    name: 'bun',
    hash: {
      async sha256Hex(input) {
        return createHash('sha256').update(input, 'utf8').digest('hex');
      },
      async hmacSha256Hex(key, input) {
        return createHmac('sha256', key).update(input, 'utf8').digest('hex');
      },
    },
    db: openBunSqlite(opts.file),
    // Bun's fetch keeps connections alive per origin already; no pool needed.
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    now: Date.now,
    log: opts.log,
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
    waitUntil: (p) => void p.catch(() => undefined),
    defer: (fn) => void setImmediate(fn),
    // Bun hands its server to the fetch handler as the second argument, which Hono exposes as `c.env`.
    remoteAddress: (request, env) => (env as BunServer | undefined)?.requestIP?.(request)?.address,
    env: opts.env,
  };
}
