/**
 * @module Runtime pieces shared by Node, Bun and Deno (all three implement node:crypto natively).
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FetchLike, Hasher, LogFields, Logger, RemoteAddress, Runtime, SqlDb } from '../../ports.js';

/** SHA-256 through node:crypto (~25× faster per call than crypto.subtle on Node). */
export const nodeCryptoHasher: Hasher = {
  async sha256Hex(input) {
    return createHash('sha256').update(input, 'utf8').digest('hex');
  },
  async hmacSha256Hex(key, input) {
    return createHmac('sha256', key).update(input, 'utf8').digest('hex');
  },
};

/** Random bytes as lowercase hex. */
/**
 * Random bytes as hex, drawn from a pooled buffer refilled 4 KiB at a time: one `randomBytes` call
 * per id was a visible share of ingest CPU (ids, cookies and session ids are minted per event).
 */
export const randomHex = (() => {
  const POOL = 4096;
  let pool = randomBytes(POOL);
  let at = 0;
  return (bytes: number): string => {
    if (bytes > POOL) return randomBytes(bytes).toString('hex');
    if (at + bytes > POOL) {
      pool = randomBytes(POOL);
      at = 0;
    }
    const hex = pool.toString('hex', at, at + bytes);
    at += bytes;
    return hex;
  };
})();

/** One JSON line per log record through `write`; records below `level` are dropped. */
export function jsonLineLogger(level: string, write: (line: string) => void): Logger {
  const order = ['debug', 'info', 'warn', 'error', 'silent'];
  const min = Math.max(0, order.indexOf(level));
  const at = (lvl: string) => (msg: string, fields?: LogFields) => {
    if (order.indexOf(lvl) >= min) write(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...fields }));
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * A Runtime for a long-running server with node:crypto and its own SQLite (Bun, Deno): only the
 * store and how the client address is found differ between them.
 */
export function serverRuntime(parts: {
  name: 'bun' | 'deno';
  db: SqlDb;
  log: Logger;
  env: Record<string, string | undefined>;
  remoteAddress: RemoteAddress;
  fetch?: FetchLike;
}): Runtime {
  return {
    name: parts.name,
    hash: nodeCryptoHasher,
    db: parts.db,
    // Bun's and Deno's fetch keep connections alive per origin already; no pool needed.
    fetch: parts.fetch ?? ((input, init) => fetch(input, init)),
    now: Date.now,
    log: parts.log,
    randomHex,
    waitUntil: (p) => void p.catch(() => undefined),
    defer: (fn) => void setImmediate(fn),
    remoteAddress: parts.remoteAddress,
    env: parts.env,
  };
}
