/**
 * @module Delivery from Redis: a consumer group per destination on the record log. New records come
 * from XREADGROUP, a dead instance's claimed entries are taken over with XAUTOCLAIM once idle for
 * `claim_idle`, retries wait in a sorted set claimed by lease, dead letters go to a stream per
 * destination. Outcomes commit in one MULTI per settle round (XACK with the retry/dead-letter change).
 */
import type { Logger, SqlDb, SqlStatement } from '../../ports.js';
import type { DeliverySource, SourceRow } from '../../delivery/source.js';
import { addCounts, decisionStatements, settlementSteps } from '../../delivery/settle.js';
import type { RedisCommand, RedisPort } from './port.js';
import type { RedisKeys } from './keys.js';
import { CLAIM_RETRIES } from './scripts.js';
import { outcomeCounterCommands } from './alarms.js';

/** What the Redis delivery source needs. */
export interface RedisSourceDeps {
  redis: RedisPort;
  keys: RedisKeys;
  /** This instance's consumer name in every group (unique per process). */
  consumer: string;
  /** A claim untouched this long is taken over by another instance. */
  claimIdle: number;
  /** The embedded store: the embedded warehouse's rows and this instance's decision records. */
  db: SqlDb;
  now(): number;
  log: Logger;
  /** How long the alarm counters of a bucket live (0: outcomes not counted; src/store/redis/alarms.ts). */
  alarmKeepMs?: number;
}

/** A claimed entry: where it came from, so settling acknowledges the right thing. */
interface Claimed {
  sid: string;
  retry: boolean;
}

interface Dest {
  id: string;
  /** Claimed, not settled yet, by the worker's sequence number. */
  claimed: Map<number, Claimed>;
  /** Next XAUTOCLAIM scan start, and when the last scan ran. */
  autoclaimFrom: string;
  autoclaimAt: number;
  /** Another instance's open breaker: nothing is claimed before this. */
  pausedUntil: number;
  pauseCheckedAt: number;
}

type Entry = [sid: string, fields: string[]];

/** A consumer idle this long with nothing pending is an instance that is gone. */
const GONE_MS = 3_600_000;

/** A stream entry's fields as a row. */
function rowOf(seq: number, fields: readonly string[], attempts?: number): SourceRow {
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i]!] = fields[i + 1]!;
  return { seq, event_id: f.e ?? '', received_at: Number(f.t), data: f.d ?? '{}', ip: f.i ? f.i : null, user_agent: f.u ? f.u : null, ...(attempts !== undefined ? { attempts } : {}) };
}

/** Compare two stream ids (`ms-seq`). */
export function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am !== bm ? am - bm : as - bs;
}

/**
 * @example
 * const worker = createWorker({ ...deps, source: createRedisSource({ redis, keys, consumer, claimIdle: 30_000, db, now, log }) })
 */
