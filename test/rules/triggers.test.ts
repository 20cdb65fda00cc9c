/**
 * Issue 14 §3, in process with a fake clock: journey triggers fire `after` the last start, are
 * cancelled by a purchase or by a consent withdrawal (POST /v1/consent, or a later event under denied
 * consent), re-arm after they fired or were cancelled, fire exactly once even with two instances on
 * one store, and what they emit reaches only the trigger's destinations — the webhook receiver, which
 * checks every signature with the README's code.
 *
 * The clock starts a minute before real time and moves in minutes, so the webhook's signed
 * timestamps stay inside the receiver's 5-minute tolerance.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clock, post, testApp, type Clock } from '../helpers/runtime.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import type { TagrelayApp } from '../../src/app.js';
import type { ConfigInput } from '../../src/config/schema.js';

const SECRET = 'trigger-test-webhook-secret-0123456789abcdef';
const MIN = 60_000;
const CLIENT = '111.222';
const GRANTED = { analytics_storage: 'granted', ad_personalization: 'granted' };
const items = [{ item_id: 'SKU1', item_name: 'Shoe', price: 50, quantity: 1 }];

let rx: WebhookReceiver;
beforeAll(async () => {
  rx = await startWebhookReceiver({ secret: SECRET });
});
afterAll(async () => {
  await rx.close();
});

const apps: TagrelayApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.services.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  rx.received.length = 0;
});

function config(): ConfigInput {
  return {
    destinations: [
      { id: 'lake', type: 'sqlite' },
      { id: 'crm', type: 'webhook', url: `${rx.url}${rx.path}`, secret: SECRET, events: ['cart_abandoned', 'browse_abandoned'], batch: { max_wait_ms: 0 } },
    ],
    triggers: [
      {
        id: 'cart',
        start: ['add_to_cart', 'begin_checkout'],
        cancel: ['purchase'],
        after: '2m',
        emit: { name: 'cart_abandoned', params: { copy: ['items', 'value', 'currency'], set: { reminder: 'email' } } },
        requires: ['ad_personalization'],
        destinations: ['crm'],
      },
      { id: 'browse', start: 'view_item', count: 3, within: '3m', cancel: ['add_to_cart'], emit: { name: 'browse_abandoned', params: { copy: ['items'] } }, destinations: ['crm'] },
    ],
  } as ConfigInput;
}

function app(clk: Clock, file = ':memory:') {
  const a = testApp(config(), { now: clk, file }).app;
  apps.push(a);
  return a;
}

const realClock = () => clock(Date.now() - MIN);
let n = 0;
const event = (name: string, params: Record<string, unknown> = {}, consent: Record<string, string> = GRANTED) => ({
  name,
  event_id: `e-${++n}`,
  client: { client_id: CLIENT },
  params: name === 'add_to_cart' || name === 'begin_checkout' || name === 'view_item' ? { ...params, items } : params,
  consent,
});
const send = async (a: TagrelayApp, ...events: ReturnType<typeof event>[]) => {
  const res = await post(a, '/v1/events', { events });
  expect(res.status).toBe(202);
};
const timers = (a: TagrelayApp) => a.services.runtime.db.all<{ trigger_id: string; state: string; reason: string | null }>('SELECT trigger_id, state, reason FROM trigger_timers ORDER BY trigger_id');
const emitted = (name = 'cart_abandoned') => rx.accepted().filter((e) => e.name === name);

describe('journey triggers: cart abandonment', () => {
  it('fires `after` the start, once, with the cart as it stood; only the webhook gets it, signed', async () => {
    const clk = realClock();
    const a = app(clk);
    await a.services.ready;
    await send(a, event('add_to_cart', { value: 50, currency: 'EUR' }));
    clk.now += MIN;
    await a.services.worker.drain();
    expect(emitted()).toEqual([]);
    expect(await timers(a)).toEqual([{ trigger_id: 'cart', state: 'armed', reason: null }]);

    clk.now += MIN + 1;
    await a.services.worker.drain();
    const [hit, ...more] = emitted();
    expect(more).toEqual([]);
    expect(hit).toMatchObject({ name: 'cart_abandoned', value: 50, params: { value: 50, currency: 'EUR', reminder: 'email' }, items: [{ item_id: 'SKU1', price: 50 }] });
    expect(String(hit!.event_id)).toMatch(/^t-[0-9a-f]{32}$/);
    // Every request the receiver got passed the README's signature check.
    expect(rx.received.every((r) => r.status === 200)).toBe(true);
    expect(await timers(a)).toEqual([{ trigger_id: 'cart', state: 'fired', reason: null }]);

    // The record links the source; the lake skipped it with the reason, and stores nothing of it.
    const db = a.services.runtime.db;
    const [rec] = await db.all<{ data: string }>("SELECT data FROM records WHERE event_id = ?", [hit!.event_id as string]);
    expect(JSON.parse(rec!.data)).toMatchObject({ derived_from: { rule_id: 'cart' }, only_destinations: ['crm'], notes: ['trigger.fired:cart'] });
    const [lake] = await db.all<{ status: string; reasons: string }>("SELECT status, reasons FROM delivery_log WHERE event_id = ? AND destination_id = 'lake'", [hit!.event_id as string]);
    expect(JSON.parse(lake!.reasons)).toEqual(['trigger.not_a_target']);
    expect(await db.all("SELECT event_id FROM events WHERE name = 'cart_abandoned'")).toEqual([]);

    // Exactly once: later polls find nothing due.
    clk.now += MIN;
    await a.services.worker.drain();
    expect(emitted()).toHaveLength(1);
  });

  it('a purchase before the fire time cancels it, with the reason', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('add_to_cart', { value: 50, currency: 'EUR' }));
    clk.now += MIN;
    await send(a, event('purchase', { transaction_id: 'T1', value: 50, currency: 'EUR' }));
    clk.now += 2 * MIN;
    await a.services.worker.drain();
    expect(emitted()).toEqual([]);
    expect((await timers(a)).find((t) => t.trigger_id === 'cart')).toEqual({ trigger_id: 'cart', state: 'cancelled', reason: 'trigger.cancelled:purchase' });
  });

  it('a new start while armed pushes the fire time back and carries the newer cart', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('add_to_cart', { value: 50, currency: 'EUR' }));
    clk.now += MIN + 30_000;
    await send(a, event('begin_checkout', { value: 80, currency: 'EUR' }));
    clk.now += MIN;
    await a.services.worker.drain();
    expect(emitted()).toEqual([]);
    clk.now += MIN;
    await a.services.worker.drain();
    expect(emitted().map((e) => e.value)).toEqual([80]);
  });

  it('re-arms after it fired and after it was cancelled; each start cycle fires at most once', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('add_to_cart', { value: 10, currency: 'EUR' }));
    clk.now += 2 * MIN + 1;
    await a.services.worker.drain();
    await send(a, event('add_to_cart', { value: 20, currency: 'EUR' }));
    clk.now += 30_000;
    await send(a, event('purchase', { transaction_id: 'T2', value: 20, currency: 'EUR' }));
    clk.now += 30_000;
    await send(a, event('add_to_cart', { value: 30, currency: 'EUR' }));
    clk.now += 2 * MIN + 1;
    await a.services.worker.drain();
    await a.services.worker.drain();
    const fired = emitted();
    expect(fired.map((e) => e.value)).toEqual([10, 30]);
    expect(new Set(fired.map((e) => e.event_id)).size).toBe(2);
  });

  it('a consent withdrawal sent to POST /v1/consent before the fire time cancels it (trigger.consent_withdrawn)', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('add_to_cart', { value: 50, currency: 'EUR' }));
    clk.now += MIN;
    const res = await post(a, '/v1/consent', { consent: { ad_personalization: 'denied' }, client_id: CLIENT });
    expect(res.status).toBe(200);
    clk.now += MIN + 1;
    await a.services.worker.drain();
    expect(emitted()).toEqual([]);
    expect((await timers(a)).find((t) => t.trigger_id === 'cart')).toEqual({ trigger_id: 'cart', state: 'cancelled', reason: 'trigger.consent_withdrawn' });
  });

  it('a later event under denied consent cancels it at accept', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('add_to_cart', { value: 50, currency: 'EUR' }));
    clk.now += MIN;
    await send(a, event('page_view', {}, { analytics_storage: 'granted', ad_personalization: 'denied' }));
    expect((await timers(a)).find((t) => t.trigger_id === 'cart')).toEqual({ trigger_id: 'cart', state: 'cancelled', reason: 'trigger.consent_withdrawn' });
    clk.now += MIN + 1;
    await a.services.worker.drain();
    expect(emitted()).toEqual([]);
  });

  it('a start without the required consent arms nothing', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('add_to_cart', { value: 50, currency: 'EUR' }, { analytics_storage: 'granted', ad_personalization: 'denied' }));
    expect((await timers(a)).filter((t) => t.trigger_id === 'cart')).toEqual([]);
  });

  it('two instances on one store polling at the same time fire it exactly once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-trig-'));
    dirs.push(dir);
    const file = join(dir, 'store.db');
    const clk = realClock();
    const one = app(clk, file);
    await one.services.ready;
    const two = app(clk, file);
    await two.services.ready;
    await send(one, event('add_to_cart', { value: 50, currency: 'EUR' }));
    clk.now += 2 * MIN + 1;
    await Promise.all([one.services.worker.drain(), two.services.worker.drain(), one.services.worker.drain()]);
    await Promise.all([one.services.worker.drain(), two.services.worker.drain()]);
    expect(await one.services.runtime.db.all("SELECT event_id FROM records WHERE json_extract(data, '$.name') = 'cart_abandoned'")).toHaveLength(1);
    // One emitted event (one id). Delivery itself is per instance: two workers on one store each send
    // the record, and the receiver drops the repeat by event_id as the README says.
    expect(new Set(emitted().map((e) => e.event_id)).size).toBe(1);
  });
});

describe('journey triggers: browse abandonment (count form)', () => {
  it('three view_item within the window and no add_to_cart: fires when the window ends', async () => {
    const clk = realClock();
    const a = app(clk);
    for (let i = 0; i < 3; i++) {
      await send(a, event('view_item'));
      clk.now += 30_000;
    }
    await a.services.worker.drain();
    expect(emitted('browse_abandoned')).toEqual([]);
    clk.now += 2 * MIN;
    await a.services.worker.drain();
    expect(emitted('browse_abandoned')).toHaveLength(1);
  });

  it('fewer views expire without firing; an add_to_cart cancels', async () => {
    const clk = realClock();
    const a = app(clk);
    await send(a, event('view_item'));
    await send(a, event('view_item'));
    clk.now += 3 * MIN + 1;
    await a.services.worker.drain();
    expect((await timers(a)).find((t) => t.trigger_id === 'browse')).toEqual({ trigger_id: 'browse', state: 'expired', reason: 'trigger.count_not_reached' });
    for (let i = 0; i < 3; i++) await send(a, event('view_item'));
    await send(a, event('add_to_cart', { value: 5, currency: 'EUR' }));
    expect((await timers(a)).find((t) => t.trigger_id === 'browse')).toEqual({ trigger_id: 'browse', state: 'cancelled', reason: 'trigger.cancelled:add_to_cart' });
    expect(emitted('browse_abandoned')).toEqual([]);
  });
});
