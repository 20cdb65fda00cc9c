/**
 * Delivery on a worker thread (the Node server's default): the accepting thread commits records and
 * answers; the thread delivers them from the same store. Delivered once each, a thread that dies is
 * started again and picks up where the store says, and stop() ends it cleanly.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type TagrelayApp } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import { nodeRuntime } from '../../src/runtime/node/runtime.js';
import type { DeliveryThread } from '../../src/runtime/node/delivery-thread.js';
import { silentLogger } from '../../src/ports.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';

const SECRET = 'thread-secret-1';
let dir: string;
let fake: Ga4Fake;
let app: TagrelayApp;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tagrelay-thread-'));
  fake = await startGa4Fake({ apiSecret: SECRET });
  const config = configSchema.parse({
    dev_mode: true,
    destinations: [
      { id: 'lake', type: 'sqlite' },
      { id: 'ga', type: 'ga4', measurement_id: 'G-THREAD123', api_secret: SECRET, endpoint: fake.url },
    ],
    delivery: { poll_interval: '50ms' },
  });
  app = createApp(config, nodeRuntime({ dataDir: dir, log: silentLogger, deliveryThread: true }));
  await app.services.ready;
});

afterAll(async () => {
  await app?.services.close();
  await fake?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function send(ids: string[]): Promise<void> {
  const res = await app.fetch(
    new Request('https://t.example.com/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: ids.map((id, i) => ({ event_id: id, name: 'page_view', client: { client_id: `${i + 1}.1700000000` }, consent: { analytics_storage: 'granted' } })) }),
    }),
  );
  expect(res.status).toBe(202);
}

const atGa4 = () => fake.collected().flatMap((r) => (r.body?.events ?? []).map((e) => (e.params as { event_id?: string } | undefined)?.event_id ?? ''));
const warehouse = async () => (await app.services.runtime.db.all<{ event_id: string }>('SELECT event_id FROM events ORDER BY event_id')).map((r) => r.event_id);

describe('delivery on a worker thread', () => {
  it('the services drive a thread, not an in-process worker', () => {
    expect(typeof (app.services.worker as DeliveryThread).crash).toBe('function');
  });

  it('the delivery thread runs at nice 10 (delivery.thread_nice), the accepting thread keeps its priority', async () => {
    // /proc/<pid>/task/<tid>/stat: the fields after the command's closing parenthesis; nice is field 19.
    const nice = (path: string) => Number(readFileSync(`${path}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    const threads = () => readdirSync('/proc/self/task').map((tid) => nice(`/proc/self/task/${tid}`));
    // The thread starts in the background of `ready`; it lowers its own priority first thing.
    await vi.waitFor(() => expect(threads().filter((n) => n === 10)).toHaveLength(1), { timeout: 10_000, interval: 20 });
    expect(nice(`/proc/${readlinkSync('/proc/thread-self')}`)).toBe(0);
  });

  it('delivers what the accepting thread committed, once each, to GA4 and the warehouse', { timeout: 60_000 }, async () => {
    const ids = Array.from({ length: 20 }, (_, i) => `t1-${String(i).padStart(2, '0')}`);
    await send(ids);
    await vi.waitFor(async () => expect(await warehouse()).toEqual(ids), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(fake.collected().length).toBeGreaterThanOrEqual(20), { timeout: 20_000, interval: 50 });
    expect(fake.collected()).toHaveLength(20);
    expect(fake.problems().flat()).toEqual([]);
    // The thread's delivery metrics are mirrored into the accepting side's registry (/metrics).
    const delivered = (id: string) =>
      (app.services.metrics.registry.families.find((f) => f.name === 'tagrelay_deliveries_total')?.series ?? []).find((s) => s.labels[0] === id && s.labels[1] === 'delivered')?.value as { value: number } | undefined;
    await vi.waitFor(() => expect([delivered('lake')?.value, delivered('ga')?.value]).toEqual([20, 20]), { timeout: 5_000, interval: 50 });
  });

  it('a thread that dies is started again; events accepted meanwhile are delivered, nothing twice', { timeout: 60_000 }, async () => {
    const thread = app.services.worker as DeliveryThread;
    // Crash once every outcome so far is recorded: a crash resends only what it had in flight.
    const delivered = async () => (await app.services.runtime.db.all<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_log WHERE status = 'delivered'"))[0]!.n;
    await vi.waitFor(async () => expect(await delivered()).toBe(40), { timeout: 20_000, interval: 50 });
    await thread.crash();
    // The accepting side keeps answering while the thread is down; /readyz says why.
    const ids = Array.from({ length: 10 }, (_, i) => `t2-${String(i).padStart(2, '0')}`);
    await send(ids);
    expect(await app.services.fault()).toMatch(/^delivery: delivery thread exited/);
    await vi.waitFor(async () => expect((await warehouse()).filter((id) => id.startsWith('t2-'))).toEqual(ids), { timeout: 20_000, interval: 50 });
    await vi.waitFor(() => expect(fake.collected().length).toBeGreaterThanOrEqual(30), { timeout: 20_000, interval: 50 });
    await vi.waitFor(async () => expect(await app.services.fault()).toBeUndefined(), { timeout: 5_000, interval: 50 });
    // Every GA4 request carried one client's event; 30 distinct events, none twice.
    expect(fake.collected()).toHaveLength(30);
    await vi.waitFor(async () => expect(await delivered()).toBe(60), { timeout: 20_000, interval: 50 });
  });
});
