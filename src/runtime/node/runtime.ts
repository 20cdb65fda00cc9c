/**
 * @module The Node runtime: createHash, better-sqlite3, an undici-backed fetch, JSON logs.
 */
import { jsonLineLogger, nodeCryptoHasher, randomHex } from '../shared/node-compat.js';
import { join } from 'node:path';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import type { DeliveryBridge, FetchLike, Logger, PostgresPort, Runtime, RuntimeStats } from '../../ports.js';
import type { RedisPort } from '../../store/redis/port.js';
import { openSqlite } from './db.js';
import { createPostgresPort } from './postgres.js';
import { startDeliveryThread } from './delivery-thread.js';
import type { Config } from '../../config/schema.js';

/** One JSON line per log record on stderr; level threshold from TAGRELAY_LOG_LEVEL. */
export function jsonLogger(level: string = process.env.TAGRELAY_LOG_LEVEL ?? 'info'): Logger {
  return jsonLineLogger(level, (line) => process.stderr.write(line + '\n'));
}

/**
 * Keep-alive connection pools per origin (measured ~6× the request rate of global fetch here), and
 * `post` through undici's `request` on the same pools: the destinations' POSTs skip the WHATWG
 * Request/Response/stream objects and the AbortSignal per request, which were a third of the CPU of
 * one GA4 delivery in a profile. Timeouts are undici's headers/body timeouts for that request.
 */
export function pooledFetch(): FetchLike {
  // undici is loaded on the first vendor request, not at start (its import costs ~75 ms here).
  let pool: Promise<{ undici: typeof import('undici'); dispatcher: import('undici').Agent }> | undefined;
  // 64 connections per origin: GA4's default max_in_flight (one request per event) without queueing.
  const load = () =>
    (pool ??= import('undici').then((undici) => ({
      undici,
      dispatcher: new undici.Agent({ connections: 64, keepAliveTimeout: 30_000, pipelining: 1 }),
    })));
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const { undici, dispatcher } = await load();
    return undici.fetch(input as never, { ...(init as object), dispatcher } as never);
  }) as unknown as FetchLike;
  fetch.post = async (url, body, timeoutMs, headers) => {
    const { undici, dispatcher } = await load();
    try {
      const res = await undici.request(url, { method: 'POST', headers, body, dispatcher, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
      const text = await res.body.text();
      const retryAfter = res.headers['retry-after'];
      return { ok: true, status: res.statusCode, text, retryAfter: (Array.isArray(retryAfter) ? retryAfter[0] : retryAfter) ?? null };
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return { ok: false, error: `timeout after ${timeoutMs}ms` };
      return { ok: false, error: `network error: ${err instanceof Error ? err.message : String(err)}` };
    }
  };
  return fetch;
}

/** One event-loop delay monitor per process (20 ms resolution), started by the first runtime. */
let loopDelay: IntervalHistogram | undefined;

function watchLoopDelay(): IntervalHistogram {
  if (!loopDelay) {
    loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
  }
  return loopDelay;
}

/** Event-loop delay since the previous call (the histogram is reset) and memory, for /metrics. */
export function nodeStats(): RuntimeStats {
  const h = watchLoopDelay();
  const ns = 1e-9;
  const delay = h.count === 0 ? undefined : { p50: h.percentile(50) * ns, p99: h.percentile(99) * ns, max: h.max * ns, mean: h.mean * ns };
  h.reset();
  const m = process.memoryUsage();
  return { event_loop_delay: delay, memory: { rss: m.rss, heap_used: m.heapUsed, heap_total: m.heapTotal, external: m.external } };
}

/**
 * @example
 * const runtime = nodeRuntime({ dataDir: './data' })
 */
export function nodeRuntime(opts: {
  dataDir: string;
  file?: string;
  log?: Logger;
  now?: () => number;
  fetch?: FetchLike;
  postgres?: PostgresPort;
  redis?: RedisPort;
  /** Deliver on a worker thread over the same store file (the server does; in-process apps do not). */
  deliveryThread?: boolean;
  /** WAL pages after which this connection's commits checkpoint (SQLite's default 1,000). */
  checkpointPages?: number;
}): Runtime {
  const log = opts.log ?? jsonLogger();
  const file = opts.file ?? join(opts.dataDir, 'tagrelay.db');
  watchLoopDelay();
  return {
    name: 'node',
    hash: nodeCryptoHasher,
    // With delivery on a thread: that thread's commits checkpoint the WAL (this one only past 40 MiB),
    // and a commit that finds the thread holding the write lock waits on a timer, not in the event loop.
    db: openSqlite(file, opts.deliveryThread ? { autoCheckpoint: 10_000, yieldOnBusy: true } : { autoCheckpoint: opts.checkpointPages }),
    fetch: opts.fetch ?? pooledFetch(),
    now: opts.now ?? Date.now,
    log,
    randomHex,
    waitUntil: (p) => void p.catch(() => undefined),
    // setTimeout(fn, 0) is at least 1 ms on Node; setImmediate runs right after the current I/O phase.
    defer: (fn) => void setImmediate(fn),
    // @hono/node-server's bindings (hono's getConnInfo reads the same socket, but throws without
    // them, e.g. app.fetch in process, and a throw per request cost ~30 µs).
    remoteAddress: (_request, env) => {
      const bindings = env as { incoming?: { socket?: { remoteAddress?: string } }; server?: { incoming?: { socket?: { remoteAddress?: string } } } } | undefined;
      return (bindings?.server ?? bindings)?.incoming?.socket?.remoteAddress;
    },
    env: process.env,
    postgres: opts.postgres ?? createPostgresPort({ log }),
    redis: opts.redis,
    ...(opts.deliveryThread ? { separateDelivery: (config: Config, bridge: DeliveryBridge) => startDeliveryThread({ config, file, log, bridge }) } : {}),
    stats: nodeStats,
  };
}
