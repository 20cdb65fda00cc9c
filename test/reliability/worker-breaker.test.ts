import { afterEach, describe, expect, it, vi } from 'vitest';
import { GOOGLE_HASHING } from '../../src/privacy/hashing.js';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { createWorker, type ActiveDestination, type Worker } from '../../src/delivery/worker.js';
import { deliveryConfigSchema } from '../../src/delivery/config.js';
import { insertRecordStatement, type EventRecord } from '../../src/delivery/record.js';
import { baseDestinationSchema, defineDestination, type OutboxItem, type SendResult } from '../../src/destinations/types.js';
import { silentLogger, type Logger, type SqlDb } from '../../src/ports.js';
import { clock } from '../helpers/runtime.js';
import { consent } from '../destinations/fixtures.js';

type Script = (batch: OutboxItem<unknown>[]) => Promise<SendResult> | SendResult;

const ok: Script = (batch) => ({ delivered: batch.map((i) => i.id), retry: [], failed: [] });
const unavailable: Script = (batch) => ({ delivered: [], retry: batch.map((i) => ({ id: i.id, error: 'x.http_503' })), failed: [] });

/**
 * A destination whose `send` follows a script the test can swap; every call is recorded (by record
 * sequence number). It sends one request per batch through the worker's in-flight limit.
 */
