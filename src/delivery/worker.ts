/**
 * @module The delivery worker: per destination, reads the record log past its cursor (and retries that
 * came due), decides each record (`decide()`), sends with many requests in flight, and settles the
 * outcomes in batched transactions together with the cursor.
 */
import type { SqlDb, Logger, FetchLike, PostgresPort, SqlStatement } from '../ports.js';
import { createSqlSource, type DeliverySource, type DestinationSettlement, type SourceRow } from './source.js';
import type { OutboxItem, SendContext, SendResult } from '../destinations/types.js';
import type { DeliveryConfig } from './config.js';
import { isRetryableStatus, parseRetryAfter, postJson } from '../destinations/http.js';
import { classifySend, createBreaker, type Breaker, type BreakerSnapshot } from './breaker.js';
import { decide, type ActiveDestination } from './decide.js';
import { createRecordCache, type RecordCache, type EventRecord } from './record.js';
import { noCounts, type DeliveryItem, type ItemOutcome, type SettleCounts } from './settle.js';
import type { DeliveryObserver } from './observer.js';
import { createLimiter, type Limiter } from './limiter.js';
import { checkEvent, decidePlan, type Plan } from '../rules/plan.js';
import { recordEvent } from './record.js';

export type { ActiveDestination } from './decide.js';

/** Counters for metrics and tests. */
export interface DeliveryStats {
  delivered: number;
  retried: number;
  dead: number;
  /** Decided not to send (dropped by consent, skipped by the mapper). */
  decided: number;
  /** Circuit breaker per destination id, as of now. */
  readonly breakers: Record<string, BreakerSnapshot>;
}

/** The delivery loop of one instance. */
export interface Worker {
  /** New records were committed: look for work (after each destination's batch wait). */
  wake(): void;
  /** Run until nothing is due now and nothing is in flight (tests, shutdown). */
  drain(): Promise<void>;
  start(): Promise<void>;
  /** Stop claiming, wait for in-flight sends and their settlement. */
  stop(): Promise<void>;
  /** Set while outcomes cannot be recorded (the store refuses writes): delivery is paused. */
  readonly fault: string | undefined;
  readonly stats: DeliveryStats;
}

/** Everything the worker needs. */
export interface WorkerDeps {
  db: SqlDb;
  destinations: ActiveDestination[];
  config: DeliveryConfig;
  fetch: FetchLike;
  now: () => number;
  log: Logger;
  random: () => number;
  /** Yield to pending I/O (Node's setImmediate). */
  defer?: (fn: () => void) => void;
  postgres?: PostgresPort;
  /** The configuration the decisions are made under (recorded with each decision). */
  configVersion?: () => string;
  /** Records this process accepted, already parsed. */
  records?: RecordCache;
  /** The current tracking plan: a quarantined record is sent once it passes (after a replay). */
  plan?: () => Plan | undefined;
  /** Work that comes due with time (journey triggers): run on every poll and at the start of every drain. */
  due?: () => Promise<unknown>;
  /** Where work is claimed and outcomes recorded (default: the embedded store, `createSqlSource(db)`). */
  source?: DeliverySource;
  /** Told of each decision, vendor call and settlement (metrics, the live debug stream). */
  observer?: DeliveryObserver;
}

interface DestState {
  dest: ActiveDestination;
  breaker: Breaker;
  limiter: Limiter;
  /** Every record up to here is settled or waits in delivery_retry (persisted). */
  cursor: number;
  /** The highest record claimed. */
  claimed: number;
  /** Claimed records from the log not settled yet. */
  open: Set<number>;
  /** Retry rows in flight. */
  retrying: Set<number>;
  /** Outcomes waiting for the next settle commit. */
  done: { item: DeliveryItem; outcome: ItemOutcome }[];
  pumping: boolean;
  /** The last pump started (running while `pumping`): drain and stop wait for it. */
  running?: Promise<void>;
  timer?: ReturnType<typeof setTimeout>;
  /** A half-open breaker lets one send through as the probe. */
  probing: boolean;
  /** Until when the vendor asked us to wait (Retry-After on a refused request), epoch ms. */
  hold: { until: number };
  /** The fetch this destination sends through: notes a Retry-After as soon as a request gets one. */
  fetch: FetchLike;
}

export { openCursors } from './source.js';

/** Most outcomes recorded in one settle transaction. */
const SETTLE_MAX_ITEMS = 100;

/** How long an outcome may wait for others to share its settle transaction. */
const SETTLE_WAIT_MS = 20;

