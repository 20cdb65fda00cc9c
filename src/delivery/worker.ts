/**
 * @module The delivery worker: claims due outbox items per destination, sends, retries, dead-letters.
 */
import type { SqlDb, Logger, FetchLike, PostgresPort } from '../ports.js';
import type { Destination, OutboxItem, SendResult } from '../destinations/types.js';
import type { DestinationConfig } from '../destinations/index.js';
import type { DeliveryConfig } from './config.js';
import { backoffDelay } from './backoff.js';
import { classifySend, createBreaker, type Breaker, type BreakerSnapshot } from './breaker.js';

/** A configured destination with its kind. */
export interface ActiveDestination {
  config: DestinationConfig;
  kind: Destination<any, any>;
}

interface Row {
  id: number;
  event_id: string;
  payload: string;
  attempts: number;
  created_at: number;
}

/** Counters for metrics and tests. */
export interface DeliveryStats {
  delivered: number;
  retried: number;
  dead: number;
  /** Circuit breaker per destination id, as of now. */
  readonly breakers: Record<string, BreakerSnapshot>;
}

/** The delivery loop of one instance. */
export interface Worker {
  /** Look for due items now (called after each outbox commit). */
  wake(): void;
  /** Run rounds until nothing is due now; resolves when idle (tests, shutdown). */
  drain(): Promise<void>;
  start(): void;
  /** Stop polling and wait for in-flight sends. */
  stop(): Promise<void>;
  readonly stats: DeliveryStats;
}

/** Records a delivery outcome: (event_id, destination_id, status, attempts, error, updated_at). */
export const DELIVERY_LOG_SQL =
  'INSERT INTO delivery_log (event_id, destination_id, status, attempts, error, updated_at) VALUES (?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT (event_id, destination_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, error = excluded.error, updated_at = excluded.updated_at';

/** Moves an item to the dead-letter store: (destination_id, event_id, payload, reason, attempts, created_at, failed_at). */
export const DEAD_LETTER_SQL =
  'INSERT INTO dead_letter (destination_id, event_id, payload, reason, attempts, created_at, failed_at) VALUES (?, ?, ?, ?, ?, ?, ?)';

/** Statements per settle transaction (two or three per item). */
const SETTLE_SLICE = 300;

/**
 * @example
 * const worker = createWorker({ db, destinations, config: config.delivery, fetch, now, log, random: Math.random })
 * worker.start()
 */
