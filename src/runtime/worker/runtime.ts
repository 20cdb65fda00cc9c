/**
 * @module The Workers runtime: crypto.subtle hashing, a D1 store, global fetch, console JSON logs.
 */
import type { LogFields, Logger, Runtime } from '../../ports.js';
import { d1SqlDb, type D1Database } from './d1.js';
import type { QueueProducer } from './queue-outbox.js';

/** Bindings and vars of the Worker (wrangler.toml). */
export interface WorkerEnv {
  /** The D1 database that holds the record log, the delivery state and log, and the embedded warehouse. */
  DB?: D1Database;
  /** Optional Queue producer: when bound, each commit sends one wake-up message on it, never a payload (the Worker must also consume it). */
  OUTBOX?: QueueProducer;
  [name: string]: unknown;
}

/** The Workers runtime, plus a promise of everything handed to `waitUntil` so far. */
export interface WorkerRuntime extends Runtime {
  /** Settles once every promise passed to `waitUntil` until now has; give it to each request's ctx.waitUntil. */
  settle(): Promise<void>;
}

/** One JSON object per record: Workers Logs indexes its fields. */
export function workerLogger(level = 'info'): Logger {
  const order = ['debug', 'info', 'warn', 'error', 'silent'];
  const min = Math.max(0, order.indexOf(level));
  const write = (lvl: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: LogFields) => {
    if (order.indexOf(lvl) >= min) console[lvl === 'debug' ? 'log' : lvl](JSON.stringify({ level: lvl, msg, ...fields }));
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

const hex = (buf: ArrayBuffer) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** Only string vars and secrets are configuration values; bindings (DB, queues) are objects. */
export function stringVars(env: WorkerEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * @example
 * const runtime = workerRuntime(env.DB, env)
 */
export function workerRuntime(d1: D1Database, env: WorkerEnv): WorkerRuntime {
  const encoder = new TextEncoder();
  const hmacKeys = new Map<string, Promise<CryptoKey>>();
  const pending = new Set<Promise<unknown>>();
  const vars = stringVars(env);
  return {
    name: 'workers',
    hash: {
      async sha256Hex(input) {
        return hex(await crypto.subtle.digest('SHA-256', encoder.encode(input)));
      },
      async hmacSha256Hex(key, input) {
        let k = hmacKeys.get(key);
        if (!k) {
          k = crypto.subtle.importKey('raw', encoder.encode(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
          hmacKeys.set(key, k);
        }
        return hex(await crypto.subtle.sign('HMAC', await k, encoder.encode(input)));
      },
    },
    db: d1SqlDb(d1),
    fetch: (input, init) => fetch(input, init),
    now: Date.now,
    log: workerLogger(vars.TAGRELAY_LOG_LEVEL),
    randomHex: (bytes) => hex(crypto.getRandomValues(new Uint8Array(bytes)).buffer as ArrayBuffer),
    // The port has no request in hand, so promises are collected here and each request's ctx.waitUntil
    // takes whatever is pending when its response is ready (see main.ts).
    // Workers has no setImmediate; a macrotask still lets requests in flight join the same commit.
    defer: (fn) => void setTimeout(fn, 0),
    waitUntil(p) {
      const tracked = p.catch(() => undefined).finally(() => pending.delete(tracked));
      pending.add(tracked);
    },
    async settle() {
      await Promise.all([...pending]);
    },
    remoteAddress: (request) => request.headers.get('cf-connecting-ip') ?? undefined,
    env: vars,
  };
}