/**
 * `fetch` for one destination that honours a vendor's Retry-After at once: after a refusal with
 * Retry-After (429/503), its POSTs until then are not sent but answered here as that refusal, so the
 * destination retries them after the hint. A request queued under `max_in_flight` behind the refused
 * one does not go out right after it, and nothing waits in the meantime.
 */
function holdingFetch(fetch: FetchLike, now: () => number, hold: { until: number }): FetchLike {
  const wrapped = ((input: string | URL | Request, init?: RequestInit) => fetch(input, init)) as FetchLike;
  wrapped.post = async (url, body, timeoutMs, headers) => {
    const wait = hold.until - now();
    if (wait > 0) return { ok: true, status: 429, text: 'not sent: the vendor asked to wait (Retry-After)', retryAfter: String(Math.ceil(wait / 1000)) };
    const res = await postJson(fetch, url, body, timeoutMs, headers);
    if (res.ok && isRetryableStatus(res.status)) {
      const after = parseRetryAfter(res.retryAfter, now());
      if (after !== undefined && after > 0) hold.until = Math.max(hold.until, now() + after);
    }
    return res;
  };
  return wrapped;
}

type Row = SourceRow;

/**
 * @example
 * const worker = createWorker({ db, destinations, config: config.delivery, fetch, now, log, random: Math.random })
 * await worker.start()
 */
