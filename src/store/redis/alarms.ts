/**
 * @module Alarm counters and alarm coordination in Redis (`store.kind: redis`): the tracking alarms
 * see the whole cluster's traffic. Each 5-minute bucket is a hash `alarm:b:<bucket>` of
 * `metric<TAB>key` → count, expiring after the alarms' history (`HINCRBY` + `PEXPIRE`):
 * - `ev`/`denied`/`ads`/`matched` and each name's last receipt (`alarm:last`) are added by the
 *   commit script for the records that were new (a duplicate never counts), on every instance;
 * - `dest` (delivered, retrying, dead per destination) in the same MULTI that settles the outcome.
 * The evaluator lease is one key (`SET` with an owner, renewed by its holder), and the open alarms
 * one hash: `HSETNX` opens an alarm for exactly one instance, a compare-and-delete resolves it once.
 * Tracking-plan counts stay per instance (plan_counts of the embedded store).
 */
import type { AlarmCluster, AlarmCounterStore } from '../../alarms/counters.js';
import type { Alarm } from '../../alarms/message.js';
import type { WindowSums } from '../../alarms/rollup.js';
import { BUCKET_MS } from '../../alarms/schema.js';
import type { EventRecord } from '../../delivery/record.js';
import { META_HASHING } from '../../privacy/hashing.js';
import type { SqlDb } from '../../ports.js';
import type { RedisCommand, RedisPort, RedisScript } from './port.js';
import type { RedisKeys } from './keys.js';
import { initRollup, rollUp as sqlRollUp, windowSums as sqlWindowSums } from '../../alarms/rollup.js';

const DAY_MS = 86_400_000;
/** Delivery outcomes the alarms count (decided sends, drops and skips are consent, not failure). */
const OUTCOMES = new Set(['delivered', 'retrying', 'dead']);
/** Counted from the embedded store of the evaluating instance (not in Redis). */
const LOCAL_METRICS = new Set(['plan_checked', 'plan_flagged']);

/** A hash reply's field/value pairs: a flat list from `call`, an object where the client maps HGETALL (a pipeline). */
function hashPairs(reply: unknown): [string, string][] {
  if (Array.isArray(reply)) {
    const out: [string, string][] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), String(reply[i + 1])]);
    return out;
  }
  return reply && typeof reply === 'object' ? Object.entries(reply as Record<string, unknown>).map(([k, v]) => [k, String(v)]) : [];
}

/** The bucket a time falls in. */
export const bucketOf = (t: number) => t - (t % BUCKET_MS);

/**
 * The counter fields one new record adds to its bucket (`\n`-separated), as rollup.ts counts records:
 * its name, analytics storage denied, Meta may receive it (ad_storage and ad_user_data granted), and
 * of those, carrying a Meta match key.
 */
export function recordCounterFields(r: EventRecord): string {
  const p = r.consent_state?.purposes as Record<string, { value?: string } | undefined> | undefined;
  const fields = [`ev\t${r.name}`];
  if (p?.analytics_storage?.value === 'denied') fields.push('denied\t');
  if (p?.ad_storage?.value === 'granted' && p?.ad_user_data?.value === 'granted') {
    fields.push('ads\t');
    const h = r.identity?.hashed?.[META_HASHING.id] as { em?: unknown; ph?: unknown } | undefined;
    if (h?.em != null || h?.ph != null || r.client?.fbc != null || r.client?.fbp != null) fields.push('matched\t');
  }
  return fields.join('\n');
}

/** The commands that count one destination's settled outcomes (run in the settle MULTI). */
export function outcomeCounterCommands(keys: RedisKeys, destination: string, tally: Readonly<Record<string, number>>, now: number, keepMs: number): RedisCommand[] {
  if (keepMs <= 0) return [];
  const key = keys.alarmBucket(bucketOf(now));
  const out: RedisCommand[] = [];
  for (const [status, n] of Object.entries(tally)) if (OUTCOMES.has(status) && n > 0) out.push(['HINCRBY', key, `dest\t${destination}\t${status}`, n]);
  if (out.length > 0) out.push(['PEXPIRE', key, keepMs]);
  return out;
}

const ACQUIRE: RedisScript = {
  name: 'alarm-acquire',
  lua: `
local v = redis.call('GET', KEYS[1])
if v == false or v == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
`,
};

const RELEASE: RedisScript = {
  name: 'alarm-release',
  lua: `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`,
};

/** KEYS: open hash. ARGV: alarm key, opened_at, op (`del` or `set`), new value. Applies only to the same opening. */
const SAME_OPENING: RedisScript = {
  name: 'alarm-same-opening',
  lua: `
local v = redis.call('HGET', KEYS[1], ARGV[1])
if not v or cjson.decode(v).opened_at ~= tonumber(ARGV[2]) then return 0 end
if ARGV[3] == 'del' then redis.call('HDEL', KEYS[1], ARGV[1]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[4]) end
return 1
`,
};