export function createWorker(deps: {
  db: SqlDb;
  destinations: ActiveDestination[];
  config: DeliveryConfig;
  fetch: FetchLike;
  now: () => number;
  log: Logger;
  random: () => number;
  /** Yield to pending I/O between large writes, so ingest requests are not held up by delivery. */
  defer?: (fn: () => void) => void;
  /** PostgreSQL pools for warehouse destinations, when the runtime has them. */
  postgres?: PostgresPort;
}): Worker {
  const { db, config, log } = deps;
  const breakers = new Map<string, Breaker>(deps.destinations.map((d) => [d.config.id, createBreaker(config.breaker)]));
  const yieldToIo = () => new Promise<void>((done) => (deps.defer ?? ((fn) => setTimeout(fn, 0)))(done));
  const stats: DeliveryStats = {
    delivered: 0,
    retried: 0,
    dead: 0,
    get breakers() {
      return Object.fromEntries([...breakers].map(([id, b]) => [id, b.snapshot()]));
    },
  };
  const running = new Map<string, Promise<number>>();
  let stopped = true;

  async function settle(dest: ActiveDestination, items: OutboxItem<unknown>[], result: SendResult): Promise<void> {
    const now = deps.now();
    const byId = new Map(items.map((i) => [i.id, i]));
    const statements: { sql: string; params: (string | number | null)[] }[] = [];
    const log_ = (i: OutboxItem<unknown>, status: string, attempts: number, reason: string | null) =>
      statements.push({
        sql: DELIVERY_LOG_SQL,
        params: [i.event_id, dest.config.id, status, attempts, reason === null ? null : reason.slice(0, 2000), now],
      });
    const dead = (i: OutboxItem<unknown>, reason: string, attempts: number) => {
      statements.push({
        sql: DEAD_LETTER_SQL,
        params: [dest.config.id, i.event_id, JSON.stringify(i.payload), reason, attempts, i.created_at, now],
      });
      statements.push({ sql: 'DELETE FROM outbox WHERE id = ?', params: [i.id] });
      log_(i, 'dead', attempts, reason);
      stats.dead++;
    };
    const seen = new Set<number>();
    for (const id of result.delivered) {
      const i = byId.get(id);
      if (!i || seen.has(id)) continue;
      seen.add(id);
      statements.push({ sql: 'DELETE FROM outbox WHERE id = ?', params: [id] });
      log_(i, 'delivered', i.attempts + 1, null);
      stats.delivered++;
    }
    for (const f of result.failed) {
      const i = byId.get(f.id);
      if (!i || seen.has(f.id)) continue;
      seen.add(f.id);
      dead(i, f.error, i.attempts + 1);
    }
    const retries = [...result.retry];
    for (const i of items) if (!seen.has(i.id) && !retries.some((r) => r.id === i.id)) retries.push({ id: i.id, error: 'no result from send' });
    for (const r of retries) {
      const i = byId.get(r.id);
      if (!i || seen.has(r.id)) continue;
      seen.add(r.id);
      const attempts = i.attempts + 1;
      if (attempts >= config.max_attempts || now - i.created_at >= config.max_age) {
        dead(i, `${r.error} (gave up after ${attempts} attempts)`, attempts);
        continue;
      }
      const delay = backoffDelay(attempts, { base: config.backoff_base, max: config.backoff_max, random: deps.random, retryAfterMs: r.retry_after_ms });
      statements.push({
        sql: 'UPDATE outbox SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?',
        params: [attempts, now + delay, r.error.slice(0, 2000), r.id],
      });
      stats.retried++;
    }
    // Large batches (Meta takes 1000 per request) are settled in slices with a yield between them,
    // so a settle never blocks ingest for long. A crash between slices only redelivers (at least once).
    for (let i = 0; i < statements.length; i += SETTLE_SLICE) {
      if (i > 0) await yieldToIo();
      await db.batch(statements.slice(i, i + SETTLE_SLICE));
    }
  }

  /** Feed a send's outcome to the destination's breaker and log when it opens or closes. */
  function observe(dest: ActiveDestination, breaker: Breaker, result: SendResult): void {
    const before = breaker.state;
    breaker.record(classifySend(result), deps.now());
    if (breaker.state === 'open' && before !== 'open') {
      const s = breaker.snapshot();
      log.warn('delivery breaker opened', { destination: dest.config.id, failures: s.consecutive_failures, cooldown_ms: breaker.openUntil - deps.now() });
    } else if (breaker.state === 'closed' && before !== 'closed') {
      log.info('delivery breaker closed', { destination: dest.config.id });
    }
  }

  /**
   * One round for one destination; returns how many items it claimed. While the destination's breaker
   * is open nothing is claimed or sent, so the items keep their attempts; a breaker that opens mid-round
   * leaves the unsent chunks as they were.
   */
  async function round(dest: ActiveDestination): Promise<number> {
    const breaker = breakers.get(dest.config.id)!;
    if (!breaker.allow(deps.now())) return 0;
    const rows = await db.all<Row>(
      'SELECT id, event_id, payload, attempts, created_at FROM outbox WHERE destination_id = ? AND next_attempt_at <= ? ORDER BY id LIMIT ?',
      [dest.config.id, deps.now(), config.claim_batch],
    );
    if (rows.length === 0) return 0;
    const items: OutboxItem<unknown>[] = rows.map((r) => ({ ...r, payload: JSON.parse(r.payload) }));
    const size = dest.config.batch.max_events ?? dest.kind.batch.maxEvents;
    const ctx = { fetch: deps.fetch, now: deps.now, log, db, postgres: deps.postgres };
    for (let start = 0; start < items.length; start += size) {
      if (start > 0) await yieldToIo();
      // Half-open: the first chunk is the probe; its outcome decides whether the next one goes.
      if (start > 0 && !breaker.allow(deps.now())) break;
      const chunk = items.slice(start, start + size);
      let result: SendResult;
      try {
        result = await dest.kind.send(chunk, dest.config, ctx);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log.warn('send failed', { destination: dest.config.id, error: message.slice(0, 200) });
        result = { delivered: [], failed: [], retry: chunk.map((i) => ({ id: i.id, error: `send threw: ${message}` })) };
      }
      await settle(dest, chunk, result);
      observe(dest, breaker, result);
    }
    return rows.length;
  }

  function runDestination(dest: ActiveDestination): Promise<number> {
    const current = running.get(dest.config.id);
    if (current) return current;
    const p = round(dest)
      .catch((err) => {
        log.error('delivery round failed', { destination: dest.config.id, error: String(err).slice(0, 200) });
        return 0;
      })
      .finally(() => running.delete(dest.config.id));
    running.set(dest.config.id, p);
    return p;
  }

  /** How long a destination waits after new items arrive, to fill a batch (`batch.max_wait_ms`). */
  const waitMs = (d: ActiveDestination) => d.config.batch.max_wait_ms ?? d.kind.batch.maxWaitMs;
  const timers = new Map<string, ReturnType<typeof setTimeout>>();

  function schedule(dest: ActiveDestination, delay: number): void {
    if (stopped || timers.has(dest.config.id)) return;
    timers.set(
      dest.config.id,
      setTimeout(() => {
        timers.delete(dest.config.id);
        void runDestination(dest).then((handled) => {
          // A full claim means more is due: go again at once rather than waiting.
          if (handled >= config.claim_batch) schedule(dest, 0);
        });
      }, delay),
    );
  }

  /** The slow loop: retries that came due and items requeued from the dead-letter store. */
  function poll(): void {
    if (stopped) return;
    for (const dest of deps.destinations) schedule(dest, 0);
    pollTimer = setTimeout(poll, config.poll_interval);
  }
  let pollTimer: ReturnType<typeof setTimeout> | undefined;

  return {
    stats,
    wake() {
      for (const dest of deps.destinations) if (!dest.kind.local) schedule(dest, waitMs(dest));
    },
    async drain() {
      for (;;) {
        await Promise.all([...running.values()]);
        const handled = await Promise.all(deps.destinations.map(runDestination));
        if (handled.every((n) => n === 0)) return;
      }
    },
    start() {
      stopped = false;
      poll();
    },
    async stop() {
      stopped = true;
      if (pollTimer) clearTimeout(pollTimer);
      for (const t of timers.values()) clearTimeout(t);
      timers.clear();
      await Promise.all([...running.values()]);
    },
  };
}