export function createWorker(deps: WorkerDeps): Worker {
  const { db, config, log } = deps;
  const source = deps.source ?? createSqlSource(db);
  const defer = deps.defer ?? ((fn: () => void) => void setTimeout(fn, 0));
  const yieldToIo = () => new Promise<void>((done) => defer(done));
  const counts: SettleCounts = { delivered: 0, retried: 0, dead: 0, decided: 0 };
  const states: DestState[] = deps.destinations.map((dest) => {
    const breaker = createBreaker(config.breaker);
    const state: DestState = {
      dest,
      breaker,
      limiter: createLimiter(dest.config.max_in_flight ?? dest.kind.maxInFlight),
      cursor: 0,
      claimed: 0,
      open: new Set(),
      retrying: new Set(),
      done: [],
      pumping: false,
      probing: false,
      hold: { until: 0 },
      fetch: deps.fetch,
    };
    state.fetch = holdingFetch(deps.fetch, deps.now, state.hold);
    return state;
  });
  const stats: DeliveryStats = {
    get delivered() {
      return counts.delivered;
    },
    get retried() {
      return counts.retried;
    },
    get dead() {
      return counts.dead;
    },
    get decided() {
      return counts.decided;
    },
    get breakers() {
      return Object.fromEntries(states.map((s) => [s.dest.config.id, s.breaker.snapshot()]));
    },
  } as DeliveryStats;
  const cache = deps.records ?? createRecordCache(4 * config.claim_batch);
  const sends = new Set<Promise<void>>();
  let stopped = true;
  /** `stop()` was called (and no `start()` or `drain()` since): a drain still running ends, nothing claims any more. */
  let halted = false;
  /** drain() runs even when the background loop is stopped (Workers: no timers outlive a request). */
  let draining = 0;
  let fault: string | undefined;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * Items claimed per destination at most (in flight or waiting to settle): one claim batch. It bounds
   * what a crash can send twice (sent, outcome not yet recorded) to one batch per destination.
   */
  const window = config.claim_batch;

  // ---- settlement: outcomes of every destination, committed together with the cursors ----
  let settleScheduled = false;
  let settling: Promise<void> = Promise.resolve();
  let faultDelay = 0;

  let settleTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Outcomes are recorded in batches: GA4 answers one request per event, each at its own moment, and a
   * transaction per answer would cost more than the send. They wait up to `SETTLE_WAIT_MS` (or until a
   * full batch) unless a drain or stop waits for them. They stay counted against the claim window
   * until recorded, so a crash still resends at most one window.
   */
  function scheduleSettle(): void {
    const pending = states.reduce((n, st) => n + st.done.length, 0);
    const now = draining > 0 || stopped || pending >= SETTLE_MAX_ITEMS;
    if (settleScheduled && !(now && settleTimer)) return;
    if (settleTimer) clearTimeout(settleTimer);
    settleTimer = undefined;
    settleScheduled = true;
    const run = () => {
      settleTimer = undefined;
      settling = settling.then(settleNow);
    };
    if (now) defer(run);
    else settleTimer = setTimeout(run, SETTLE_WAIT_MS);
  }

  /** Record waiting outcomes now instead of at the end of their wait (drain, stop). */
  function settleWaiting(): void {
    if (!settleTimer) return;
    clearTimeout(settleTimer);
    settleTimer = undefined;
    settling = settling.then(settleNow);
  }

  async function settleNow(): Promise<void> {
    settleScheduled = false;
    const now = deps.now();
    const batches: DestinationSettlement[] = [];
    const taken: { state: DestState; done: DestState['done'] }[] = [];
    const local = new Map<DestState, number>();
    // Bounded transactions: the accepting side (another thread on Node) waits for the write lock
    // while one commits, so a large settle would stall its requests; the rest goes in the next one.
    let budget = SETTLE_MAX_ITEMS;
    for (const state of states) {
      if (state.done.length === 0 || budget === 0) continue;
      const done = state.done.length <= budget ? state.done : state.done.slice(0, budget);
      state.done = done === state.done ? [] : state.done.slice(budget);
      budget -= done.length;
      taken.push({ state, done });
      // The embedded warehouse: its rows commit with the outcome (exactly once).
      const rows: SqlStatement[] = [];
      if (state.dest.kind.local) {
        for (const { item, outcome } of done) if (outcome.kind === 'delivered') rows.push(...state.dest.kind.local(item.decision.payload, state.dest.config));
      }
      for (const { item } of done) {
        if (item.retrying) state.retrying.delete(item.seq);
        else state.open.delete(item.seq);
      }
      local.set(state, cursorOf(state));
      const resumeAt = state.breaker.state === 'open' ? state.breaker.openUntil : undefined;
      batches.push({ destinationId: state.dest.config.id, done, cursor: cursorOf(state), local: rows, resumeAt, counted: noCounts() });
    }
    if (batches.length === 0) return;
    try {
      await source.settle(batches, { now, config, random: deps.random, configVersion: deps.configVersion?.() }, counts);
      for (const [state, cursor] of local) state.cursor = cursor;
      if (states.some((st) => st.done.length > 0)) scheduleSettle();
      if (deps.observer) for (const b of batches) deps.observer.settled(b.destinationId, b.counted, b.done, now);
      if (fault) log.info('delivery resumed: outcomes are recorded again', {});
      fault = undefined;
      faultDelay = 0;
    } catch (err) {
      // Outcomes that cannot be recorded are kept in memory and never sent again meanwhile: the
      // worker pauses (no new claims) and retries the commit with backoff until the store takes it.
      for (const { state, done } of taken) {
        state.done = [...done, ...state.done];
        for (const { item } of done) (item.retrying ? state.retrying : state.open).add(item.seq);
      }
      const message = err instanceof Error ? err.message : String(err);
      if (fault !== message) log.error('delivery paused: outcomes cannot be recorded', { error: message.slice(0, 300) });
      fault = message;
      faultDelay = Math.min(30_000, Math.max(250, faultDelay * 2));
      setTimeout(() => {
        settling = settling.then(settleNow);
      }, faultDelay);
      return;
    }
    for (const state of states) pump(state);
  }

  function cursorOf(state: DestState): number {
    let min = state.claimed;
    for (const seq of state.open) if (seq - 1 < min) min = seq - 1;
    return min;
  }

  // ---- claiming and sending ----
  /**
   * A quarantined record goes to the dead-letter store at every destination; replayed (a retry), it is
   * checked against the current plan and sent once it passes.
   */
  function quarantined(record: EventRecord, retrying: boolean): EventRecord | string {
    if (!record.quarantine) return record;
    if (!retrying) return record.quarantine;
    const plan = deps.plan?.();
    if (plan && decidePlan(checkEvent(recordEvent(record), plan), plan) === 'quarantine') return record.quarantine;
    const { quarantine: _q, ...cleared } = record;
    return cleared;
  }

  function toItem(state: DestState, row: Row, retrying: boolean): DeliveryItem {
    const checked = quarantined(cache.read(row), retrying);
    const record = typeof checked === 'string' ? cache.read(row) : checked;
    const decision = decide(record, state.dest);
    if (typeof checked === 'string') decision.reasons.push(checked);
    const item: DeliveryItem = {
      seq: row.seq,
      event_id: row.event_id,
      name: record.name,
      received_at: row.received_at,
      attempts: row.attempts ?? 0,
      retrying,
      decision,
      deadPayload: () => decide({ ...record, ip: undefined, user_agent: undefined }, state.dest).payload,
      ...(typeof checked === 'string' ? { quarantine: checked } : {}),
    };
    deps.observer?.decided(state.dest.config.id, item);
    return item;
  }

  async function claim(state: DestState, most: number): Promise<DeliveryItem[]> {
    const inFlight = state.open.size + state.retrying.size;
    let room = Math.min(most, window - inFlight);
    if (state.probing || room <= 0) return [];
    const id = state.dest.config.id;
    const now = deps.now();
    const items: DeliveryItem[] = [];
    const due = await source.due(id, now, room + state.retrying.size);
    for (const row of due) {
      if (state.retrying.has(row.seq) || room <= 0) continue;
      state.retrying.add(row.seq);
      items.push(toItem(state, row, true));
      room--;
    }
    if (room > 0) {
      const rows = await source.next(id, state.claimed, room);
      for (const row of rows) {
        if (row.settled) continue;
        state.open.add(row.seq);
        items.push(toItem(state, row, false));
      }
      if (rows.length > 0) state.claimed = rows[rows.length - 1]!.seq;
    }
    return items;
  }

  function finish(state: DestState, settled: { item: DeliveryItem; outcome: ItemOutcome }[]): void {
    for (const s of settled) state.done.push(s);
    scheduleSettle();
  }

  async function send(state: DestState, items: DeliveryItem[]): Promise<void> {
    const { dest, breaker } = state;
    const outgoing: OutboxItem<unknown>[] = items.map((i) => ({ id: i.seq, event_id: i.event_id, payload: i.decision.payload, attempts: i.attempts, created_at: i.received_at }));
    let result: SendResult;
    const started = performance.now();
    if (dest.kind.local) {
      result = { delivered: outgoing.map((o) => o.id), retry: [], failed: [] };
    } else {
      const ctx: SendContext = { fetch: deps.observer?.fetchFor?.(dest.config.id, items, state.fetch) ?? state.fetch, now: deps.now, log, db, postgres: deps.postgres, limit: state.limiter.run };
      try {
        result = await dest.kind.send(outgoing, dest.config, ctx);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        log.warn('send failed', { destination: dest.config.id, error: message.slice(0, 200) });
        result = { delivered: [], failed: [], retry: outgoing.map((i) => ({ id: i.id, error: `send threw: ${message}` })) };
      }
      observe(state, result);
    }
    deps.observer?.sent(dest.config.id, items, result, performance.now() - started);
    const outage = breaker.state === 'open';
    const bySeq = new Map(items.map((i) => [i.seq, i]));
    const settled: { item: DeliveryItem; outcome: ItemOutcome }[] = [];
    const take = (seq: number) => {
      const item = bySeq.get(seq);
      if (item) bySeq.delete(seq);
      return item;
    };
    for (const seq of result.delivered) {
      const item = take(seq);
      if (item) settled.push({ item, outcome: { kind: 'delivered' } });
    }
    for (const f of result.failed) {
      const item = take(f.id);
      if (item) settled.push({ item, outcome: { kind: 'failed', error: f.error } });
    }
    for (const r of result.retry) {
      const item = take(r.id);
      if (item) settled.push({ item, outcome: { kind: 'retry', error: r.error, retry_after_ms: r.retry_after_ms, outage } });
    }
    for (const item of bySeq.values()) settled.push({ item, outcome: { kind: 'retry', error: 'no result from send', outage } });
    state.probing = false;
    finish(state, settled);
  }

  /** Feed a send's outcome to the destination's breaker and log when it opens or closes. */
  function observe(state: DestState, result: SendResult): void {
    const { breaker } = state;
    const before = breaker.state;
    breaker.record(classifySend(result), deps.now());
    if (breaker.state === 'open' && before !== 'open') {
      log.warn('delivery breaker opened', { destination: state.dest.config.id, failures: breaker.snapshot().consecutive_failures, cooldown_ms: breaker.openUntil - deps.now() });
    } else if (breaker.state === 'closed' && before !== 'closed') {
      log.info('delivery breaker closed', { destination: state.dest.config.id });
    }
  }

  /** Run the pump, or join the one running now (drain and stop must not return while it claims). */
  function pump(state: DestState): Promise<void> {
    // pumpLoop sets and clears `pumping` synchronously at its start and end: `running` is its promise while set.
    if (state.pumping) return state.running!;
    return (state.running = pumpLoop(state));
  }

  /** Claim and dispatch until the window is full or nothing is due; sends run concurrently. */
  async function pumpLoop(state: DestState): Promise<void> {
    const active = () => !fault && !halted && (!stopped || draining > 0);
    if (state.pumping || !active()) return;
    state.pumping = true;
    try {
      while (active()) {
        if (!state.breaker.allow(deps.now())) {
          const wait = Math.max(0, state.breaker.openUntil - deps.now());
          schedule(state, wait + 1);
          break;
        }
        const probe = state.breaker.state === 'half_open';
        const size = state.dest.config.batch.max_events ?? state.dest.kind.batch.maxEvents;
        // Half-open: one chunk is the probe; the rest waits for its outcome.
        const items = await claim(state, probe ? size : config.claim_batch);
        if (items.length === 0) break;
        const sendable: DeliveryItem[] = [];
        const decided: { item: DeliveryItem; outcome: ItemOutcome }[] = [];
        for (const item of items) {
          if (item.quarantine && item.decision.payload !== undefined) decided.push({ item, outcome: { kind: 'failed', error: item.quarantine } });
          else if (item.decision.payload === undefined) decided.push({ item, outcome: { kind: 'decided' } });
          else sendable.push(item);
        }
        if (decided.length > 0) finish(state, decided);
        if (probe && sendable.length > 0) state.probing = true;
        for (let start = 0; start < sendable.length; start += size) {
          const p: Promise<void> = send(state, sendable.slice(start, start + size)).finally(() => sends.delete(p));
          sends.add(p);
        }
        if (probe) break;
        await yieldToIo();
      }
    } catch (err) {
      log.error('delivery round failed', { destination: state.dest.config.id, error: String(err).slice(0, 200) });
    } finally {
      state.pumping = false;
    }
  }

  function schedule(state: DestState, delay: number): void {
    if (stopped || state.timer) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      void pump(state);
    }, delay);
  }

  /** Null IP and User-Agent of the records every destination has settled. */
  async function sweep(): Promise<void> {
    if (fault) return;
    const settled = states.length === 0 ? Number.MAX_SAFE_INTEGER : Math.min(...states.map((s) => s.cursor));
    await source.sweep(settled).catch((err: unknown) => log.warn('IP/User-Agent sweep failed', { error: String(err).slice(0, 200) }));
  }

  /** The slow loop: retries that came due, replays, anything a wake-up missed, and the IP/User-Agent sweep. */
  function poll(): void {
    if (stopped) return;
    void runDue();
    for (const state of states) void pump(state);
    void sweep();
    pollTimer = setTimeout(poll, config.poll_interval);
  }

  async function runDue(): Promise<void> {
    if (!deps.due || fault) return;
    await deps.due().catch((err: unknown) => log.error('timed work failed', { error: String(err).slice(0, 200) }));
  }

  async function idle(): Promise<boolean> {
    await Promise.all([...sends]);
    await settling;
    return sends.size === 0 && states.every((s) => s.done.length === 0 && !s.pumping);
  }

  return {
    stats,
    get fault() {
      return fault;
    },
    wake() {
      for (const state of states) schedule(state, state.dest.config.batch.max_wait_ms ?? state.dest.kind.batch.maxWaitMs);
    },
    async drain() {
      // A drain asked for after a stop runs (the Workers runtime drains per invocation); one that was
      // running when the stop came ends at its next round.
      halted = false;
      draining++;
      try {
        // Delivery paused on outcomes the store refused: try to record them now (the retry timer may not
        // outlive the invocation that set it, as on Workers).
        if (fault) {
          settling = settling.then(settleNow);
          await settling;
        }
        await runDue();
        for (let round = 0; round < 100_000; round++) {
          // A stop during the drain takes over: it settles what is in flight and closes the store.
          if (halted) return;
          const before = counts.delivered + counts.retried + counts.dead + counts.decided;
          await Promise.all(states.map((s) => pump(s)));
          // Outcomes are settled from a deferred callback: let it run (a synchronous store never yields by itself).
          await yieldToIo();
          settleWaiting();
          const quiet = await idle();
          const after = counts.delivered + counts.retried + counts.dead + counts.decided;
          if (halted) return;
          if ((quiet && after === before) || fault) return void (await sweep());
        }
      } finally {
        draining--;
      }
    },
    async start() {
      const cursors = await source.start(states.map((s) => s.dest.config.id));
      for (const state of states) {
        state.cursor = cursors.get(state.dest.config.id) ?? 0;
        state.claimed = state.cursor;
      }
      stopped = false;
      halted = false;
      poll();
    },
    async stop() {
      stopped = true;
      halted = true;
      if (pollTimer) clearTimeout(pollTimer);
      for (const state of states) {
        if (state.timer) clearTimeout(state.timer);
        state.timer = undefined;
      }
      await Promise.all(states.map((s) => (s.pumping ? s.running : undefined)));
      await Promise.all([...sends]);
      settleWaiting();
      await settling;
      while (states.some((s) => s.done.length > 0) && !fault) await settleNow();
      await sweep();
    },
  };
}