/**
 * The counters in Redis; the tracking-plan metrics from this instance's embedded store (`db`).
 *
 * @example
 * const { counters, cluster } = redisAlarms({ redis, keys, db })
 */
export function redisAlarms(deps: { redis: RedisPort; keys: RedisKeys; db: SqlDb }): { counters: AlarmCounterStore; cluster: AlarmCluster } {
  const { redis, keys, db } = deps;
  const counters: AlarmCounterStore = {
    async prepare(now) {
      await initRollup(db, now);
      await redis.call('SET', keys.alarmSince, now, 'NX');
    },
    async rollUp(now, keepMs) {
      // The tracking-plan counts of this instance (the rest of the local rollup finds nothing: records live in Redis).
      await sqlRollUp(db, now, keepMs);
      // Buckets expire by themselves; names not received for longer than the history are forgotten.
      const last = (await redis.call('HGETALL', keys.alarmLast)) as string[];
      const stale: string[] = [];
      for (let i = 0; i + 1 < last.length; i += 2) if (Number(last[i + 1]) < now - keepMs - DAY_MS) stale.push(last[i]!);
      if (stale.length > 0) await redis.call('HDEL', keys.alarmLast, ...stale);
    },
    async windowSums({ end, window, days, metrics }) {
      const shared = metrics.filter((m) => !LOCAL_METRICS.has(m));
      const local = metrics.filter((m) => LOCAL_METRICS.has(m));
      const sums = new Map<string, number[]>();
      const byMetric = new Map<string, Set<string>>();
      const add = (metric: string, key: string, d: number, n: number) => {
        const id = `${metric}\t${key}`;
        let list = sums.get(id);
        if (!list) sums.set(id, (list = new Array<number>(days + 1).fill(0)));
        list[d]! += n;
        let set = byMetric.get(metric);
        if (!set) byMetric.set(metric, (set = new Set()));
        set.add(key);
      };
      if (shared.length > 0) {
        const wanted = new Set(shared);
        const reads: [number, RedisCommand][] = [];
        for (let d = 0; d <= days; d++) {
          const hi = end - d * DAY_MS;
          const lo = hi - window;
          for (let b = Math.ceil(lo / BUCKET_MS) * BUCKET_MS; b < hi; b += BUCKET_MS) reads.push([d, ['HGETALL', keys.alarmBucket(b)]]);
        }
        const replies = reads.length > 0 ? await redis.pipeline(reads.map(([, c]) => c)) : [];
        replies.forEach((reply, i) => {
          if (reply instanceof Error) throw reply;
          for (const [field, n] of hashPairs(reply)) {
            const tab = field.indexOf('\t');
            const metric = field.slice(0, tab);
            if (wanted.has(metric)) add(metric, field.slice(tab + 1), reads[i]![0], Number(n));
          }
        });
      }
      if (local.length > 0) {
        const l = await sqlWindowSums(db, { end, window, days, metrics: local });
        for (const m of local) for (const k of l.keys(m)) l.get(m, k).forEach((n, d) => add(m, k, d, n));
      }
      const out: WindowSums = {
        get: (metric, key = '') => sums.get(`${metric}\t${key}`) ?? new Array<number>(days + 1).fill(0),
        keys: (metric) => [...(byMetric.get(metric) ?? [])],
      };
      return out;
    },
    async lastSeen() {
      const f = (await redis.call('HGETALL', keys.alarmLast)) as string[];
      const out = new Map<string, number>();
      for (let i = 0; i + 1 < f.length; i += 2) out.set(f[i]!, Number(f[i + 1]));
      return out;
    },
    async historySince() {
      const v = (await redis.call('GET', keys.alarmSince)) as string | null;
      return v === null ? undefined : Number(v);
    },
  };
  const cluster: AlarmCluster = {
    async acquire(owner, _now, ms) {
      return (await redis.eval(ACQUIRE, [keys.alarmLease], [owner, Math.max(1, Math.round(ms))])) === 1;
    },
    async release(owner) {
      await redis.eval(RELEASE, [keys.alarmLease], [owner]);
    },
    async open() {
      const f = (await redis.call('HGETALL', keys.alarmOpen)) as string[];
      const out = new Map<string, Alarm>();
      for (let i = 0; i + 1 < f.length; i += 2) out.set(f[i]!, JSON.parse(f[i + 1]!) as Alarm);
      return out;
    },
    async claimFire(alarm) {
      return (await redis.call('HSETNX', keys.alarmOpen, alarm.key, JSON.stringify(alarm))) === 1;
    },
    async update(alarm) {
      await redis.eval(SAME_OPENING, [keys.alarmOpen], [alarm.key, alarm.opened_at, 'set', JSON.stringify(alarm)]);
    },
    async claimResolve(alarm) {
      return (await redis.eval(SAME_OPENING, [keys.alarmOpen], [alarm.key, alarm.opened_at, 'del', ''])) === 1;
    },
    async unfire(alarm) {
      await redis.eval(SAME_OPENING, [keys.alarmOpen], [alarm.key, alarm.opened_at, 'del', '']);
    },
  };
  return { counters, cluster };
}
