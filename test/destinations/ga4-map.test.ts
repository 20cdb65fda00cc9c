import { describe, expect, it } from 'vitest';
import { ga4, ga4ConfigSchema } from '../../src/destinations/ga4.js';
import { ephemeralClientId, type Ga4Payload } from '../../src/destinations/ga4-map.js';
import type { Item, Scalar } from '../../src/event.js';
import type { MapContext, MapResult } from '../../src/destinations/types.js';
import { H, T0, consent, event } from './fixtures.js';

const config = ga4ConfigSchema.parse({ id: 'ga', type: 'ga4', measurement_id: 'G-TEST123', api_secret: 's3cr3t' });
const full: MapContext = { action: 'send', reasons: [] };

// Wire strings for price/quantity (as a gtag hit carries them) must come out as numbers.
const ITEM_IN = { item_id: 'SKU_12345', item_name: 'Stan and Friends Tee', price: '10.01', quantity: '3', item_category: 'Apparel', discount: 2.22, index: 0 } as unknown as Item;
const ITEM_OUT = { item_id: 'SKU_12345', item_name: 'Stan and Friends Tee', price: 10.01, quantity: 3, item_category: 'Apparel', discount: 2.22, index: 0 };
const SESSION = { session_id: '1714564800', engagement_time_msec: 120 };

function payloadOf(r: MapResult<Ga4Payload>): Ga4Payload {
  if ('skip' in r) throw new Error(`unexpected skip ${r.skip}`);
  return r.payload;
}

