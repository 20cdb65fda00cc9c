import { afterEach, describe, expect, it, vi } from 'vitest';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { createWorker, type ActiveDestination, type Worker } from '../../src/delivery/worker.js';
import { deliveryConfigSchema } from '../../src/delivery/config.js';
import { baseDestinationSchema, defineDestination, type OutboxItem, type SendResult } from '../../src/destinations/types.js';
import { silentLogger, type SqlDb } from '../../src/ports.js';
import { clock } from '../helpers/runtime.js';

type Script = (batch: OutboxItem<unknown>[]) => Promise<SendResult> | SendResult;

const ok: Script = (batch) => ({ delivered: batch.map((i) => i.id), retry: [], failed: [] });
const unavailable: Script = (batch) => ({ delivered: [], retry: batch.map((i) => ({ id: i.id, error: 'x.http_503' })), failed: [] });

/** A destination whose `send` follows a script the test can swap; every call is recorded. */
function scripted(id: string, maxEvents = 2) {
  const calls: number[][] = [];
  const state = { script: ok };
  const kind = defineDestination({
    type: 'ga4',
    configSchema: baseDestinationSchema as never,
    requires: [],
    whenDenied: 'drop',
    privacy: { flavor: 'google', ip: 'truncate' },
    batch: { maxEvents, maxWaitMs: 0 },
    maxInFlight: 1,
    map: () => ({ skip: 'unused' }),
    async send(batch) {
      calls.push(batch.map((i) => i.id));
      return state.script(batch);
    },
  });
  const dest: ActiveDestination = { config: baseDestinationSchema.parse({ id }) as never, kind };
  return { dest, calls, state };
}

let db: SqlDb;
let worker: Worker | undefined;
afterEach(async () => {
  await worker?.stop();
  worker = undefined;
  await db?.close();
});

async function setup(dests: ActiveDestination[], breaker = { failures: 3, cooldown: '1s', max_cooldown: '30s' }, now = clock()) {
  db = openSqlite(':memory:');
  await migrate(db);
  const config = deliveryConfigSchema.parse({ max_attempts: 50, poll_interval: '10ms', breaker });
  // random = 0: retries are due at once, so only the breaker stops the worker from hammering.
  worker = createWorker({ db, destinations: dests, config, fetch: fetch, now, log: silentLogger, random: () => 0 });
  at = now.now;
  return { now, worker };
}

let at = 0;
async function enqueue(destination: string, count: number): Promise<void> {
  await db.batch(
    Array.from({ length: count }, (_, i) => ({
      sql: 'INSERT INTO outbox (destination_id, event_id, payload, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)',
      params: [destination, `${destination}-${i}`, '{}', at, at],
    })),
  );
}

const attempts = (destination: string) =>
  db.all<{ id: number; attempts: number }>('SELECT id, attempts FROM outbox WHERE destination_id = ? ORDER BY id', [destination]);

describe('the worker with a circuit breaker per destination', () => {
  it('stops calling send after N failed sends; unsent items keep their attempts; a successful probe drains the rest', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    const { now, worker } = await setup([a.dest]);
    await enqueue('a', 10);
    await worker.drain();
    // Three failed sends (chunks of 2), then the breaker opened mid-round.
    expect(a.calls).toEqual([[1, 2], [3, 4], [5, 6]]);
    expect((await attempts('a')).map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(worker.stats.breakers.a).toEqual({ state: 'open', consecutive_failures: 3, opened: 1, open_until: now.now + 1000 });

    // Open: however often the worker runs, send is not called and no attempt is spent.
    for (let i = 0; i < 5; i++) await worker.drain();
    now.now += 999;
    await worker.drain();
    expect(a.calls).toHaveLength(3);
    expect((await attempts('a')).map((r) => r.attempts)).toEqual([1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);

    // Cooldown over: one probe batch, it succeeds, the breaker closes and the rest goes.
    now.now += 1;
    a.state.script = ok;
    await worker.drain();
    expect(a.calls.slice(3)).toEqual([[1, 2], [3, 4], [5, 6], [7, 8], [9, 10]]);
    expect(await attempts('a')).toEqual([]);
    expect(worker.stats.delivered).toBe(10);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'closed', consecutive_failures: 0, open_until: null });
  });

  it('a failed probe sends exactly one batch and reopens with a doubled cooldown', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    const { now, worker } = await setup([a.dest]);
    await enqueue('a', 10);
    await worker.drain();
    now.now += 1000;
    await worker.drain();
    expect(a.calls).toHaveLength(4);
    expect(a.calls[3]).toEqual([1, 2]);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', opened: 2, open_until: now.now + 2000 });
    now.now += 1999;
    await worker.drain();
    expect(a.calls).toHaveLength(4);
  });

  it('a thrown send counts as a failure, and permanent refusals do not open the breaker', async () => {
    const a = scripted('a', 1);
    a.state.script = () => {
      throw new Error('socket hang up');
    };
    const b = scripted('b', 1);
    b.state.script = (batch) => ({ delivered: [], retry: [], failed: batch.map((i) => ({ id: i.id, error: 'x.http_400' })) });
    const { worker } = await setup([a.dest, b.dest]);
    await enqueue('a', 5);
    await enqueue('b', 5);
    await worker.drain();
    expect(a.calls).toHaveLength(3);
    expect(worker.stats.breakers.a!.state).toBe('open');
    expect(b.calls).toHaveLength(5);
    expect(worker.stats.breakers.b!.state).toBe('closed');
    expect(worker.stats.dead).toBe(5);
  });

  it('honours the Retry-After of a 429 as the cooldown', async () => {
    const a = scripted('a');
    a.state.script = (batch) => ({ delivered: [], retry: batch.map((i) => ({ id: i.id, error: 'x.http_429', retry_after_ms: 12_000 })), failed: [] });
    const { now, worker } = await setup([a.dest], { failures: 1, cooldown: '1s', max_cooldown: '30s' });
    await enqueue('a', 4);
    await worker.drain();
    expect(a.calls).toHaveLength(1);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', open_until: now.now + 12_000 });
  });

  it('an open breaker on one destination does not hold back another', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    const b = scripted('b');
    const { worker } = await setup([a.dest, b.dest]);
    await enqueue('a', 20);
    await enqueue('b', 20);
    await worker.drain();
    expect(worker.stats.breakers.a!.state).toBe('open');
    expect(b.calls.flat()).toHaveLength(20);
    expect(await attempts('b')).toEqual([]);
  });

  it('a destination whose send hangs does not hold back another (real timers, started worker)', async () => {
    const a = scripted('a');
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    a.state.script = async (batch) => {
      await released;
      return unavailable(batch);
    };
    const b = scripted('b');
    const { worker } = await setup([a.dest, b.dest]);
    await enqueue('a', 4);
    await enqueue('b', 6);
    worker.start();
    await vi.waitFor(() => expect(b.calls.flat()).toHaveLength(6), { timeout: 5000, interval: 10 });
    // a is still stuck in its first send while b has delivered everything.
    expect(a.calls).toEqual([[1, 2]]);
    expect(await attempts('b')).toEqual([]);
    release();
  });
});