function scripted(id: string, maxEvents = 2) {
  const calls: number[][] = [];
  const state = { script: ok };
  const kind = defineDestination({
    type: 'ga4',
    configSchema: baseDestinationSchema as never,
    requires: [],
    whenDenied: 'drop',
    privacy: { hashing: GOOGLE_HASHING, ip: 'truncate' },
    batch: { maxEvents, maxWaitMs: 0 },
    maxInFlight: 1,
    map: (e) => ({ payload: { id: e.event_id } }),
    send(batch, _config, ctx) {
      return ctx.limit(async () => {
        calls.push(batch.map((i) => i.id));
        return state.script(batch);
      });
    },
    reasons: { area: 'ga4', vendor: 'The test destination', codes: {} },
    identityKeys: ['id'],
    docs: { vendor: 'https://example.com', page: 'docs/destinations/ga4.md' },
    example: {} as never,
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

/**
 * `claim_batch` = one batch: each round claims (and sends) one chunk after asking the breaker, so
 * the tests see exactly which sends the breaker let through.
 */
async function setup(
  dests: ActiveDestination[],
  breaker = { failures: 3, cooldown: '1s', max_cooldown: '30s' },
  opts: { max_attempts?: number; claim_batch?: number } = {},
  now = clock(),
  log: Logger = silentLogger,
) {
  db = openSqlite(':memory:');
  await migrate(db);
  const config = deliveryConfigSchema.parse({ max_attempts: 50, poll_interval: '10ms', claim_batch: 2, ...opts, breaker });
  // random = 0: retries are due at once, so only the breaker stops the worker from hammering.
  worker = createWorker({ db, destinations: dests, config, fetch: fetch, now, log, random: () => 0 });
  at = now.now;
  accepted = 0;
  return { now, worker };
}

let at = 0;
let accepted = 0;

/** A minimal accepted event: no user data, every purpose granted. */
function record(n: number): EventRecord {
  return {
    event_id: `e-${n}`,
    name: 'page_view',
    time: at,
    received_at: at,
    params: {},
    page: {},
    client: {},
    consent_state: consent(),
    source: 'native',
    removed: { headers: false, cookies: false },
    identity: { had_user_data: false, hashed: {}, dropped: {}, pseudo: {}, salt_id: 't1', notes: [] },
    notes: [],
    config_version: 'test',
  };
}

/** Accept `count` events: one record each (sequence numbers 1, 2, … in order), read by every destination. */
async function accept(count: number): Promise<void> {
  await db.batch(Array.from({ length: count }, () => insertRecordStatement(record(++accepted))));
}

/** Attempts per record waiting for a retry at `destination` (sequence order). */
const retries = (destination: string) =>
  db.all<{ seq: number; attempts: number }>('SELECT seq, attempts FROM delivery_retry WHERE destination_id = ? ORDER BY seq', [destination]);

/** The decision records of `destination`, by event id. */
const outcomes = async (destination: string) =>
  Object.fromEntries(
    (await db.all<{ event_id: string; status: string; attempts: number }>('SELECT event_id, status, attempts FROM delivery_log WHERE destination_id = ? ORDER BY event_id', [destination])).map(
      (r) => [r.event_id, `${r.status}/${r.attempts}`],
    ),
  );

const cursor = async (destination: string) => (await db.get<{ seq: number }>('SELECT seq FROM delivery_cursor WHERE destination_id = ?', [destination]))?.seq;

describe('the worker with a circuit breaker per destination', () => {
  it('stops calling send after N failed sends; unsent records are not attempted; outage failures and waits use up no attempts; a successful probe drains the rest', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    const { now, worker } = await setup([a.dest]);
    await accept(10);
    await worker.drain();
    // Three failed sends (chunks of 2; a retry that is due may go before new records), then the
    // breaker opened: nothing more was sent.
    expect(a.calls).toHaveLength(3);
    expect(a.calls.every((c) => c.length === 2)).toBe(true);
    expect(worker.stats.breakers.a).toEqual({ state: 'open', consecutive_failures: 3, opened: 1, open_until: now.now + 1000 });
    // Six item sends, four attempts used: the send that opened the breaker was part of the outage
    // (issue 13 item 6). Records never sent were not claimed: no retry row, no decision record.
    const tried = [...new Set(a.calls.flat())].sort((x, y) => x - y);
    expect(tried.length).toBeLessThan(10);
    expect((await retries('a')).map((r) => r.seq)).toEqual(tried);
    expect((await retries('a')).reduce((n, r) => n + r.attempts, 0)).toBe(4);
    const before = await outcomes('a');
    expect(Object.keys(before).sort()).toEqual(tried.map((n) => `e-${n}`).sort());
    expect(Object.values(before).every((s) => s.startsWith('retrying/'))).toBe(true);
    // A failure during the outage waits for the end of the cooldown, not for its own backoff.
    const waits = await db.all<{ seq: number; next_attempt_at: number }>("SELECT seq, next_attempt_at FROM delivery_retry WHERE destination_id = 'a'");
    for (const seq of a.calls[2]!) expect(waits.find((w) => w.seq === seq)!.next_attempt_at).toBe(now.now + 1000);

    // Open: however often the worker runs, send is not called and no attempt is spent.
    const attempts = await retries('a');
    for (let i = 0; i < 5; i++) await worker.drain();
    now.now += 999;
    await worker.drain();
    expect(a.calls).toHaveLength(3);
    expect(await retries('a')).toEqual(attempts);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', opened: 1 });

    // Cooldown over: one probe batch (a due retry), it succeeds, the breaker closes and the rest goes.
    now.now += 1;
    a.state.script = ok;
    await worker.drain();
    expect(tried).toEqual(expect.arrayContaining(a.calls[3]!));
    expect(a.calls.slice(3).flat().sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(await retries('a')).toEqual([]);
    expect(worker.stats.delivered).toBe(10);
    expect(worker.stats.dead).toBe(0);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'closed', consecutive_failures: 0, open_until: null });
    // Every record has its decision record, counting the attempts it really used.
    const used = new Map(attempts.map((r) => [`e-${r.seq}`, r.attempts]));
    const after = await outcomes('a');
    expect(Object.keys(after)).toHaveLength(10);
    for (const [event, outcome] of Object.entries(after)) expect(outcome).toBe(`delivered/${(used.get(event) ?? 0) + 1}`);
    expect(await cursor('a')).toBe(10);
  });

  it('an outage far longer than max_attempts failed sends ends in delivery, not in the dead-letter store', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    // Three attempts allowed: only failures outside an outage may use them up.
    const { now, worker } = await setup([a.dest], { failures: 1, cooldown: '1s', max_cooldown: '1s' }, { max_attempts: 3 });
    await accept(4);
    await worker.drain();
    for (let probe = 0; probe < 10; probe++) {
      now.now += 1000;
      await worker.drain();
    }
    // Every probe failed (one batch per cooldown) and nothing was dead-lettered.
    expect(a.calls).toEqual(Array.from({ length: 11 }, () => [1, 2]));
    expect(await db.all('SELECT * FROM dead_letter')).toEqual([]);
    expect((await retries('a')).every((r) => r.attempts === 0)).toBe(true);
    a.state.script = ok;
    now.now += 1000;
    await worker.drain();
    expect(await retries('a')).toEqual([]);
    expect(worker.stats.delivered).toBe(4);
    expect(worker.stats.dead).toBe(0);
  });

  it('sends in flight when the breaker opens do not reopen it: one outage opens it once, with the first cooldown', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    // The default claim: all five batches are handed to send at once (many requests in flight).
    const { now, worker } = await setup([a.dest], undefined, { claim_batch: 500 });
    await accept(10);
    await worker.drain();
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', opened: 1, open_until: now.now + 1000 });
    // The failures that landed once the breaker was open used no attempt.
    expect((await retries('a')).map((r) => r.attempts)).toEqual([1, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    now.now += 1000;
    a.state.script = ok;
    await worker.drain();
    expect(worker.stats.delivered).toBe(10);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'closed', opened: 1 });
  });

  it('a failed probe sends exactly one batch and reopens with a doubled cooldown', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    const { now, worker } = await setup([a.dest]);
    await accept(10);
    await worker.drain();
    const attempts = await retries('a');
    now.now += 1000;
    await worker.drain();
    expect(a.calls).toHaveLength(4);
    // The probe is one batch of records waiting for a retry.
    expect(a.calls[3]).toHaveLength(2);
    expect(attempts.map((r) => r.seq)).toEqual(expect.arrayContaining(a.calls[3]!));
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', opened: 2, open_until: now.now + 2000 });
    now.now += 1999;
    await worker.drain();
    expect(a.calls).toHaveLength(4);
    // The failed probe was part of the outage: no attempt spent on it.
    expect(await retries('a')).toEqual(attempts);
  });

  it('a thrown send counts as a failure, and permanent refusals do not open the breaker', async () => {
    const a = scripted('a', 1);
    a.state.script = () => {
      throw new Error('socket hang up');
    };
    const b = scripted('b', 1);
    b.state.script = (batch) => ({ delivered: [], retry: [], failed: batch.map((i) => ({ id: i.id, error: 'x.http_400' })) });
    // One record per claim, as per batch: the breaker is asked before each send.
    const { worker } = await setup([a.dest, b.dest], undefined, { claim_batch: 1 });
    // Every record goes to both destinations.
    await accept(5);
    await worker.drain();
    expect(a.calls).toHaveLength(3);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', consecutive_failures: 3 });
    // Three throws, two attempts used: the third opened the breaker (an outage uses none).
    expect((await retries('a')).reduce((n, r) => n + r.attempts, 0)).toBe(2);
    expect(Object.values(await outcomes('a')).every((s) => s.startsWith('retrying/'))).toBe(true);
    expect(b.calls).toHaveLength(5);
    expect(worker.stats.breakers.b!.state).toBe('closed');
    expect(worker.stats.dead).toBe(5);
    const dead = await db.all<{ destination_id: string; reason: string; seq: number }>('SELECT destination_id, reason, seq FROM dead_letter ORDER BY seq');
    expect(dead).toEqual([1, 2, 3, 4, 5].map((seq) => ({ destination_id: 'b', reason: 'x.http_400', seq })));
  });

  it('honours the Retry-After of a 429 as the cooldown', async () => {
    const a = scripted('a');
    a.state.script = (batch) => ({ delivered: [], retry: batch.map((i) => ({ id: i.id, error: 'x.http_429', retry_after_ms: 12_000 })), failed: [] });
    const { now, worker } = await setup([a.dest], { failures: 1, cooldown: '1s', max_cooldown: '30s' });
    await accept(4);
    await worker.drain();
    expect(a.calls).toHaveLength(1);
    expect(worker.stats.breakers.a).toMatchObject({ state: 'open', open_until: now.now + 12_000 });
    // The batch waits for the cooldown, not for its own backoff.
    expect(await db.all("SELECT seq, attempts, next_attempt_at FROM delivery_retry WHERE destination_id = 'a' ORDER BY seq")).toEqual([
      { seq: 1, attempts: 0, next_attempt_at: now.now + 12_000 },
      { seq: 2, attempts: 0, next_attempt_at: now.now + 12_000 },
    ]);
  });

  it('an open breaker on one destination does not hold back another', async () => {
    const a = scripted('a');
    a.state.script = unavailable;
    const b = scripted('b');
    const { worker } = await setup([a.dest, b.dest]);
    await accept(20);
    await worker.drain();
    expect(worker.stats.breakers.a!.state).toBe('open');
    expect(a.calls.flat()).toHaveLength(6);
    expect(b.calls.flat().sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(await retries('b')).toEqual([]);
    expect(Object.values(await outcomes('b'))).toEqual(Array.from({ length: 20 }, () => 'delivered/1'));
    expect(await cursor('b')).toBe(20);
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
    // A destination starts with the records accepted after it started.
    await worker.start();
    await accept(6);
    worker.wake();
    await vi.waitFor(async () => expect(Object.values(await outcomes('b'))).toEqual(Array.from({ length: 6 }, () => 'delivered/1')), { timeout: 5000, interval: 10 });
    expect(b.calls.flat().sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6]);
    // a is still stuck in its first send (one request in flight) while b has delivered everything.
    expect(a.calls).toEqual([[1, 2]]);
    expect(await outcomes('a')).toEqual({});
    expect(await retries('b')).toEqual([]);
    release();
  });
});

