/**
 * @module The Deno runtime: node:crypto hashing, node:sqlite, global fetch, JSON logs.
 */
import { jsonLineLogger, serverRuntime } from '../shared/node-compat.js';
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
  return serverRuntime({
    name: 'deno',
    db: openNodeSqlite(opts.file),
    log: opts.log,
    env: opts.env,
    fetch: opts.fetch,
    remoteAddress: (_request, env) => (env as DenoServeInfo | undefined)?.remoteAddr?.hostname,
  });
}
