/**
 * @module The Queue as the Workers delivery trigger, for real in workerd via Miniflare: D1, a queue the Worker
 * produces to and consumes, a GA4 fake as the vendor. Records commit to D1 before the 202; the queue only
 * carries a wake-up (a count, no payload, no personal data); the consumer drains the shared worker over D1
 * and acks; a refused wake-up is covered by the cron; a drain that cannot record its outcomes retries.
 * The Worker is tagrelay's own entry wrapped by fixtures/queue-probe-worker.ts, which records the queue
 * traffic in a second D1 database (PROBE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { createHash } from 'node:crypto';
import { Miniflare } from 'miniflare';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';

const TEST_CONFIG = fileURLToPath(new URL('./fixtures/queue-config.yaml', import.meta.url));
const PROBE_ENTRY = fileURLToPath(new URL('./fixtures/queue-probe-worker.ts', import.meta.url));
const EMAIL = 'Jane.Doe@Example.com';
const IP = '198.51.100.23';

/** The Worker bundled as wrangler would, with the test config in place of config/default.yaml. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [PROBE_ENTRY],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    write: false,
    loader: { '.yaml': 'text' },
    logLevel: 'silent',
    plugins: [
      {
        name: 'test-config',
        setup(b) {
          b.onResolve({ filter: /config\/default\.yaml$/ }, () => ({ path: TEST_CONFIG }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

/** Poll until `check` returns a value, at most `limitMs` (a bounded wait, not a timing assertion). */
async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} (${limitMs} ms)`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The tables fixtures/queue-probe-worker.ts writes into. */
const PROBE_SCHEMA = [
  'CREATE TABLE sent (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL, content_type TEXT, refused INTEGER NOT NULL)',
  'CREATE TABLE consumed (id INTEGER PRIMARY KEY AUTOINCREMENT, message_id TEXT NOT NULL, body TEXT NOT NULL, attempts INTEGER NOT NULL, outcome TEXT NOT NULL)',
  'CREATE TABLE mode (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
];

let ga4: Ga4Fake;
let mf: Miniflare;

beforeAll(async () => {
  ga4 = await startGa4Fake({ apiSecret: 'queue-test-secret' });
  mf = new Miniflare({
    modules: true,
    script: await bundle(),
    compatibilityDate: '2026-04-01',
    // Never download Request.cf.
    cf: false,
    d1Databases: { DB: 'tagrelay-queue-test', PROBE: 'tagrelay-queue-probe' },
    queueProducers: { OUTBOX: { queueName: 'tagrelay-outbox' } },
    queueConsumers: { 'tagrelay-outbox': { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 10 } },
    bindings: { GA4_ENDPOINT: ga4.url, TAGRELAY_LOG_LEVEL: 'warn' },
  });
  await mf.ready;
  const probe = await mf.getD1Database('PROBE');
  for (const sql of PROBE_SCHEMA) await probe.prepare(sql).run();
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await ga4?.close();
});

interface EventBody {
  name: string;
  event_id: string;
  params: Record<string, unknown>;
  consent: Record<string, string>;
}

const event = (eventId: string): EventBody => ({
  name: 'add_to_cart',
  event_id: eventId,
  params: { currency: 'EUR', value: 19.9, transaction_id: eventId },
  consent: { analytics_storage: 'granted' },
});

async function postEvents(...events: EventBody[]): Promise<Response> {
  return mf.dispatchFetch('http://tagrelay.test/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-ipcountry': 'FR', 'cf-connecting-ip': IP, 'user-agent': 'Mozilla/5.0 (queue test)' },
    body: JSON.stringify({ user: { email: EMAIL, user_id: 'crm-77' }, events }),
  }) as unknown as Promise<Response>;
}

/** GA4 requests that carried this event (its id travels as the transaction_id param). */
const requestsFor = (eventId: string) => ga4.received.filter((r) => r.path === '/mp/collect' && r.raw.includes(eventId));

async function sql<T>(database: 'DB' | 'PROBE', query: string, ...params: unknown[]): Promise<T[]> {
  const db = await mf.getD1Database(database);
  return (await db.prepare(query).bind(...params).all<T>()).results;
}

interface SentRow {
  id: number;
  body: string;
  content_type: string | null;
  refused: number;
}
interface ConsumedRow {
  id: number;
  body: string;
  attempts: number;
  outcome: string;
}
interface LogRow {
  status: string;
  attempts: number;
}

const lastId = async (table: 'sent' | 'consumed') => (await sql<{ id: number | null }>('PROBE', `SELECT MAX(id) AS id FROM ${table}`))[0]?.id ?? 0;
const sentSince = (id: number) => sql<SentRow>('PROBE', 'SELECT id, body, content_type, refused FROM sent WHERE id > ? ORDER BY id', id);
const consumedSince = (id: number) => sql<ConsumedRow>('PROBE', 'SELECT id, body, attempts, outcome FROM consumed WHERE id > ? ORDER BY id', id);
const ga4Log = async (eventId: string) => (await sql<LogRow>('DB', "SELECT status, attempts FROM delivery_log WHERE event_id = ? AND destination_id = 'ga4'", eventId))[0];
const delivered = (eventId: string) => until(async () => ((await ga4Log(eventId))?.status === 'delivered' ? (await ga4Log(eventId))! : undefined), `${eventId} delivered to ga4`);

/** Run the Worker's cron trigger (delivery drain + retention), as Cloudflare does once a minute. */
async function cron(): Promise<void> {
  // miniflare's Fetcher type lacks `scheduled` here (no @cloudflare/workers-types); the method is there.
  const worker = (await mf.getWorker()) as unknown as { scheduled(options: { cron: string }): Promise<{ outcome: string }> };
  expect((await worker.scheduled({ cron: '* * * * *' })).outcome).toBe('ok');
}

describe('Workers delivery woken by a Queue (OUTBOX binding)', () => {
  it('a commit sends exactly one wake-up, with a count and no payload or personal data; the consumer delivers and acks it', async () => {
    const [sent0, consumed0] = [await lastId('sent'), await lastId('consumed')];
    const res = await postEvents(event('q-ok-1'), event('q-ok-2'));
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 2, duplicates: 0 });

    // The records are in D1 when the 202 is out; one wake-up went on the queue for the commit.
    expect((await sql<{ event_id: string }>('DB', "SELECT event_id FROM records WHERE event_id LIKE 'q-ok-%' ORDER BY seq")).map((r) => r.event_id)).toEqual(['q-ok-1', 'q-ok-2']);
    const sent = await sentSince(sent0);
    expect(sent).toHaveLength(1);
    expect(JSON.parse(sent[0]!.body)).toEqual({ wake: 'records', count: 2 });
    expect(sent[0]).toMatchObject({ content_type: 'json', refused: 0 });

    // The consumer drained D1: both events reached GA4, once, and were recorded as delivered.
    for (const id of ['q-ok-1', 'q-ok-2']) {
      expect((await delivered(id)).attempts).toBe(1);
      expect(requestsFor(id).map((r) => r.status)).toEqual([204]);
    }
    expect(ga4.problems().flat()).toEqual([]);

    // The message as it travelled through the queue: the count, nothing about the visitor or the events; acked.
    const consumed = await until(async () => {
      const rows = await consumedSince(consumed0);
      return rows.some((r) => r.outcome !== 'none') ? rows : undefined;
    }, 'the wake-up consumed');
    expect(consumed.map((r) => [JSON.parse(r.body), r.outcome])).toEqual([[{ wake: 'records', count: 2 }, 'ack']]);
    const wire = consumed[0]!.body.toLowerCase();
    const hashed = createHash('sha256').update(EMAIL.toLowerCase()).digest('hex');
    for (const secret of ['q-ok', 'jane', 'crm-77', IP, 'mozilla', hashed]) expect(wire).not.toContain(secret);
  });

  it('answers 202 when the queue refuses the wake-up: the records are durable in D1 and the cron delivers them', async () => {
    const sent0 = await lastId('sent');
    await sql('PROBE', "INSERT INTO mode (key, value) VALUES ('refuse_send', '1')");
    let res: Response;
    try {
      res = await postEvents(event('q-refused'));
    } finally {
      await sql('PROBE', "DELETE FROM mode WHERE key = 'refuse_send'");
    }
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    const sent = await sentSince(sent0);
    expect(sent.map((s) => [JSON.parse(s.body), s.refused])).toEqual([[{ wake: 'records', count: 1 }, 1]]);
    // Durable, and not delivered: nothing woke delivery.
    expect(await sql('DB', "SELECT event_id FROM records WHERE event_id = 'q-refused'")).toHaveLength(1);
    expect(await ga4Log('q-refused')).toBeUndefined();

    await cron();
    expect((await delivered('q-refused')).attempts).toBe(1);
    expect(requestsFor('q-refused').map((r) => r.status)).toEqual([204]);
  });

  it('keeps a 503 in delivery_retry in D1, acks the wake-up, and a later drain (the cron) delivers it', async () => {
    const consumed0 = await lastId('consumed');
    ga4.failNext({ status: 503, body: 'unavailable' });
    expect((await postEvents(event('q-retry'))).status).toBe(202);
    const retry = await until(async () => (await sql<{ attempts: number; next_attempt_at: number }>('DB', "SELECT attempts, next_attempt_at FROM delivery_retry WHERE event_id = 'q-retry' AND destination_id = 'ga4'"))[0], 'the retry row');
    expect(retry.attempts).toBe(1);
    expect(requestsFor('q-retry').map((r) => r.status)).toEqual([503]);
    const consumed = await until(async () => {
      const rows = (await consumedSince(consumed0)).filter((r) => r.outcome !== 'none');
      return rows.length > 0 ? rows : undefined;
    }, 'the wake-up consumed');
    expect(consumed.map((r) => r.outcome)).toEqual(['ack']);

    // Once the backoff (1–2 s in queue-config.yaml) is over, the cron's drain sends it again.
    await until(() => (Date.now() > retry.next_attempt_at ? true : undefined), 'the retry to come due');
    await cron();
    expect((await delivered('q-retry')).attempts).toBe(2);
    expect(requestsFor('q-retry').map((r) => r.status)).toEqual([503, 204]);
    expect(await sql('DB', "SELECT seq FROM delivery_retry WHERE event_id = 'q-retry'")).toEqual([]);
  });

  it('dead-letters a 400 in D1 with the reason and acks the wake-up, with no resend scheduled', async () => {
    const consumed0 = await lastId('consumed');
    ga4.failNext({ status: 400, body: 'bad request' });
    expect((await postEvents(event('q-bad'))).status).toBe(202);
    const dead = await until(async () => (await sql<{ reason: string; attempts: number; payload: string }>('DB', "SELECT reason, attempts, payload FROM dead_letter WHERE event_id = 'q-bad' AND destination_id = 'ga4'"))[0], 'the dead letter');
    expect(dead.reason).toMatch(/^ga4\.http_400/);
    expect(dead.attempts).toBe(1);
    expect(JSON.parse(dead.payload)).toHaveProperty('event');
    const consumed = await until(async () => {
      const rows = (await consumedSince(consumed0)).filter((r) => r.outcome !== 'none');
      return rows.length > 0 ? rows : undefined;
    }, 'the wake-up consumed');
    expect(consumed.map((r) => r.outcome)).toEqual(['ack']);
    expect(await sql('DB', "SELECT seq FROM delivery_retry WHERE event_id = 'q-bad'")).toEqual([]);
    expect(requestsFor('q-bad').map((r) => r.status)).toEqual([400]);
  });

  it('retries the wake-up when the drain cannot record its outcomes; the redelivered one completes the delivery', async () => {
    const consumed0 = await lastId('consumed');
    const db = await mf.getD1Database('DB');
    await db.prepare("CREATE TRIGGER refuse_outcomes BEFORE INSERT ON delivery_log BEGIN SELECT RAISE(ABORT, 'delivery_log refuses writes (test)'); END").run();
    try {
      expect((await postEvents(event('q-paused'))).status).toBe(202);
      const first = await until(async () => (await consumedSince(consumed0)).find((r) => r.outcome !== 'none'), 'the first wake-up consumed');
      expect(first).toMatchObject({ attempts: 1, outcome: 'retry' });
      expect(await ga4Log('q-paused')).toBeUndefined();
    } finally {
      await db.prepare('DROP TRIGGER refuse_outcomes').run();
    }
    // The queue redelivers the wake-up; its drain records what the first one could not.
    const again = await until(async () => (await consumedSince(consumed0)).find((r) => r.attempts > 1 && r.outcome !== 'none'), 'the redelivered wake-up consumed', 30_000);
    expect(again.outcome).toBe('ack');
    expect(JSON.parse(again.body)).toEqual({ wake: 'records', count: 1 });
    expect((await delivered('q-paused')).status).toBe('delivered');
    // The send that succeeded while its outcome could not be written is not repeated.
    expect(requestsFor('q-paused').map((r) => r.status)).toEqual([204]);
    expect((await mf.dispatchFetch('http://tagrelay.test/readyz')).status).toBe(200);
  }, 60_000);
});

describe('alarms on Workers (the cron)', () => {
  it('the cron evaluates the alarms over D1: the record log rolled up once, the lease taken, no alarm on normal traffic', async () => {
    expect((await postEvents(event('alarm-1'), event('alarm-2'))).status).toBe(202);
    await cron();
    const records = await sql<{ n: number; seq: number }>('DB', "SELECT COUNT(*) AS n, MAX(seq) AS seq FROM records WHERE json_extract(data, '$.name') = 'add_to_cart'");
    const rolled = await sql<{ n: number }>('DB', "SELECT SUM(value) AS n FROM alarm_rollup WHERE metric = 'ev' AND key = 'add_to_cart'");
    expect(rolled[0]!.n).toBe(records[0]!.n);
    const meta = await sql<{ key: string; value: number }>('DB', "SELECT key, value FROM alarm_meta WHERE key IN ('records_seq', 'lease') ORDER BY key");
    expect(meta.map((m) => m.key)).toEqual(['lease', 'records_seq']);
    expect(meta[1]!.value).toBe((await sql<{ seq: number }>('DB', 'SELECT MAX(seq) AS seq FROM records'))[0]!.seq);
    // A second cron reads nothing twice.
    await cron();
    expect((await sql<{ n: number }>('DB', "SELECT SUM(value) AS n FROM alarm_rollup WHERE metric = 'ev' AND key = 'add_to_cart'"))[0]!.n).toBe(records[0]!.n);
    expect(await sql('DB', 'SELECT key FROM alarms')).toEqual([]);
  });
});
