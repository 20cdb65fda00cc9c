/**
 * @module The Deno runtime: node:crypto hashing, node:sqlite, global fetch, JSON logs.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FetchLike, LogFields, Logger, Runtime } from '../../ports.js';
import { openNodeSqlite } from './db.js';

/** What Deno.serve hands the handler as its second argument (Hono's `c.env`). */
export interface DenoServeInfo {
  remoteAddr: { hostname: string; port: number };
}

/** One JSON line per log record on stderr; level threshold from TAGRELAY_LOG_LEVEL. */
export function denoLogger(level = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error', 'silent'];
  const min = Math.max(0, order.indexOf(level));
  const write = (lvl: string) => (msg: string, fields?: LogFields) => {
    if (order.indexOf(lvl) >= min) console.error(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * @example
 * const runtime = denoRuntime({ file: './data/tagrelay.db', env: Deno.env.toObject(), log: denoLogger() })
 */
export function denoRuntime(opts: { file: string; env: Record<string, string | undefined>; log: Logger; fetch?: FetchLike }): Runtime {
  return {
    name: 'deno',
    hash: {
      // Deno implements node:crypto's createHash natively; it avoids a promise hop per hash.
      async sha256Hex(input) {
        return createHash('sha256').update(input, 'utf8').digest('hex');
      },
      async hmacSha256Hex(key, input) {
        return createHmac('sha256', key).update(input, 'utf8').digest('hex');
      },
    },
    db: openNodeSqlite(opts.file),
    fetch: opts.fetch ?? ((input, init) => fetch(input, init)),
    now: Date.now,
    log: opts.log,
    randomHex: (bytes) => randomBytes(bytes).toString('hex'),
    waitUntil: (p) => void p.catch(() => undefined),
    defer: (fn) => void setImmediate(fn),
    remoteAddress: (_request, env) => (env as DenoServeInfo | undefined)?.remoteAddr?.hostname,
    env: opts.env,
  };
}
