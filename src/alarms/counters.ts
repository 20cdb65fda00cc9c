/**
 * @module Where the alarms read their counts, and how evaluators on several instances agree. The
 * embedded store rolls its own tables up (rollup.ts: one instance's traffic); `store.kind: redis`
 * keeps the counters in Redis, written on the accept and delivery-outcome paths of every instance
 * (src/store/redis/alarms.ts), and coordinates the evaluator lease and each alarm's transitions there.
 */
import type { SqlDb } from '../ports.js';
import type { Alarm } from './message.js';
import type { AlarmsConfig } from './config.js';
import { BUCKET_MS } from './schema.js';
import { historySince, initRollup, lastSeen, rollUp, windowSums, type WindowSums } from './rollup.js';

/** The counts the evaluator judges: per 5-minute bucket, `metric` × `key` (see rollup.ts for the metrics). */
export interface AlarmCounterStore {
  /** Once, before the first tick. */
  prepare(now: number): Promise<void>;
  /** Bring the counts up to `now` and drop buckets older than `keepMs` (nothing to do where counts are written as they happen). */
  rollUp(now: number, keepMs: number): Promise<void>;
  /** Sums of [end − window, end) and the same span on each of the `days` days before. */
  windowSums(opts: { end: number; window: number; days: number; metrics: readonly string[] }): Promise<WindowSums>;
  /** When each event name was last received. */
  lastSeen(): Promise<Map<string, number>>;
  /** When the counts' history starts (epoch ms). */
  historySince(): Promise<number | undefined>;
}

/**
 * Evaluators on several instances sharing one set of counters: one holds the lease, and each alarm
 * fires and resolves once whichever instance evaluates (the open alarms are shared).
 */
export interface AlarmCluster {
  /** Take or renew the evaluator lease for `ms`; false when another instance holds it. */
  acquire(owner: string, now: number, ms: number): Promise<boolean>;
  release(owner: string): Promise<void>;
  /** The alarms open across instances, by key. */
  open(): Promise<Map<string, Alarm>>;
  /** Open `alarm` unless its key is open already: true for exactly one caller. */
  claimFire(alarm: Alarm): Promise<boolean>;
  /** Record the open alarm's local id (for the notices of other instances). */
  update(alarm: Alarm): Promise<void>;
  /** Close `alarm` if it is still the one open under its key: true for exactly one caller. */
  claimResolve(alarm: Alarm): Promise<boolean>;
  /** Undo a claimed fire whose local record failed (another tick fires it again). */
  unfire(alarm: Alarm): Promise<void>;
}

/**
 * The embedded store's counters: the rollup of its own tables (the behaviour of a single instance).
 *
 * @example
 * const counters = sqliteAlarmCounters(db)
 */
export function sqliteAlarmCounters(db: SqlDb): AlarmCounterStore {
  return {
    prepare: (now) => initRollup(db, now),
    rollUp: (now, keepMs) => rollUp(db, now, keepMs),
    windowSums: (opts) => windowSums(db, opts),
    lastSeen: () => lastSeen(db),
    historySince: () => historySince(db),
  };
}

/**
 * How long counts must be kept: the alarms' history and the bucket filling now; 0 when alarms are off
 * (then nothing is counted).
 *
 * @example
 * createRedisStore({ ..., alarmKeepMs: alarmKeepMs(config.alarms) })
 */
export function alarmKeepMs(config: Pick<AlarmsConfig, 'enabled' | 'history_days'>): number {
  return config.enabled ? (config.history_days + 1) * 86_400_000 + BUCKET_MS : 0;
}
