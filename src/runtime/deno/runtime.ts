/**
 * @module The Deno runtime: node:crypto hashing, node:sqlite, global fetch, JSON logs.
 */
import { jsonLineLogger, nodeCryptoHasher, randomHex } from '../shared/node-compat.js';
import type { FetchLike, Logger, Runtime } from '../../ports.js';
import { openNodeSqlite } from './db.js';

/** What Deno.serve hands the handler as its second argument (Hono's `c.env`). */
export interface DenoServeInfo {
  remoteAddr: { hostname: string; port: number };
}

/** One JSON line per log record on stderr. */
export function denoLogger(level = 'info'): Logger {
  return jsonLineLogger(level, (line) => console.error(line));
}

/**
 * @example
 * const runtime = denoRuntime({ file: './data/tagrelay.db', env: Deno.env.toObject(), log: denoLogger() })
 */
export function denoRuntime(opts: { file: string; env: Record<string, string | undefined>; log: Logger; fetch?: FetchLike }): Runtime {
  return {
    name: 'deno',
    // Deno implements node:crypto natively; it avoids crypto.subtle's cost per hash.
    hash: nodeCryptoHasher,
    db: openNodeSqlite(opts.file),
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    now: Date.now,
    log: opts.log,
    randomHex,
    waitUntil: (p) => void p.catch(() => undefined),
    defer: (fn) => void setImmediate(fn),
    remoteAddress: (_request, env) => (env as DenoServeInfo | undefined)?.remoteAddr?.hostname,
    env: opts.env,
  };
}
