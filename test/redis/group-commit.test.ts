/**
 * The group-commit schedule shared by the embedded store's outbox and the Redis outbox
 * (src/delivery/group-commit.ts): appends of one event-loop turn commit as one group, groups never
 * overlap, flush commits at once; both outboxes on real stores (SQLite in memory, a real redis-server).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type SqlDb } from '../../src/ports.js';
import type { EventRecord } from '../../src/delivery/record.js';
import { createGroupCommit } from '../../src/delivery/group-commit.js';
import { createOutbox, type Outbox } from '../../src/delivery/outbox.js';
import { createRedisOutbox } from '../../src/store/redis/outbox.js';
import { redisKeys } from '../../src/store/redis/keys.js';
import { createRedisPort } from '../../src/runtime/node/redis.js';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import type { RedisPort } from '../../src/store/redis/port.js';
import { startRedis, type TestRedis } from './redis-server.js';

const silent = silentLogger;
const granted = { purposes: Object.fromEntries(['analytics_storage', 'ad_storage', 'ad_user_data', 'ad_personalization'].map((p) => [p, { value: 'granted', source: 'explicit', reason: 'consent.explicit' }])), notes: [] };

function record(id: string, time: number): EventRecord {
  return { event_id: id, name: 'purchase', time, received_at: time, params: { eid: id }, page: {}, client: {}, consent_state: granted, source: 'native', removed: { headers: false, cookies: false }, identity: { pseudo: {}, hashed: {} }, notes: [], config_version: 'v' } as unknown as EventRecord;
}

describe('createGroupCommit', () => {
  it('groups the entries of one turn, commits groups one after another, and flushes at once', async () => {
    const groups: number[][] = [];
    let inCommit = 0;
    let overlapped = false;
    const g = createGroupCommit<number>(async (group) => {
      if (inCommit++ > 0) overlapped = true;
      await new Promise((r) => setTimeout(r, 5));
      groups.push(group);
      inCommit--;
    }, (fn) => setImmediate(fn));
    for (let i = 0; i < 5; i++) g.add(i);
    await new Promise((r) => setImmediate(r));
    // The next turn's entries arrive while the first group is committing: they wait for it.
    for (let i = 5; i < 8; i++) g.add(i);
    await new Promise((r) => setTimeout(r, 50));
    expect(groups).toEqual([[0, 1, 2, 3, 4], [5, 6, 7]]);
    expect(overlapped).toBe(false);
    g.add(8);
    await g.flush();
    expect(groups.at(-1)).toEqual([8]);
    // Nothing pending: a flush commits no empty group.
    await g.flush();
    expect(groups).toHaveLength(3);
  });
});

describe('both outboxes on the shared schedule', () => {
  let redis: TestRedis;
  let port: RedisPort;
  let db: SqlDb;

  beforeAll(async () => {
    redis = await startRedis();
    port = createRedisPort({ url: redis.url, command_timeout: 5000 }, silent);
    await port.connect(5000);
    db = openSqlite(':memory:');
    await migrate(db);
  }, 30_000);
  afterAll(async () => {
    await port?.close();
    await db?.close();
    await redis?.close();
  });

  for (const kind of ['sqlite', 'redis'] as const) {
    it(`${kind}: concurrent appends commit in one group; duplicates are flagged; flush commits now`, async () => {
      const commits: string[][] = [];
      const onCommit = (stored: readonly EventRecord[]) => void commits.push(stored.map((r) => r.event_id));
      const outbox: Outbox =
        kind === 'sqlite'
          ? createOutbox(db, onCommit, (fn) => setImmediate(fn))
          : createRedisOutbox({ redis: port, keys: redisKeys('gc:'), windowMs: 60_000, onCommit, schedule: (fn) => setImmediate(fn), db, log: silent });
      const now = Date.now();
      const results = await Promise.all([outbox.append([record(`${kind}-1`, now)]), outbox.append([record(`${kind}-2`, now), record(`${kind}-1`, now)]), outbox.append([record(`${kind}-3`, now)])]);
      expect(results).toEqual([[true], [true, false], [true]]);
      expect(commits).toEqual([[`${kind}-1`, `${kind}-2`, `${kind}-3`]]);
      // flush without waiting for the scheduled turn.
      const late = outbox.append([record(`${kind}-4`, now)]);
      await outbox.flush();
      expect(commits).toHaveLength(2);
      expect(await late).toEqual([true]);
    });
  }
});
