/**
 * @module The Workers outbox on a Cloudflare Queue, for real in workerd via Miniflare: D1 + a queue the Worker
 * produces to and consumes, a GA4 fake as the vendor. Delivery, a retry via msg.retry, a dead letter in D1.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';
import { WORKER_ENTRY } from '../../src/runtime/worker/bundle-size.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';

const TEST_CONFIG = fileURLToPath(new URL('./fixtures/queue-config.yaml', import.meta.url));

/** The Worker bundled as wrangler would, with the test config in place of config/default.yaml. */
async function bundle(): Promise<string> {
  const result = await build({
    entryPoints: [WORKER_ENTRY],
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

/** Poll until `check` returns a value, at most `limitMs`. */
async function until<T>(check: () => Promise<T | undefined> | T | undefined, limitMs = 20_000): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`condition not met within ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

let ga4: Ga4Fake;
let mf: Miniflare;
let run = 0;

beforeAll(async () => {
  ga4 = await startGa4Fake({ apiSecret: 'queue-test-secret' });
  mf = new Miniflare({
    modules: true,
    script: await bundle(),
    compatibilityDate: '2026-04-01',
    d1Databases: { DB: 'tagrelay-queue-test' },
    queueProducers: { OUTBOX: { queueName: 'tagrelay-outbox' } },
    queueConsumers: { 'tagrelay-outbox': { maxBatchSize: 10, maxBatchTimeout: 1, maxRetries: 10 } },
    bindings: { GA4_ENDPOINT: ga4.url, TAGRELAY_LOG_LEVEL: 'warn' },
  });
  await mf.ready;
}, 60_000);

afterAll(async () => {
  await mf?.dispose();
  await ga4?.close();
});

afterEach(() => {
  run++;
});

async function postEvent(eventId: string): Promise<{ status: number }> {
  return mf.dispatchFetch('http://tagrelay.test/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-ipcountry': 'FR' },
    body: JSON.stringify({ name: 'add_to_cart', event_id: eventId, params: { currency: 'EUR', value: 19.9, transaction_id: eventId }, consent: { analytics_storage: 'granted' } }),
  });
}

/** GA4 requests that carried this event (its id travels as the transaction_id param). */
const requestsFor = (eventId: string) => ga4.received.filter((r) => r.path === '/mp/collect' && r.raw.includes(eventId));

async function sql<T>(query: string, ...params: unknown[]): Promise<T[]> {
  const db = await mf.getD1Database('DB');
  return (await db.prepare(query).bind(...params).all<T>()).results;
}

describe('Workers outbox on a Queue (OUTBOX binding)', () => {
  it('delivers an accepted event to GA4 through the queue consumer, not the D1 outbox', async () => {
    const id = `q-${run}-ok`;
    const res = await postEvent(id);
    expect(res.status).toBe(202);
    const [req] = await until(() => (requestsFor(id).length > 0 ? requestsFor(id) : undefined));
    expect(req!.status).toBe(204);
    expect(ga4.problems().flat()).toEqual([]);
    const log = await until(async () => (await sql<{ status: string; attempts: number }>('SELECT status, attempts FROM delivery_log WHERE event_id = ? AND destination_id = ?', id, 'ga4')).find((r) => r.status === 'delivered'));
    expect(log.attempts).toBe(1);
    // The vendor row never touched the D1 outbox: its AUTOINCREMENT counter was never used.
    expect(await sql("SELECT seq FROM sqlite_sequence WHERE name = 'outbox'")).toEqual([]);
  });

  it('retries a 503 via msg.retry and delivers on a later attempt', async () => {
    const id = `q-${run}-retry`;
    ga4.failNext({ status: 503, body: 'unavailable' });
    expect((await postEvent(id)).status).toBe(202);
    const reqs = await until(() => (requestsFor(id).some((r) => r.status === 204) ? requestsFor(id) : undefined));
    expect(reqs.map((r) => r.status)).toEqual([503, 204]);
    const log = await until(async () => (await sql<{ status: string; attempts: number }>('SELECT status, attempts FROM delivery_log WHERE event_id = ? AND destination_id = ?', id, 'ga4')).find((r) => r.status === 'delivered'));
    expect(log.attempts).toBe(2);
  });

  it('dead-letters a 400 in D1 with the reason and acks the message', async () => {
    const id = `q-${run}-bad`;
    ga4.failNext({ status: 400, body: 'bad request' });
    expect((await postEvent(id)).status).toBe(202);
    const [dead] = await until(async () => {
      const rows = await sql<{ reason: string; attempts: number; payload: string }>('SELECT reason, attempts, payload FROM dead_letter WHERE event_id = ? AND destination_id = ?', id, 'ga4');
      return rows.length > 0 ? rows : undefined;
    });
    expect(dead!.reason).toMatch(/^ga4\.http_400/);
    expect(dead!.attempts).toBe(1);
    expect(JSON.parse(dead!.payload)).toHaveProperty('event');
    // Acked: no redelivery reaches the fake after the dead letter (one request only, given a grace period for one).
    await new Promise((r) => setTimeout(r, 1_500));
    expect(requestsFor(id).map((r) => r.status)).toEqual([400]);
  });
});
