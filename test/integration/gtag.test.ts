/**
 * Issue 7 "done when", end to end: every recorded gtag hit sent to /g/collect of the running server
 * becomes the GA4 Measurement Protocol payload the hit describes at the GA4 fake and, where consent
 * allows, the Meta event at the Meta fake. Expectations are decoded from each fixture here, with the
 * documented gtag parameter meanings, not copied from tagrelay's output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../ingest/gtag-helpers.js';
import { GA4_MEASUREMENT_ID, setCookies, startStack, type Stack } from './stack.js';
import { waitFor } from '../helpers/deadline.js';

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36';
const CLIENT_IP = '198.51.100.23';
/** A US visitor (opt-out region): Meta is allowed unless the hit itself denies consent. */
const VISITOR = { 'cf-ipcountry': 'US', 'x-forwarded-for': CLIENT_IP, 'user-agent': UA };

/** gtag item field prefixes (GA4 item parameter names); the numeric ones are sent as numbers. */
const ITEM_FIELDS: Record<string, string> = {
  id: 'item_id', nm: 'item_name', af: 'affiliation', cp: 'coupon', ds: 'discount', lp: 'index', br: 'item_brand',
  ca: 'item_category', c2: 'item_category2', c3: 'item_category3', c4: 'item_category4', c5: 'item_category5',
  li: 'item_list_id', ln: 'item_list_name', va: 'item_variant', lo: 'location_id', pr: 'price', qt: 'quantity',
  pi: 'promotion_id', pn: 'promotion_name',
};
const NUMERIC_ITEM_FIELDS = new Set(['ds', 'lp', 'pr', 'qt']);

type Fields = Map<string, string>;

/** `pr1=idSKU~nmTee~k0color~v0red` → a GA4 item. */
function decodeItem(raw: string): Record<string, string | number> {
  const item: Record<string, string | number> = {};
  const keys: Record<string, string> = {};
  const values: Record<string, string> = {};
  for (const seg of raw.split('~')) {
    const custom = /^([kv])(\d)(.*)$/.exec(seg);
    if (custom) (custom[1] === 'k' ? keys : values)[custom[2]!] = custom[3]!;
    else if (ITEM_FIELDS[seg.slice(0, 2)]) item[ITEM_FIELDS[seg.slice(0, 2)]!] = NUMERIC_ITEM_FIELDS.has(seg.slice(0, 2)) ? Number(seg.slice(2)) : seg.slice(2);
  }
  for (const [n, key] of Object.entries(keys)) if (values[n] !== undefined) item[key] = values[n]!;
  return item;
}

/** The hits of a request: the query alone, or the query overridden by each body line. */
function hitsOf(query: string, body?: string): Fields[] {
  const shared = new Map(new URLSearchParams(query));
  const lines = (body ?? '').split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.length === 0 ? [shared] : lines.map((l) => new Map([...shared, ...new URLSearchParams(l)]));
}

/** The GA4 MP event a hit describes: en, and its parameters under GA4's names. */
function expectedGa4Event(f: Fields) {
  const params: Record<string, unknown> = {};
  if (f.has('sid')) params.session_id = f.get('sid');
  // A hit without `_et` is sent with 1 ms, so GA4 counts the user as active (GA4 audit, issue 15).
  params.engagement_time_msec = f.has('_et') ? Number(f.get('_et')) : 1;
  const items = [...f].filter(([k]) => /^pr\d+$/.test(k)).sort(([a], [b]) => Number(a.slice(2)) - Number(b.slice(2)));
  if (items.length > 0) params.items = items.map(([, v]) => decodeItem(v));
  for (const [p, name] of [['dl', 'page_location'], ['dr', 'page_referrer'], ['dt', 'page_title']] as const) if (f.get(p)) params[name] = f.get(p);
  for (const [k, v] of f) {
    if (k.startsWith('ep.')) params[k.slice(3)] = v;
    if (k.startsWith('epn.')) params[k.slice(4)] = Number(v);
  }
  if (f.has('cu') && params.currency === undefined) params.currency = f.get('cu');
  return { name: f.get('en'), params };
}

/** Meta standard events for the canonical names in these fixtures; others go as custom events. */
const META_NAMES: Record<string, string> = { page_view: 'PageView', add_to_cart: 'AddToCart', purchase: 'Purchase' };

const CASES = ['page-view', 'add-to-cart', 'form-start', 'purchase', 'batch-post'] as const;

