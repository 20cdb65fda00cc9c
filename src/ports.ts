/**
 * @module Ports: the small contracts each runtime (src/runtime/*) implements for the core.
 *
 * The core never imports `node:*`, Bun or Workers APIs; it asks for these instead, so each
 * runtime can hand in its fastest implementation (createHash on Node, crypto.subtle on edge).
 */
import type { Config } from './config/schema.js';
import type { Worker } from './delivery/worker.js';
import type { TagrelayMetrics } from './metrics/tagrelay.js';
import type { DebugHub } from './debug/hub.js';

/** SHA-256 and HMAC-SHA-256, hex-encoded. */
export interface Hasher {
  sha256Hex(input: string): Promise<string>;
  hmacSha256Hex(key: string, input: string): Promise<string>;
}

/** A bound SQL parameter. */
export type SqlValue = string | number | null;

/** One statement for {@link SqlDb.batch}. */
export interface SqlStatement {
  sql: string;
  params?: readonly SqlValue[];
}

/**
 * The embedded store, SQLite dialect: better-sqlite3 on Node, bun:sqlite on Bun, D1 on Workers.
 * `batch` runs its statements in one transaction.
 */
export interface SqlDb {
  exec(sql: string): Promise<void>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  all<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  get<T = Record<string, SqlValue>>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Run the statements in one transaction; resolves to each statement's number of changed rows. */
  batch(statements: readonly SqlStatement[]): Promise<number[]>;
  close(): Promise<void>;
}

/** Structured log line fields. Never put raw PII or secrets in them. */
export type LogFields = Record<string, string | number | boolean | null | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** What came back from one POST: a response, or a transport failure (network error, timeout). */
export type HttpOutcome =
  | { ok: true; status: number; text: string; retryAfter: string | null }
  | { ok: false; error: string };

/**
 * POST a body and read the whole answer; never throws (transport failures and timeouts come back as
 * `{ ok: false }`). `headers` are sent as given (content-type included).
 */
export type PostBody = (url: string, body: string, timeoutMs: number, headers: Record<string, string>) => Promise<HttpOutcome>;

/**
 * The `fetch` shape destinations send through. A runtime may attach `post`, a cheaper path for the
 * POSTs destinations make (Node: undici's `request` on keep-alive pools, without WHATWG
 * Request/Response/stream objects or an AbortSignal per request); without it they go through fetch.
 */
export type FetchLike = ((input: string | URL | Request, init?: RequestInit) => Promise<Response>) & { post?: PostBody };

/** The peer address of a request, as the runtime's server knows it. */
export type RemoteAddress = (request: Request, env: unknown) => string | undefined;

/** A bound PostgreSQL parameter (sent as text; the SQL casts it). */
export type PgValue = string | number | null;

/**
 * Why a PostgreSQL call failed. `sqlstate` is set when the server answered with an error
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html); unset, the connection
 * itself failed (refused, reset, timed out). `message` never holds the connection string.
 */
export interface PgFailure extends Error {
  sqlstate?: string;
}

/** One PostgreSQL database, reached through a bounded pool. Rejects with a {@link PgFailure}. */
export interface PgPool {
  /** `rows`: the rows a SELECT returned (column name → value as `pg` parses it); reports read them. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly PgValue[]): Promise<{ rowCount: number; rows?: T[] }>;
}

/**
 * PostgreSQL for warehouse destinations (`pg` on Node). One pool per connection string,
 * created on first use; `end` closes them all at shutdown.
 */
export interface PostgresPort {
  pool(connectionString: string): PgPool;
  end(): Promise<void>;
}

/** Process figures for /metrics, from the runtime (Node: perf_hooks and process.memoryUsage). */
export interface RuntimeStats {
  /** Event-loop delay over the last scrape interval, seconds. */
  event_loop_delay?: { p50: number; p99: number; max: number; mean: number };
  /** Memory in bytes: rss, heap_used, heap_total, external. */
  memory?: Record<string, number>;
}
import type { RedisPort } from './store/redis/port.js';

/** What a runtime hands to `createApp`. */
export interface Runtime {
  name: 'node' | 'bun' | 'workers' | 'deno' | 'test';
  hash: Hasher;
  db: SqlDb;
  fetch: FetchLike;
  /** Current time, epoch ms (injectable for tests). */
  now(): number;
  log: Logger;
  /** Random bytes as lowercase hex. */
  randomHex(bytes: number): string;
  /** Run `fn` after pending I/O callbacks (Node's setImmediate): lets concurrent requests share one commit. */
  defer(fn: () => void): void;
  /** Keep a promise alive after the response (Workers' ctx.waitUntil); Node just lets it run. */
  waitUntil(promise: Promise<unknown>): void;
  /** The client's socket address (hono's getConnInfo of the runtime's adapter). */
  remoteAddress: RemoteAddress;
  /** Environment variables, for `${VAR}` references and secrets. */
  env: Record<string, string | undefined>;
  /** PostgreSQL client pools; absent on runtimes without TCP sockets (Workers, Deno deploy). */
  postgres?: PostgresPort;
  /** Redis, for `store.kind: redis` (ioredis on Node, Bun and Deno); absent elsewhere. */
  redis?: RedisPort;
  /**
   * Run delivery apart from the accepting event loop (Node: a worker thread over the same store);
   * returns the worker the services drive. Absent: the worker runs in this event loop.
   */
  separateDelivery?: (config: Config, bridge: DeliveryBridge) => Worker;
  /** Process figures for /metrics; absent where the runtime has none (Workers). */
  stats?(): RuntimeStats;
}

/** What delivery done elsewhere reports into: the accepting side's metrics and debug sessions. */
export interface DeliveryBridge {
  metrics: TagrelayMetrics;
  debug: DebugHub;
}

/** A logger that drops everything (tests, tools). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