describe('ga4 map: recommended events (golden)', () => {
  const cases: [string, Record<string, Scalar>, Item[] | undefined, Record<string, unknown>][] = [
    ['view_item', { currency: 'usd', value: '30.03' }, [ITEM_IN], { currency: 'USD', value: 30.03, items: [ITEM_OUT] }],
    ['view_item_list', { item_list_id: 'related_products', item_list_name: 'Related products' }, [ITEM_IN], { item_list_id: 'related_products', item_list_name: 'Related products', items: [ITEM_OUT] }],
    ['select_item', { item_list_id: 'related_products', item_list_name: 'Related products' }, [ITEM_IN], { item_list_id: 'related_products', item_list_name: 'Related products', items: [ITEM_OUT] }],
    ['add_to_cart', { currency: 'EUR', value: 30.03 }, [ITEM_IN], { currency: 'EUR', value: 30.03, items: [ITEM_OUT] }],
    ['remove_from_cart', { currency: 'EUR', value: 30.03 }, [ITEM_IN], { currency: 'EUR', value: 30.03, items: [ITEM_OUT] }],
    ['view_cart', { currency: 'EUR', value: 30.03 }, [ITEM_IN], { currency: 'EUR', value: 30.03, items: [ITEM_OUT] }],
    ['begin_checkout', { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN' }, [ITEM_IN], { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', items: [ITEM_OUT] }],
    ['add_payment_info', { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', payment_type: 'Credit Card' }, [ITEM_IN], { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', payment_type: 'Credit Card', items: [ITEM_OUT] }],
    ['add_shipping_info', { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', shipping_tier: 'Ground' }, [ITEM_IN], { currency: 'USD', value: 30.03, coupon: 'SUMMER_FUN', shipping_tier: 'Ground', items: [ITEM_OUT] }],
    [
      'purchase',
      { transaction_id: 12345, value: '72.05', tax: '3.60', shipping: 5.99, currency: 'usd', coupon: 'SUMMER_SALE' },
      [ITEM_IN],
      { transaction_id: '12345', value: 72.05, tax: 3.6, shipping: 5.99, currency: 'USD', coupon: 'SUMMER_SALE', items: [ITEM_OUT] },
    ],
    ['refund', { transaction_id: 'T_12345', currency: 'USD', value: 30.03 }, [ITEM_IN], { transaction_id: 'T_12345', currency: 'USD', value: 30.03, items: [ITEM_OUT] }],
    ['add_to_wishlist', { currency: 'USD', value: 30.03 }, [ITEM_IN], { currency: 'USD', value: 30.03, items: [ITEM_OUT] }],
    ['view_promotion', { creative_name: 'Summer Banner', promotion_id: 'P_12345' }, [ITEM_IN], { creative_name: 'Summer Banner', promotion_id: 'P_12345', items: [ITEM_OUT] }],
    ['select_promotion', { creative_name: 'Summer Banner', promotion_id: 'P_12345' }, [ITEM_IN], { creative_name: 'Summer Banner', promotion_id: 'P_12345', items: [ITEM_OUT] }],
    ['sign_up', { method: 'Google' }, undefined, { method: 'Google' }],
    ['login', { method: 'Google' }, undefined, { method: 'Google' }],
    ['generate_lead', { currency: 'usd', value: '99' }, undefined, { currency: 'USD', value: 99 }],
    ['search', { search_term: 't-shirts' }, undefined, { search_term: 't-shirts' }],
    ['tutorial_begin', { step: 1, beta: true }, undefined, { step: 1, beta: true }],
  ];

  it.each(cases)('%s', (name, params, items, expected) => {
    const r = ga4.map(event({ name, params, ...(items ? { items } : {}) }), config, full);
    expect(r).toEqual({
      payload: {
        client_id: '1234567890.1714564800',
        consent: { ad_user_data: 'GRANTED', ad_personalization: 'GRANTED' },
        event: { name, params: { ...SESSION, ...expected }, timestamp_micros: T0 * 1000 },
      },
    });
  });

  it('page_view carries page_location, page_referrer and page_title from the page', () => {
    const r = payloadOf(ga4.map(event({ page: { url: 'https://shop.example/p?x=1', referrer: 'https://www.google.com/', title: 'Shop' } }), config, full));
    expect(r.event.params).toEqual({ ...SESSION, page_location: 'https://shop.example/p?x=1', page_referrer: 'https://www.google.com/', page_title: 'Shop' });
  });
});

describe('ga4 map: consent modes', () => {
  const rich = event({
    name: 'purchase',
    params: { transaction_id: 'T1', value: 10, currency: 'EUR' },
    user: { user_id: 'u-42' },
    user_properties: { tier: 'gold' },
    hashed_user: { em: H.em, ph: H.ph, fn: H.fn, ln: H.ln, ct: 'berlin', st: 'be', zp: '10115', country: 'de' },
  });

  it('full mode with ad_user_data granted sends user_id, user properties and Google user_data', () => {
    const p = payloadOf(ga4.map(rich, config, full));
    expect(p.user_id).toBe('u-42');
    expect(p.user_properties).toEqual({ tier: { value: 'gold' } });
    expect(p.user_data).toEqual({
      sha256_email_address: [H.em],
      sha256_phone_number: [H.ph],
      address: [{ sha256_first_name: H.fn, sha256_last_name: H.ln, city: 'berlin', region: 'be', postal_code: '10115', country: 'de' }],
    });
  });

  it('full mode with ad_user_data denied keeps user_id but sends no user_data and says DENIED', () => {
    const p = payloadOf(ga4.map({ ...rich, consent_state: consent(['analytics_storage', 'ad_personalization']) }, config, full));
    expect(p.user_id).toBe('u-42');
    expect(p.user_data).toBeUndefined();
    expect(p.consent).toEqual({ ad_user_data: 'DENIED', ad_personalization: 'GRANTED' });
  });

  it('anonymize mode keeps the client id and session but drops user_id and user_data', () => {
    const p = payloadOf(ga4.map(rich, config, { action: 'anonymize', reasons: [] }));
    expect(p.client_id).toBe('1234567890.1714564800');
    expect(p.user_id).toBeUndefined();
    expect(p.user_data).toBeUndefined();
    expect(p.event.params.session_id).toBe('1714564800');
  });

  it('cookieless mode sends a per-event id, no session, no user fields, consent denied', () => {
    const ctx: MapContext = { action: 'cookieless', reasons: [] };
    const a = payloadOf(ga4.map(rich, config, ctx));
    const b = payloadOf(ga4.map({ ...rich, event_id: 'evt-2' }, config, ctx));
    expect(a.client_id).toBe(ephemeralClientId(rich));
    expect(a.client_id).toMatch(/^\d+\.1714564800$/);
    expect(a.client_id).not.toBe('1234567890.1714564800');
    expect(b.client_id).not.toBe(a.client_id);
    expect(payloadOf(ga4.map(rich, config, ctx)).client_id).toBe(a.client_id);
    expect(a.consent).toEqual({ ad_user_data: 'DENIED', ad_personalization: 'DENIED' });
    expect(a.event.params.session_id).toBeUndefined();
    expect(a).not.toHaveProperty('user_id');
    expect(a).not.toHaveProperty('user_data');
    expect(a).not.toHaveProperty('user_properties');
  });

  it('drops a user_id over 256 characters rather than sending a cut one', () => {
    const r = ga4.map({ ...rich, user: { user_id: 'u'.repeat(257) } }, config, full);
    expect('payload' in r && r.payload.user_id).toBeUndefined();
    expect('payload' in r && r.notes).toEqual(['ga4.user_id_too_long']);
  });

  it('missing consent state counts as denied', () => {
    const p = payloadOf(ga4.map({ ...rich, consent_state: undefined }, config, full));
    expect(p.consent).toEqual({ ad_user_data: 'DENIED', ad_personalization: 'DENIED' });
    expect(p.user_data).toBeUndefined();
  });
});

describe('ga4 map: time', () => {
  it('keeps the event time within 72 h of receipt', () => {
    const p = payloadOf(ga4.map(event({ time: T0 - 71 * 3_600_000 }), config, full));
    expect(p.event.timestamp_micros).toBe((T0 - 71 * 3_600_000) * 1000);
  });
  it('skips events more than 72 h older than their receipt', () => {
    expect(ga4.map(event({ time: T0 - 73 * 3_600_000 }), config, full)).toEqual({ skip: 'ga4.event_too_old' });
  });
  it('clamps a future client time to receive time', () => {
    expect(payloadOf(ga4.map(event({ time: T0 + 60_000 }), config, full)).event.timestamp_micros).toBe(T0 * 1000);
  });
});

describe('GA4 audit against the Measurement Protocol reference (2026-11)', () => {
  it.each(['ad_impression', 'app_install'])('%s is reserved (an app-stream name a web stream refuses)', (name) => {
    expect(ga4.map(event({ name }), config, full)).toEqual({ skip: 'ga4.event_name_reserved' });
  });

  it('item parameter names follow the parameter name rules: reserved prefixes and invalid names are left out, long names cut', () => {
    const item = { item_id: 'SKU_1', google_internal: 'x', 'bad-name': 'y', ['n'.repeat(45)]: 'z', item_category2: 'Tees', google_business_vertical: 'retail' } as unknown as Item;
    const r = ga4.map(event({ name: 'view_item', items: [item] }), config, full);
    if ('skip' in r) throw new Error(r.skip);
    const items = r.payload.event.params.items as Record<string, unknown>[];
    // google_business_vertical is a documented item parameter (gtag.js sends it): it passes.
    expect(items).toEqual([{ item_id: 'SKU_1', ['n'.repeat(40)]: 'z', item_category2: 'Tees', google_business_vertical: 'retail' }]);
    expect(r.notes).toEqual(
      expect.arrayContaining(['ga4.param_name_reserved_prefix:items.google_internal', 'ga4.param_name_invalid:items.bad-name', `ga4.param_name_too_long:items.${'n'.repeat(45)}`]),
    );
    // With limit_behavior: drop an invalid item parameter name skips the event, like an event parameter's.
    expect('skip' in ga4.map(event({ name: 'view_item', items: [item] }), { ...config, limit_behavior: 'drop' }, full)).toBe(true);
  });

  it('a purchase with more than 200 items is kept with the first 200, also under limit_behavior: drop', () => {
    const items = Array.from({ length: 250 }, (_, i) => ({ item_id: `SKU_${i}`, price: 1, quantity: 1 }));
    const purchase = event({ name: 'purchase', params: { transaction_id: 'T-250', value: 250, currency: 'EUR' }, items });
    for (const limit_behavior of ['truncate', 'drop'] as const) {
      const r = ga4.map(purchase, { ...config, limit_behavior }, full);
      if ('skip' in r) throw new Error(`${limit_behavior}: ${r.skip}`);
      expect((r.payload.event.params.items as unknown[]).length).toBe(200);
      expect(r.payload.event.params.transaction_id).toBe('T-250');
      expect(r.notes).toEqual(['ga4.too_many_items']);
    }
  });

  it('a hit without _et gets engagement_time_msec 1, so the user counts as active; a hit with _et keeps it', () => {
    const noEt = event({ client: { client_id: '1.2', session_id: '1714564800' } });
    expect(payloadOf(ga4.map(noEt, config, full)).event.params.engagement_time_msec).toBe(1);
    expect(payloadOf(ga4.map(event(), config, full)).event.params.engagement_time_msec).toBe(120);
  });
});
