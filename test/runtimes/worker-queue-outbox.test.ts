/**
 * @module The Workers queue as a wake-up trigger, without workerd: records commit to the store first, then
 * one small message with a count and nothing else; a refused send loses nothing; the consumer drains
 * once per batch and acks, or retries when the drain fails. worker-queue.test.ts runs the same in workerd.
 */
import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { queueOutbox, type QueueProducer, type WakeMessage } from '../../src/runtime/worker/queue-outbox.js';
import { consumeWakeups, WAKE_RETRY_DELAY_S, type QueueMessage } from '../../src/runtime/worker/queue-consumer.js';
import type { Outbox } from '../../src/delivery/outbox.js';
import type { EventRecord } from '../../src/delivery/record.js';
import type { TagrelayApp } from '../../src/app.js';
import { captureLog, post, testApp } from '../helpers/runtime.js';

const EMAIL = 'Jane.Doe@Example.com';
const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' };

interface Sent {
  body: unknown;
  options?: { contentType?: string };
  /** Records in the store when the message was sent. */
  recordsAtSend: number;
}

/** A queue producer that keeps what it is sent (and can refuse), counting the durable records at each send. */
function recordingQueue(app: TagrelayApp | undefined, refuse = false): QueueProducer & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    sent,
    async send(body, options) {
      const row = await app?.services.runtime.db.get<{ n: number }>('SELECT count(*) AS n FROM records');
      sent.push({ body, options, recordsAtSend: row?.n ?? -1 });
      if (refuse) throw new Error('queue unavailable (test)');
    },
  };
}

let current: TagrelayApp | undefined;
afterEach(async () => {
  await current?.services.close();
  current = undefined;
});

/**
 * An app on the Node runtime wired like the Worker: the queue outbox over the store's own, and the
 * background worker stopped after boot (as main.ts does), so only an explicit drain delivers.
 */
async function workerLikeApp(refuse = false) {
  const { app, log } = testApp({ destinations: [{ id: 'lake', type: 'sqlite' }] });
  current = app;
  await app.services.ready;
  await app.services.worker.stop();
  const queue = recordingQueue(app, refuse);
  app.services.outbox = queueOutbox({ queue, d1: app.services.outbox, log: app.services.runtime.log });
  return { app, log, queue, db: app.services.runtime.db };
}

/** A batch of events carrying personal data that must never travel on the queue. */
function batch(prefix: string, n: number) {
  return {
    user: { email: EMAIL, user_id: 'crm-77', phone: '+33612345678' },
    page: { url: 'https://shop.example/checkout?email=jane%40example.com' },
    events: Array.from({ length: n }, (_, i) => ({ name: 'add_to_cart', event_id: `${prefix}-${i}`, params: { value: 10 + i, currency: 'EUR' }, consent: GRANTED })),
  };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('queueOutbox (records to the store, then one wake-up)', () => {
  it('commits the records, then sends exactly one wake-up: a count and nothing else', async () => {
    const { app, queue, db } = await workerLikeApp();
    const res = await post(app, '/v1/events', batch('wake', 3), { 'user-agent': USER_AGENT, 'x-forwarded-for': '198.51.100.23' });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 3, duplicates: 0 });

    expect(queue.sent).toHaveLength(1);
    const [sent] = queue.sent;
    // The message is sent once the records are durable, never before.
    expect(sent!.recordsAtSend).toBe(3);
    expect(sent!.body).toEqual({ wake: 'records', count: 3 } satisfies WakeMessage);
    expect(Object.keys(sent!.body as object).sort()).toEqual(['count', 'wake']);
    expect(sent!.options).toEqual({ contentType: 'json' });
    // No payload and no personal data, clear or hashed, not even the event ids.
    const wire = JSON.stringify(sent!.body);
    for (const secret of ['wake-0', 'wake-1', 'wake-2', 'jane', 'crm-77', '612345678', '198.51.100', 'Mozilla', sha256(EMAIL.toLowerCase())]) {
      expect(wire.toLowerCase()).not.toContain(secret.toLowerCase());
    }
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM records ORDER BY seq')).map((r) => r.event_id)).toEqual(['wake-0', 'wake-1', 'wake-2']);
  });

  it('sends nothing when no record was new, and counts only the new ones', async () => {
    const { app, queue } = await workerLikeApp();
    expect((await post(app, '/v1/events', batch('dup', 2))).status).toBe(202);
    expect(queue.sent.map((s) => s.body)).toEqual([{ wake: 'records', count: 2 }]);
    // The same ids again: nothing to deliver, nothing to wake.
    const again = await post(app, '/v1/events', batch('dup', 2));
    expect(await again.json()).toMatchObject({ accepted: 2, duplicates: 2 });
    expect(queue.sent).toHaveLength(1);

    // A store that already held some of the ids (another isolate accepted them): only the new ones count.
    const flags: boolean[][] = [[true, false, true], [false, false]];
    const store: Outbox = { append: async () => flags.shift()!, flush: async () => undefined };
    const direct = recordingQueue(undefined);
    const outbox = queueOutbox({ queue: direct, d1: store, log: captureLog() });
    const records = (n: number) => Array.from({ length: n }, () => ({}) as EventRecord);
    expect(await outbox.append(records(3))).toEqual([true, false, true]);
    expect(await outbox.append(records(2))).toEqual([false, false]);
    expect(direct.sent.map((s) => s.body)).toEqual([{ wake: 'records', count: 2 }]);
  });

  it('answers 202 when the queue refuses the wake-up: the records are durable and a drain delivers them', async () => {
    const { app, queue, db, log } = await workerLikeApp(true);
    const res = await post(app, '/v1/events', batch('refused', 2), { 'user-agent': USER_AGENT });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(queue.sent).toHaveLength(1);
    expect(queue.sent[0]!.recordsAtSend).toBe(2);
    const warning = log.lines.find((l) => l.msg.startsWith('queue wake-up failed'));
    expect(warning?.level).toBe('warn');
    expect(warning?.fields).toMatchObject({ records: 2 });
    expect(log.text().toLowerCase()).not.toContain('jane');

    // Nothing delivered yet: the worker is stopped, as on Workers between invocations.
    expect(await db.all('SELECT event_id FROM records')).toHaveLength(2);
    expect(await db.all('SELECT event_id FROM events')).toEqual([]);
    // What the cron does: drain.
    await app.services.worker.drain();
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id')).map((r) => r.event_id)).toEqual(['refused-0', 'refused-1']);
    const log2 = await db.all<{ status: string }>("SELECT status FROM delivery_log WHERE destination_id = 'lake'");
    expect(log2.map((r) => r.status)).toEqual(['delivered', 'delivered']);
  });

  it('rejects when the store cannot take the records, and sends nothing', async () => {
    const direct = recordingQueue(undefined);
    const store: Outbox = { append: () => Promise.reject(new Error('d1 down')), flush: async () => undefined };
    await expect(queueOutbox({ queue: direct, d1: store, log: captureLog() }).append([{} as EventRecord])).rejects.toThrow('d1 down');
    expect(direct.sent).toEqual([]);
  });

  it('answers 503 when the store refuses, and sends no wake-up', async () => {
    const { app, queue, db } = await workerLikeApp();
    await db.exec("CREATE TRIGGER refuse_records BEFORE INSERT ON records BEGIN SELECT RAISE(ABORT, 'store refuses (test)'); END");
    const res = await post(app, '/v1/events', batch('down', 1));
    expect(res.status).toBe(503);
    expect(queue.sent).toEqual([]);
  });
});

