/**
 * @module The Bun runtime: node:crypto hashing (native in Bun), bun:sqlite, global fetch, JSON logs.
 */
import { jsonLineLogger, serverRuntime } from '../shared/node-compat.js';
import type { FetchLike, Logger, Runtime } from '../../ports.js';
import { openBunSqlite } from './db.js';

/** The slice of Bun's server API tagrelay uses (bun-types is not installed). */
export interface BunServer {
  readonly port: number;
  readonly pendingRequests: number;
  requestIP(request: Request): { address: string } | null;
  stop(closeActiveConnections?: boolean): Promise<void>;
}

/** One JSON line per log record on stderr. */
export function bunLogger(level = 'info'): Logger {
  return jsonLineLogger(level, (line) => console.error(line));
}

/**
 * @example
 * const runtime = bunRuntime({ file: './data/tagrelay.db', env: process.env, log: bunLogger() })
 */
export function bunRuntime(opts: { file: string; env: Record<string, string | undefined>; log: Logger; fetch?: FetchLike }): Runtime {
  return serverRuntime({
    name: 'bun',
    db: openBunSqlite(opts.file),
    log: opts.log,
    env: opts.env,
    fetch: opts.fetch,
    // Bun hands its server to the fetch handler as the second argument, which Hono exposes as `c.env`.
    remoteAddress: (request, env) => (env as BunServer | undefined)?.requestIP?.(request)?.address,
  });
}