describe('gtag hits end to end (issue 7)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  /**
   * Send a fixture (granting consent with gcs=G111 when it carries no gcs); returns the warehouse rows of
   * the events it recorded and the response. The records are durable when the response comes; the
   * warehouse rows are written by delivery right after, so they are waited for (bounded).
   */
  async function send(name: string, grant = true) {
    const { query, body } = fixture(name);
    const q = grant && !new URLSearchParams(query).has('gcs') ? `${query}&gcs=G111` : query;
    const lastSeq = stack.query<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM records')[0]!.seq ?? 0;
    const res = await fetch(`${stack.base}/g/collect?${q}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { ...VISITOR, ...(body === undefined ? {} : { 'content-type': 'text/plain;charset=UTF-8' }) },
      body,
    });
    const recorded = stack.query<{ event_id: string }>('SELECT event_id FROM records WHERE seq > ? ORDER BY seq', lastSeq).map((r) => r.event_id);
    const rows = await waitFor(`the warehouse rows of ${name}`, () => {
      const stored = stack.query<{ event_id: string; name: string }>(
        `SELECT event_id, name FROM events WHERE event_id IN (${recorded.map(() => '?').join(', ')})`,
        ...recorded,
      );
      if (stored.length < recorded.length) return false;
      const byId = new Map(stored.map((r) => [r.event_id, r]));
      return recorded.map((id) => byId.get(id)!);
    });
    return { res, rows, hits: hitsOf(q, body) };
  }

  for (const name of CASES) {
    it(`${name}: the GA4 payload the hit describes, and the Meta event`, async () => {
      const gaBefore = stack.ga4.collected().length;
      const metaBefore = stack.meta.accepted().length;
      const started = Math.floor(Date.now() / 1000);
      const { res, rows, hits } = await send(name);
      expect(res.status).toBe(204);
      expect(res.headers.get('x-tagrelay-rejected')).toBeNull();
      expect(rows.map((r) => r.name)).toEqual(hits.map((h) => h.get('en')));

      // GA4: one request (every event of a hit shares its client), the events the hit describes.
      const [request, ...more] = await waitFor(`a GA4 request for ${name}`, () => stack.ga4.collected().length > gaBefore && stack.ga4.collected().slice(gaBefore));
      expect(more).toEqual([]);
      expect(stack.ga4.problems().flat()).toEqual([]);
      expect(request!.query.measurement_id).toBe(GA4_MEASUREMENT_ID);
      expect(request!.body!.client_id).toBe(hits[0]!.get('cid'));
      const events = request!.body!.events as { name: string; params: Record<string, unknown>; timestamp_micros: number }[];
      expect(events.map(({ name: n, params }) => ({ name: n, params }))).toEqual(hits.map(expectedGa4Event));

      // Meta: one event per hit, under its standard or custom name, with the browser id the response set.
      const fbp = setCookies(res).get('_fbp')?.value;
      expect(fbp).toMatch(/^fb\.\d\.\d+\.\d+$/);
      const metaEvents = await waitFor(`${hits.length} Meta events for ${name}`, () => stack.meta.accepted().length >= metaBefore + hits.length && stack.meta.accepted().slice(metaBefore));
      expect(metaEvents).toHaveLength(hits.length);
      metaEvents.forEach((e, i) => {
        const en = hits[i]!.get('en')!;
        expect(e).toMatchObject({
          event_name: META_NAMES[en] ?? en,
          event_id: rows[i]!.event_id,
          action_source: 'website',
          event_source_url: hits[i]!.get('dl'),
          user_data: { client_ip_address: CLIENT_IP, client_user_agent: UA, fbp },
        });
        expect(e.event_time).toBeGreaterThanOrEqual(started);
        expect(e.event_time).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
      });
    });
  }

  it('purchase at Meta: Purchase with value, currency, order id and contents from the items', async () => {
    const purchase = stack.meta.accepted().find((e) => e.event_name === 'Purchase');
    const [hit] = hitsOf(fixture('purchase').query);
    const items = [...hit!].filter(([k]) => /^pr\d+$/.test(k)).map(([, v]) => decodeItem(v));
    expect(items.length).toBeGreaterThan(1);
    expect(purchase?.custom_data).toMatchObject({
      value: Number(hit!.get('epn.value')),
      currency: hit!.get('cu'),
      order_id: hit!.get('ep.transaction_id'),
      content_ids: items.map((i) => i.item_id),
      contents: items.map((i) => ({ id: i.item_id, quantity: i.quantity, item_price: i.price })),
      content_type: 'product',
      num_items: items.reduce((n, i) => n + Number(i.quantity), 0),
    });
  });

  it('consent-denied: stored anonymized, delivered to neither GA4 nor Meta', async () => {
    const gaBefore = stack.ga4.received.length;
    const metaBefore = stack.meta.received.length;
    const { res, rows, hits } = await send('consent-denied', false);
    expect(res.status).toBe(204);
    expect(hits[0]!.get('gcs')).toBe('G100');
    for (const name of ['_ga', '_tr_id', '_tr_s', '_fbp', '_fbc']) expect(setCookies(res).has(name)).toBe(false);
    expect(rows).toHaveLength(hits.length);
    type Delivery = { destination_id: string; status: string; reasons: string[] };
    const byDest = await waitFor('GA4 and Meta settled', async () => {
      const { deliveries } = await stack.admin<{ deliveries: Delivery[] }>(`/deliveries/${rows[0]!.event_id}`);
      const found = Object.fromEntries(deliveries.map((d) => [d.destination_id, d])) as Record<string, Delivery>;
      return found.ga4 && found.meta && found;
    });
    expect(byDest.ga4?.status).toBe('dropped');
    expect(byDest.meta?.status).toBe('dropped');
    expect(byDest.ga4!.reasons).toContain('consent.purpose_denied:analytics_storage');
    // Dropped decisions are final (no retry waits; the cursors passed the record), so nothing can reach the fakes later.
    expect(stack.query('SELECT seq FROM delivery_retry WHERE event_id = ?', rows[0]!.event_id)).toEqual([]);
    const { seq } = stack.query<{ seq: number }>('SELECT seq FROM records WHERE event_id = ?', rows[0]!.event_id)[0]!;
    for (const dest of ['ga4', 'meta']) expect(stack.query<{ seq: number }>('SELECT seq FROM delivery_cursor WHERE destination_id = ?', dest)[0]!.seq).toBeGreaterThanOrEqual(seq);
    expect(stack.ga4.received.length).toBe(gaBefore);
    expect(stack.meta.received.length).toBe(metaBefore);
  });
});