/** A message that records what the consumer did with it. */
function message(body: unknown, order: string[]): QueueMessage & { outcome?: string; delaySeconds?: number } {
  const m: QueueMessage & { outcome?: string; delaySeconds?: number } = {
    body,
    attempts: 1,
    ack() {
      m.outcome = 'ack';
      order.push('ack');
    },
    retry(options) {
      m.outcome = 'retry';
      m.delaySeconds = options?.delaySeconds;
      order.push('retry');
    },
  };
  return m;
}

describe('consumeWakeups (the queue handler)', () => {
  const wakeups = (order: string[]) => [message({ wake: 'records', count: 3 }, order), message({ wake: 'records', count: 1 }, order), message({ wake: 'records', count: 2 }, order)];

  it('drains once for the whole batch, then acks every message', async () => {
    const order: string[] = [];
    const messages = wakeups(order);
    const worker = {
      fault: undefined,
      async drain() {
        order.push('drain start');
        await new Promise((r) => setTimeout(r, 10));
        order.push('drain end');
      },
    };
    expect(await consumeWakeups({ messages }, worker)).toEqual({ acked: 3, retried: 0 });
    expect(order).toEqual(['drain start', 'drain end', 'ack', 'ack', 'ack']);
    expect(messages.map((m) => m.outcome)).toEqual(['ack', 'ack', 'ack']);
  });

  it('retries every message, with a delay, when the drain throws', async () => {
    const order: string[] = [];
    const messages = wakeups(order);
    const worker = { fault: undefined, drain: () => Promise.reject(new Error('D1_ERROR: database unavailable')) };
    expect(await consumeWakeups({ messages }, worker)).toEqual({ acked: 0, retried: 3 });
    expect(messages.map((m) => m.outcome)).toEqual(['retry', 'retry', 'retry']);
    expect(messages.every((m) => m.delaySeconds === WAKE_RETRY_DELAY_S && WAKE_RETRY_DELAY_S > 0)).toBe(true);
  });

  it('retries every message when the drain ends with delivery paused (the store refused the outcomes)', async () => {
    const order: string[] = [];
    const messages = wakeups(order);
    const worker = { fault: undefined as string | undefined, drain: async () => void (worker.fault = 'D1_ERROR: too many requests') };
    expect(await consumeWakeups({ messages }, worker)).toEqual({ acked: 0, retried: 3 });
    expect(messages.map((m) => m.outcome)).toEqual(['retry', 'retry', 'retry']);
  });

  it('drains over the real worker and store: the records the wake-ups announce are delivered before the ack', async () => {
    const { app, db } = await workerLikeApp();
    expect((await post(app, '/v1/events', batch('consumed', 2))).status).toBe(202);
    const order: string[] = [];
    const messages = [message({ wake: 'records', count: 2 }, order)];
    expect(await consumeWakeups({ messages }, app.services.worker)).toEqual({ acked: 1, retried: 0 });
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id')).map((r) => r.event_id)).toEqual(['consumed-0', 'consumed-1']);
  });
});
