/**
 * @module The group commit on Redis: the records of concurrent requests, collected for one event-loop
 * turn, go to Redis in one atomic script — per record `SET seen:<id> NX PX <window>` and, when new,
 * `XADD` to the record log — with the journey-timer changes of the same events. The browser gets its
 * 202 only after Redis confirmed (with `appendfsync always`, after the AOF write reached the disk).
 */
import type { Logger, SqlDb, SqlStatement } from '../../ports.js';
import type { Outbox } from '../../delivery/outbox.js';
import type { EventRecord } from '../../delivery/record.js';
import { timerOpOf, type TimerOp } from '../../rules/triggers.js';
import type { RedisArg, RedisPort } from './port.js';
import type { RedisKeys } from './keys.js';
import { COMMIT } from './scripts.js';
import { createGroupCommit } from '../../delivery/group-commit.js';
import { recordCounterFields } from './alarms.js';

/** What the Redis outbox needs. */
export interface RedisOutboxDeps {
  redis: RedisPort;
  keys: RedisKeys;
  /** How long an event id stays a duplicate (config `dedupe.window`). */
  windowMs: number;
  /** Called with the records that were new, after Redis confirmed. */
  onCommit(stored: readonly EventRecord[]): void;
  schedule(fn: () => void): void;
  /** Statements of this instance's embedded store that ride along (tracking-plan counts): written after, best effort. */
  alongside?: () => SqlStatement[];
  db: SqlDb;
  log: Logger;
  /** How long the alarm counters of a bucket live (0: not counted; src/store/redis/alarms.ts). */
  alarmKeepMs?: number;
}

interface Pending {
  records: readonly EventRecord[];
  ops: TimerOp[];
  local: SqlStatement[];
  resolve(inserted: boolean[]): void;
  reject(err: unknown): void;
}

/** The stored form of a record: its data without IP, User-Agent and position (the stream entry holds those). */
export function recordData(record: EventRecord): string {
  const { ip: _ip, user_agent: _ua, seq: _seq, ...data } = record;
  return JSON.stringify(data);
}

/**
 * @example
 * const outbox = createRedisOutbox({ redis, keys, windowMs: 86_400_000, onCommit, schedule: setImmediate, db, log })
 */
export function createRedisOutbox(deps: RedisOutboxDeps): Outbox {
  const { redis, keys } = deps;
  const keep = deps.alarmKeepMs ?? 0;
  async function commit(group: Pending[]): Promise<void> {
    const args: RedisArg[] = [];
    const data = new Map<string, string>();
    let n = 0;
    for (const g of group) {
      for (const r of g.records) {
        const d = recordData(r);
        data.set(r.event_id, d);
        args.push(r.event_id, r.received_at, d, r.ip ?? '', r.user_agent ?? '', keep > 0 ? recordCounterFields(r) : '');
        n++;
      }
    }
    let m = 0;
    for (const g of group) {
      for (const o of g.ops) {
        if (o.op === 'arm') args.push('arm', o.form, o.trigger_id, o.key, o.now, o.time, o.fire_at, o.source_event_id, o.client_key ?? '', o.snapshot, data.get(o.source_event_id) ?? '');
        else args.push('cancel', '', o.trigger_id, o.key, o.now, o.time, '', '', '', o.reason, '');
        m++;
      }
    }
    const local = group.flatMap((g) => g.local);
    for (const s of deps.alongside?.() ?? []) local.push(s);
    let flags: number[];
    try {
      flags = (await redis.eval(COMMIT, [keys.records, keys.timers], [keys.prefix, deps.windowMs, n, m, keep, ...args])) as number[];
    } catch (err) {
      for (const g of group) g.reject(err);
      return;
    }
    const stored: EventRecord[] = [];
    let at = 0;
    for (const g of group) {
      const inserted = g.records.map((_, i) => flags[at + i] === 1);
      inserted.forEach((isNew, i) => isNew && stored.push(g.records[i]!));
      at += g.records.length;
      g.resolve(inserted);
    }
    if (local.length > 0) {
      void deps.db.batch(local).catch((err: unknown) => deps.log.warn('local counts not written', { error: String(err).slice(0, 200) }));
    }
    deps.onCommit(stored);
  }
  const groups = createGroupCommit(commit, deps.schedule);

  return {
    append(records, extra = []) {
      const ops: TimerOp[] = [];
      const local: SqlStatement[] = [];
      for (const s of extra) {
        const op = timerOpOf(s);
        if (op) ops.push(op);
        else local.push(s);
      }
      if (records.length === 0 && ops.length === 0 && local.length === 0) return Promise.resolve([]);
      return new Promise<boolean[]>((resolve, reject) => groups.add({ records, ops, local, resolve, reject }));
    },
    flush: () => groups.flush(),
  };
}