describe('a Retry-After holds the requests queued behind it', () => {
  it('the request queued under max_in_flight is not sent before the 429’s Retry-After ends; both are delivered after it', async () => {
    const { createServer } = await import('node:http');
    const { postJson } = await import('../../src/destinations/http.js');
    const hits: { at: number; status: number }[] = [];
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        const status = hits.length === 0 ? 429 : 204;
        hits.push({ at: Date.now(), status });
        // Every answer after a realistic delay; the first one asks for 1 s of quiet.
        setTimeout(() => res.writeHead(status, status === 429 ? { 'retry-after': '1' } : {}).end(), 25);
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/collect`;
    try {
      // One event per batch, one request per send, one request in flight: the second send's request
      // is queued behind the first one's, which gets the 429.
      const a = scripted('a', 1);
      a.dest.kind.send = async (batch, _config, ctx) => {
        const res = await ctx.limit(() => postJson(ctx.fetch, url, '{}', 5000));
        return res.ok && res.status === 204 ? ok(batch) : unavailable(batch);
      };
      const realClock = Object.defineProperty(() => Date.now(), 'now', { get: () => Date.now() }) as unknown as ReturnType<typeof clock>;
      const { worker } = await setup([a.dest], { failures: 5, cooldown: '100ms', max_cooldown: '1s' }, {}, realClock);
      await accept(2);
      await worker.drain();
      // Both were answered 429 (the second without a request): nothing else reached the vendor yet.
      expect(hits).toHaveLength(1);
      await worker.start();
      await vi.waitFor(() => expect(hits.filter((h) => h.status === 204).length).toBeGreaterThanOrEqual(2), { timeout: 15_000, interval: 20 });
      const refused = hits[0]!;
      expect(refused.status).toBe(429);
      // The server answered ~25 ms after it logged the hit: the next request comes ≥ 1 s after that.
      expect(hits[1]!.at - refused.at).toBeGreaterThanOrEqual(1000);
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});

describe('stopping the worker while a drain runs (a shutdown whose drain outlasted shutdown_drain)', () => {
  it('the drain ends with the stop: nothing claims or sweeps the store after it is closed, nothing is logged', async () => {
    const a = scripted('a');
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    a.state.script = async (batch) => {
      await gate;
      return ok(batch);
    };
    const logged: string[] = [];
    const log = { ...silentLogger, warn: (msg: string) => logged.push(`warn ${msg}`), error: (msg: string) => logged.push(`error ${msg}`) };
    const { worker: w } = await setup([a.dest], undefined, {}, clock(), log);
    // Started first: a destination's cursor starts at the records accepted after it.
    await w.start();
    await accept(10);
    const draining = w.drain();
    await vi.waitFor(() => expect(a.calls.length).toBeGreaterThan(0));
    const stopping = w.stop();
    release();
    await stopping;
    await db.close();
    await draining;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(logged).toEqual([]);
    worker = undefined; // stopped and closed above
    // What was in flight when it stopped was settled: those records are not sent again at the next start.
    expect(a.calls.flat().length).toBeGreaterThan(0);
  });
});
