/**
 * End to end: events accepted over the real accept path (app.fetch: ingest, consent, identity, rules,
 * durable record, delivery to the embedded warehouse) and the reports drawn from the rows tagrelay
 * wrote — through the admin API (scope reports:read) and runReport.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TagrelayApp } from '../../src/app.js';
import { post, testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import type { AbandonmentData, DeliveryData, FunnelData, MicroData, RevenueData } from '../../src/reports/index.js';

let app: TagrelayApp;
const now = Date.now();

/** One visitor's session, sent in one request: each event a few seconds after the previous. */
async function visit(client: { client_id: string; session_id: string } | undefined, consent: 'granted' | 'denied', events: { name: string; params?: Record<string, unknown>; url?: string }[], start: number) {
  const body = {
    context: { consent: { analytics_storage: consent, ad_storage: consent }, ...(client ? { client } : {}) },
    events: events.map((e, i) => ({ name: e.name, time: start + i * 5000, params: e.params ?? {}, page: { url: e.url ?? 'https://shop.example/p/1', referrer: 'https://shop.example/' } })),
  };
  const res = await post(app, '/v1/events', body, { 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36', 'cf-ipcountry': 'DE' });
  expect(res.status).toBe(202);
}

async function admin(path: string, scope = 'reports:read') {
  return app.request(`/admin/v1${path}`, { headers: { authorization: `Bearer ${await hsToken({ scope, sub: 'analyst' })}` } });
}

beforeAll(async () => {
  ({ app } = testApp({
    admin: { jwt: { secret: ADMIN_SECRET } },
    destinations: [
      { id: 'warehouse', type: 'sqlite' },
      // A second destination that drops what lacks consent: its rows are the same (ignored duplicates).
      { id: 'strict', type: 'sqlite', when_denied: 'drop' },
    ],
    conversions: [{ id: 'checkout_intent', kind: 'micro', when: { event: 'begin_checkout' }, emit: { name: 'checkout_intent' } }],
  }));
  await app.services.ready;
  const t0 = now - 3_600_000;
  // A: from the newsletter, buys. B: direct, abandons a cart. C: denies consent, buys (an order, never a user).
  await visit({ client_id: '111.222', session_id: '1700000001' }, 'granted', [
    { name: 'page_view', url: 'https://shop.example/?utm_source=news&utm_medium=email&utm_campaign=nov' },
    { name: 'view_item' },
    { name: 'add_to_cart', params: { value: 20, currency: 'EUR' } },
    { name: 'begin_checkout', params: { value: 20, currency: 'EUR' } },
    { name: 'purchase', params: { value: 20, currency: 'EUR', transaction_id: 'T1' } },
  ], t0);
  await visit({ client_id: '333.444', session_id: '1700000002' }, 'granted', [
    { name: 'view_item' },
    { name: 'add_to_cart', params: { value: 15.5, currency: 'EUR' } },
  ], t0 + 60_000);
  await visit({ client_id: '555.666', session_id: '1700000003' }, 'denied', [
    { name: 'view_item' },
    { name: 'add_to_cart', params: { value: 30, currency: 'EUR' } },
    { name: 'purchase', params: { value: 30, currency: 'EUR', transaction_id: 'T2' } },
  ], t0 + 120_000);
  await app.services.outbox.flush();
  await app.services.worker.drain();
});
afterAll(() => app.services.close());

describe('reports over rows tagrelay itself wrote', () => {
  it('funnel: two sessions seen in full; the consent-denied visitor is never a session', async () => {
    const res = await admin('/reports/funnel?since=1d');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { coverage: Record<string, number>; data: FunnelData };
    // A: 5 events + 1 derived micro-conversion; B: 2; C: 3 anonymized.
    expect(body.coverage).toEqual({ events: 11, full: 8, anonymized: 3, cookieless: 0, unknown: 0 });
    expect(body.data.total.map((s) => s.count)).toEqual([2, 2, 1, 1]);
    expect(body.data.total[1]!.median_ms_from_previous).toBe(5000);
    expect(body.data.total[3]!.overall_conversion).toBe(0.5);
  });

  it('funnel by channel and by country use what enrichment stored', async () => {
    const byChannel = (await (await admin('/reports/funnel?since=1d&by=channel')).json()) as { data: FunnelData };
    expect(Object.fromEntries(byChannel.data.groups!.map((g) => [g.key, g.steps.map((s) => s.count)]))).toEqual({ email: [1, 1, 1, 1], internal: [1, 1, 0, 0] });
    const byCountry = (await (await admin('/reports/funnel?since=1d&by=country')).json()) as { data: FunnelData };
    expect(byCountry.data.groups!.map((g) => [g.key, g.units])).toEqual([['DE', 2]]);
  });

  it('revenue counts the anonymized order as an order, not as a session or purchaser', async () => {
    const { data } = (await (await admin('/reports/revenue?since=1d')).json()) as { data: RevenueData };
    expect(data.total).toMatchObject({ orders: 2, revenue: 50, orders_anonymized: 1, sessions: 2, converting_sessions: 1, aov: 25, conversion_rate: 0.5, currencies: ['EUR'] });
    expect(data.unattributed).toEqual({ orders: 1, revenue: 30 });
    expect(data.purchasers).toBe(1);
    expect(data.median_ms_to_first_purchase).toBe(20_000);
  });

  it('abandonment and micro-conversion lift', async () => {
    const ab = (await (await admin('/reports/abandonment?since=1d')).json()) as { data: AbandonmentData };
    expect(ab.data.total).toMatchObject({ carts: 2, abandoned_carts: 1, cart_abandonment_rate: 0.5, checkouts: 1, abandoned_checkouts: 0, value_left: { EUR: 15.5 } });
    const micro = (await (await admin('/reports/micro?since=1d')).json()) as { data: MicroData };
    expect(micro.data.micro).toEqual([
      { rule_id: 'checkout_intent', name: 'checkout_intent', with: 1, rate: 0.5, purchases_with: 1, purchases_without: 0, purchase_rate_with: 1, purchase_rate_without: 0, lift: null },
    ]);
  });

  it('delivery reconciles each destination per event name: decided, delivered, with the consent reason', async () => {
    const { data } = (await (await admin('/reports/delivery?since=1d')).json()) as { data: DeliveryData };
    expect(data.destinations).toEqual(['strict', 'warehouse']);
    const line = (dest: string, name: string) => data.lines.find((l) => l.destination === dest && l.name === name)!;
    expect(line('warehouse', 'purchase')).toMatchObject({ received: 2, decided: { send: 1, anonymize: 1, cookieless: 0, drop: 0, skip: 0 }, delivered: 2, dead_lettered: 0, pending: 0 });
    expect(line('strict', 'add_to_cart')).toMatchObject({ received: 3, decided: { send: 2, anonymize: 0, cookieless: 0, drop: 1, skip: 0 }, delivered: 2, pending: 0 });
    expect(line('strict', 'add_to_cart').consent_reasons).toMatchObject({ 'consent.purpose_denied:analytics_storage': 1 });
    expect(line('warehouse', 'checkout_intent')).toMatchObject({ received: 1, delivered: 1 });
  });

  it('CSV on request', async () => {
    const res = await admin('/reports/funnel?since=1d&format=csv');
    expect(res.headers.get('content-type')).toContain('text/csv');
    expect((await res.text()).split('\n')[0]).toBe('group,step,sessions,step_%,overall_%,drop_off,median_min_from_prev');
  });

  it('refuses a bad name or parameter with 400 and the field; needs reports:read', async () => {
    const cases: [string, string][] = [
      ['/reports/nope', 'name'],
      ['/reports/funnel?by=planet', 'by'],
      ['/reports/funnel?since=yesterday', 'since'],
      ['/reports/funnel?steps=view_item', 'steps'],
      ['/reports/funnel?within=7d', 'within'],
      ['/reports/cohorts?by=channel', 'by'],
      ['/reports/funnel?sinse=7d', 'sinse'],
      ['/reports/funnel?jane%40example.com=1', '****'],
      ['/reports/funnel?format=xml', 'format'],
      ['/reports/revenue?warehouse=lake', 'warehouse'],
    ];
    for (const [path, field] of cases) {
      const res = await admin(path);
      expect(res.status, path).toBe(400);
      expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({ code: 'ERR_INVALID_QUERY', field });
    }
    expect((await admin('/reports/funnel', 'dlq:read')).status).toBe(403);
    expect((await app.request('/admin/v1/reports/funnel')).status).toBe(401);
  });
});