export function createRedisSource(deps: RedisSourceDeps): DeliverySource & { readonly claimedCount: number } {
  const { redis, keys, consumer, claimIdle } = deps;
  const dests = new Map<string, Dest>();
  let seq = 0;
  let heartbeatAt = 0;
  let trimAt = 0;

  const dest = (id: string) => dests.get(id)!;

  function take(d: Dest, entries: readonly Entry[], attempts?: (sid: string) => number): SourceRow[] {
    const rows: SourceRow[] = [];
    for (const [sid, fields] of entries) {
      if (!fields) continue;
      const s = ++seq;
      d.claimed.set(s, { sid, retry: attempts !== undefined });
      rows.push(rowOf(s, fields, attempts?.(sid)));
    }
    return rows;
  }

  /** Another instance opened this destination's breaker: wait it out (checked at most twice a second). */
  async function paused(d: Dest, now: number): Promise<boolean> {
    if (now - d.pauseCheckedAt >= 500) {
      d.pauseCheckedAt = now;
      d.pausedUntil = Number((await redis.call('GET', keys.breaker(d.id))) ?? 0);
    }
    return d.pausedUntil > now;
  }

  /** Keep this instance's claims fresh so no live claim is taken over; retries keep their lease. */
  async function heartbeat(now: number): Promise<void> {
    if (now - heartbeatAt < claimIdle / 3) return;
    heartbeatAt = now;
    const commands: RedisCommand[] = [];
    for (const d of dests.values()) {
      const pending = [...d.claimed.values()].filter((c) => !c.retry).map((c) => c.sid);
      const retrying = [...d.claimed.values()].filter((c) => c.retry).map((c) => c.sid);
      // XCLAIM to ourselves resets the entry's idle time (JUSTID: no entry data sent back).
      if (pending.length > 0) commands.push(['XCLAIM', keys.records, d.id, consumer, 0, ...pending, 'JUSTID']);
      for (const sid of retrying) commands.push(['ZADD', keys.retry(d.id), 'XX', now + claimIdle, sid]);
    }
    if (commands.length > 0) await redis.pipeline(commands);
  }

  /**
   * Trim the record log below the oldest entry some destination still needs: pending in its group,
   * not yet delivered to it, or waiting for a retry. IP and User-Agent leave Redis with the entry.
   */
  async function trim(now: number): Promise<void> {
    if (now - trimAt < 5000 || dests.size === 0) return;
    trimAt = now;
    const groups = (await redis.call('XINFO', 'GROUPS', keys.records)) as unknown[][];
    const info = new Map<string, { last: string; pending: number }>();
    for (const g of groups) {
      const f: Record<string, unknown> = {};
      for (let i = 0; i + 1 < g.length; i += 2) f[String(g[i])] = g[i + 1];
      info.set(String(f.name), { last: String(f['last-delivered-id']), pending: Number(f.pending) });
    }
    let min: string | undefined;
    const keep = (id: string) => {
      if (min === undefined || compareIds(id, min) < 0) min = id;
    };
    for (const d of dests.values()) {
      const g = info.get(d.id);
      if (!g) return;
      keep(g.last);
      if (g.pending > 0) {
        const summary = (await redis.call('XPENDING', keys.records, d.id)) as [number, string | null];
        if (summary[1]) keep(summary[1]);
      }
      const retries = (await redis.call('ZRANGE', keys.retry(d.id), 0, 9999)) as string[];
      for (const sid of retries) keep(sid);
    }
    if (min !== undefined && min !== '0-0') await redis.call('XTRIM', keys.records, 'MINID', min);
    // Every start is a new consumer: forget those of instances gone for an hour with nothing pending.
    for (const d of dests.values()) {
      const consumers = (await redis.call('XINFO', 'CONSUMERS', keys.records, d.id)) as unknown[][];
      for (const c of consumers) {
        const f: Record<string, unknown> = {};
        for (let i = 0; i + 1 < c.length; i += 2) f[String(c[i])] = c[i + 1];
        if (f.name !== consumer && Number(f.pending) === 0 && Number(f.idle) > GONE_MS) await redis.call('XGROUP', 'DELCONSUMER', keys.records, d.id, String(f.name));
      }
    }
  }

  return {
    get claimedCount() {
      let n = 0;
      for (const d of dests.values()) n += d.claimed.size;
      return n;
    },
    async start(ids) {
      const cursors = new Map<string, number>();
      for (const id of ids) {
        dests.set(id, { id, claimed: new Map(), autoclaimFrom: '0-0', autoclaimAt: 0, pausedUntil: 0, pauseCheckedAt: 0 });
        cursors.set(id, 0);
        // A destination added to an existing log starts with the records accepted from now on ('$').
        await redis.call('XGROUP', 'CREATE', keys.records, id, '$', 'MKSTREAM').catch((err: Error) => {
          if (!String(err.message).startsWith('BUSYGROUP')) throw err;
        });
      }
      return cursors;
    },
    async due(id, now, limit) {
      const d = dest(id);
      if (limit <= 0 || (await paused(d, now))) return [];
      const replies = (await redis.eval(CLAIM_RETRIES, [keys.retry(id), keys.attempts(id), keys.records], [now, claimIdle, limit])) as [string, string, string[]][];
      const attempts = new Map(replies.map(([sid, a]) => [sid, Number(a)]));
      return take(d, replies.map(([sid, , fields]) => [sid, fields] as Entry), (sid) => attempts.get(sid) ?? 0);
    },
    async next(id, _after, limit) {
      const d = dest(id);
      const now = deps.now();
      if (limit <= 0 || (await paused(d, now))) return [];
      const rows: SourceRow[] = [];
      // A dead instance's entries: idle past claim_idle (live instances refresh theirs) are taken over.
      if (now - d.autoclaimAt >= claimIdle / 4) {
        const [nextFrom, entries, deleted] = (await redis.call('XAUTOCLAIM', keys.records, id, consumer, claimIdle, d.autoclaimFrom, 'COUNT', limit)) as [string, Entry[], string[]];
        d.autoclaimFrom = nextFrom;
        if (nextFrom === '0-0') d.autoclaimAt = now;
        if (deleted && deleted.length > 0) await redis.call('XACK', keys.records, id, ...deleted);
        for (const r of take(d, entries)) rows.push(r);
        if (entries.length > 0) deps.log.info('took over deliveries of an idle instance', { destination: id, entries: entries.length });
      }
      if (rows.length < limit) {
        const reply = (await redis.call('XREADGROUP', 'GROUP', id, consumer, 'COUNT', limit - rows.length, 'STREAMS', keys.records, '>')) as [string, Entry[]][] | null;
        for (const r of take(d, reply?.[0]?.[1] ?? [])) rows.push(r);
      }
      return rows;
    },
    async settle(batches, opts, counts) {
      const local: SqlStatement[] = [];
      const commands: RedisCommand[] = [];
      const done: [Dest, number][] = [];
      for (const b of batches) {
        const d = dest(b.destinationId);
        for (const s of b.local) local.push(s);
        const tally: Record<string, number> = {};
        const steps = settlementSteps(b.done, { ...opts, resumeAt: b.resumeAt }, b.counted);
        for (const s of decisionStatements(d.id, steps, opts.now, opts.configVersion)) local.push(s);
        for (const step of steps) {
          const { item } = step;
          const c = d.claimed.get(item.seq);
          tally[step.status] = (tally[step.status] ?? 0) + 1;
          done.push([d, item.seq]);
          if (!c) continue;
          if (!c.retry) commands.push(['XACK', keys.records, d.id, c.sid]);
          if (step.dropRetry) commands.push(['ZREM', keys.retry(d.id), c.sid], ['HDEL', keys.attempts(d.id), c.sid]);
          if (step.retry) commands.push(['ZADD', keys.retry(d.id), step.retry.next, c.sid], ['HSET', keys.attempts(d.id), c.sid, step.retry.attempts]);
          if (step.dead) {
            commands.push([
              'XADD', keys.dead(d.id), '*',
              'e', item.event_id, 'r', step.dead.reason.slice(0, 2000), 'a', step.dead.attempts,
              'p', JSON.stringify(step.dead.payload ?? null), 'c', item.received_at, 'f', opts.now, 's', c.sid,
            ]);
          }
        }
        addCounts(counts, b.counted);
        for (const [status, n] of Object.entries(tally)) commands.push(['HINCRBY', keys.stats(d.id), status, n]);
        // The alarms' destination counts, settled with the outcomes they count (every instance's).
        for (const c of outcomeCounterCommands(keys, d.id, tally, opts.now, deps.alarmKeepMs ?? 0)) commands.push(c);
        if (b.resumeAt !== undefined && b.resumeAt > opts.now) commands.push(['SET', keys.breaker(d.id), b.resumeAt, 'PXAT', b.resumeAt]);
      }
      // This instance's decision records and embedded-warehouse rows first (both idempotent): a crash
      // before the MULTI only repeats them.
      if (local.length > 0) await deps.db.batch(local);
      if (commands.length > 0) await redis.multi(commands);
      for (const [d, s] of done) d.claimed.delete(s);
    },
    async sweep() {
      const now = deps.now();
      await heartbeat(now);
      await trim(now);
    },
  };
}
