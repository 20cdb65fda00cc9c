/**
 * Issue 18: the Redis store's parts against a real redis-server, in process — the group commit's dedupe
 * (two instances racing on one id), the journey-timer script (the same semantics as the SQLite
 * statements of rules/triggers.ts), a due timer claimed by exactly one of two firers, and a delivery
 * retried by lease and then dead-lettered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type SqlDb } from '../../src/ports.js';
import type { EventRecord } from '../../src/delivery/record.js';
import type { DeliveryItem } from '../../src/delivery/settle.js';
import { deliveryConfigSchema } from '../../src/delivery/config.js';
import { compileTriggers, triggerStatements } from '../../src/rules/triggers.js';
import { triggersSchema } from '../../src/rules/triggers-config.js';
import { createRedisPort } from '../../src/runtime/node/redis.js';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { redisKeys } from '../../src/store/redis/keys.js';
import { createRedisOutbox } from '../../src/store/redis/outbox.js';
import { createRedisSource } from '../../src/store/redis/source.js';
import { createRedisFirer } from '../../src/store/redis/triggers.js';
import type { RedisPort } from '../../src/store/redis/port.js';
import { startRedis, type TestRedis } from './redis-server.js';

const granted = { purposes: Object.fromEntries(['analytics', 'ads', 'ad_user_data', 'ad_personalization', 'personalization', 'functional'].map((p) => [p, { value: 'granted', source: 'explicit', reason: 'consent.explicit' }])), notes: [] };

function record(id: string, name: string, time: number): EventRecord {
  return { event_id: id, name, time, received_at: time, params: { eid: id }, page: {}, client: {}, consent_state: granted, source: 'native', removed: { headers: false, cookies: false }, identity: { pseudo: {} }, notes: [], config_version: 'v' } as unknown as EventRecord;
}

describe('the Redis store on a real redis-server', () => {
  let redis: TestRedis;
  const ports: RedisPort[] = [];
  let db: SqlDb;
  const port = async () => {
    const p = createRedisPort({ url: redis.url, command_timeout: 5000 }, silentLogger);
    await p.connect(5000);
    ports.push(p);
    return p;
  };
  const outboxOf = (p: RedisPort, prefix: string) =>
    createRedisOutbox({ redis: p, keys: redisKeys(prefix), windowMs: 60_000, onCommit: () => {}, schedule: (fn) => setImmediate(fn), db, log: silentLogger });

  beforeAll(async () => {
    redis = await startRedis();
    db = openSqlite(':memory:');
    await migrate(db);
  }, 30_000);
  afterAll(async () => {
    for (const p of ports) await p.close();
    await db?.close();
    await redis?.close();
  });

  it('dedupes within the window across instances: of two racing appends of one id exactly one stores it', async () => {
    const [a, b] = [outboxOf(await port(), 'd1:'), outboxOf(await port(), 'd1:')];
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => Promise.all([a.append([record(`e${i}`, 'purchase', 1000)]), b.append([record(`e${i}`, 'purchase', 1000)])])));
    expect(results.filter(([[x], [y]]) => x === y)).toEqual([]);
    expect(await redis.client().xlen('d1:records')).toBe(50);
    expect(await a.append([record('e0', 'purchase', 1000), record('new', 'purchase', 1000)])).toEqual([false, true]);
    const ttl = await redis.client().pttl('d1:seen:new');
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('arms, re-arms, ignores a replayed start and a late cancel, and cancels like the SQLite statements', async () => {
    const triggers = compileTriggers(triggersSchema.parse([{ id: 'cart', start: 'add_to_cart', cancel: ['purchase'], after: '10s', emit: { name: 'cart_abandoned' }, destinations: ['ga'] }]));
    const outbox = outboxOf(await port(), 't1:');
    const keys = { client: 'k1' };
    const apply = async (r: EventRecord) => outbox.append([r], triggerStatements(r, keys, triggers));
    const timer = () => redis.client().hgetall('t1:timer:cart:k1');
    await apply(record('s1', 'add_to_cart', 1000));
    expect(await timer()).toMatchObject({ state: 'armed', armed_at: '1000', starts: '1', fire_at: '11000', source_event_id: 's1' });
    await apply(record('s2', 'add_to_cart', 2000));
    expect(await timer()).toMatchObject({ state: 'armed', armed_at: '1000', starts: '2', fire_at: '12000', source_event_id: 's2' });
    expect(JSON.parse((await timer()).source!).event_id).toBe('s2');
    // A replay of the first start (older event time) changes nothing; a cancel older than the last start neither.
    await apply(record('s1', 'add_to_cart', 1000));
    await apply(record('p0', 'purchase', 1500));
    expect(await timer()).toMatchObject({ state: 'armed', starts: '2', fire_at: '12000' });
    expect(await redis.client().zscore('t1:timers', 'cart:k1')).toBe('12000');
    await apply(record('p1', 'purchase', 3000));
    expect(await timer()).toMatchObject({ state: 'cancelled', reason: 'trigger.cancelled:purchase', last_time: '3000' });
    expect(await redis.client().zscore('t1:timers', 'cart:k1')).toBeNull();
    // A new start after the cancel arms a new cycle.
    await apply(record('s3', 'add_to_cart', 4000));
    expect(await timer()).toMatchObject({ state: 'armed', armed_at: '4000', starts: '1', fire_at: '14000' });
  });

  it('a due timer is claimed by exactly one of two instances firing at once', async () => {
    const triggers = compileTriggers(triggersSchema.parse([{ id: 'cart', start: 'add_to_cart', after: '1s', emit: { name: 'cart_abandoned', params: { copy: ['eid'] } }, destinations: ['ga'] }]));
    const emitted: EventRecord[] = [];
    const firerOf = async () => {
      const p = await port();
      const outbox = outboxOf(p, 'f1:');
      return createRedisFirer({
        redis: p,
        keys: redisKeys('f1:'),
        triggers,
        append: async (r) => {
          const flags = await outbox.append(r);
          r.forEach((x, i) => flags[i] && emitted.push(x));
          return flags;
        },
        lease: 30_000,
        now: () => 100_000,
        log: silentLogger,
        configVersion: () => 'v',
      });
    };
    const arm = outboxOf(await port(), 'f1:');
    for (let k = 0; k < 20; k++) {
      const r = record(`a${k}`, 'add_to_cart', 1000 + k);
      await arm.append([r], triggerStatements(r, { client: `v${k}` }, triggers));
    }
    const [x, y] = [await firerOf(), await firerOf()];
    const [nx, ny] = await Promise.all([x.fire(), y.fire()]);
    expect(nx + ny).toBe(20);
    expect(new Set(emitted.map((e) => e.event_id)).size).toBe(20);
    expect(emitted.map((e) => e.params.eid).sort()).toEqual(Array.from({ length: 20 }, (_, k) => `a${k}`).sort());
    expect(await Promise.all([x.fire(), y.fire()])).toEqual([0, 0]);
    expect(await redis.client().hget('f1:timer:cart:v0', 'state')).toBe('fired');
  });

  it('a retry waits in the sorted set, is claimed by lease when due, and dead-letters without IP or User-Agent', async () => {
    let now = 1_000_000;
    const p = await port();
    const keys = redisKeys('r1:');
    const source = createRedisSource({ redis: p, keys, consumer: 'c1', claimIdle: 30_000, db, now: () => now, log: silentLogger });
    await source.start(['d']);
    const r = { ...record('x1', 'purchase', now), ip: '203.0.113.9', user_agent: 'UA' };
    await outboxOf(p, 'r1:').append([r]);
    const [row] = await source.next('d', 0, 10);
    expect(row).toMatchObject({ event_id: 'x1', ip: '203.0.113.9', user_agent: 'UA' });
    const config = deliveryConfigSchema.parse({ max_attempts: 2, backoff_base: '1s', backoff_max: '1s' });
    const item = (attempts: number, retrying: boolean, seq: number): DeliveryItem => ({ seq, event_id: 'x1', received_at: now, attempts, retrying, decision: { destination_id: 'd', action: 'send', reasons: [], payload: { eid: 'x1', ip: '203.0.113.9' } }, deadPayload: () => ({ eid: 'x1' }) });
    const counts = { delivered: 0, retried: 0, dead: 0, decided: 0 };
    await source.settle([{ destinationId: 'd', done: [{ item: item(0, false, row!.seq), outcome: { kind: 'retry', error: '503', outage: false } }], cursor: 0, local: [], counted: { delivered: 0, retried: 0, dead: 0, decided: 0 } }], { now, config, random: () => 0.5 }, counts);
    expect(counts.retried).toBe(1);
    expect((await redis.client().xpending('r1:records', 'd'))[0]).toBe(0);
    expect(await source.due('d', now, 10)).toEqual([]);
    now += 5000;
    const [again] = await source.due('d', now, 10);
    expect(again).toMatchObject({ event_id: 'x1', attempts: 1 });
    // Claimed by lease: another instance sees nothing due until the lease ends.
    const other = createRedisSource({ redis: p, keys, consumer: 'c2', claimIdle: 30_000, db, now: () => now, log: silentLogger });
    await other.start(['d']);
    expect(await other.due('d', now, 10)).toEqual([]);
    await source.settle([{ destinationId: 'd', done: [{ item: item(1, true, again!.seq), outcome: { kind: 'retry', error: '503 again', outage: false } }], cursor: 0, local: [], counted: { delivered: 0, retried: 0, dead: 0, decided: 0 } }], { now, config, random: () => 0.5 }, counts);
    expect(counts.dead).toBe(1);
    expect(await redis.client().zcard('r1:retry:d')).toBe(0);
    const dead = await redis.client().xrange('r1:dead:d', '-', '+');
    expect(dead).toHaveLength(1);
    const fields = Object.fromEntries(dead[0]![1].reduce<string[][]>((acc, v, i) => (i % 2 === 0 ? [...acc, [v]] : (acc[acc.length - 1]!.push(v), acc)), []));
    expect(fields).toMatchObject({ e: 'x1', a: '2', p: '{"eid":"x1"}' });
    expect(JSON.stringify(dead)).not.toContain('203.0.113.9');
    expect(await redis.client().hgetall('r1:stats:d')).toEqual({ retrying: '1', dead: '1' });
  });
});
