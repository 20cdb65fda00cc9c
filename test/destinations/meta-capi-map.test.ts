import { describe, expect, it } from 'vitest';
import { checkMetaEvent } from '../fakes/meta-fake.js';
import { metaCapi, metaCapiConfigSchema } from '../../src/destinations/meta-capi.js';
import type { Item, Scalar } from '../../src/event.js';
import type { MapContext } from '../../src/destinations/types.js';
import { H, T0, consent, event } from './fixtures.js';
import { describeReason } from '../../src/reasons/catalog.js';

const config = metaCapiConfigSchema.parse({ id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'tok' });
const full: MapContext = { action: 'send', reasons: [] };

const base = event({
  event_id: 'evt-9',
  page: { url: 'https://shop.example/p/1' },
  request: { source: 'native', ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)', headers: {}, cookies: {} },
  client: { client_id: '1.2', fbp: 'fb.1.1714564800000.1234567890', fbc: 'fb.1.1714564800000.AbCdEf' },
  hashed_user: { em: H.em, ph: H.ph, external_id: H.external_id },
});
const USER = {
  em: [H.em],
  ph: [H.ph],
  external_id: [H.external_id],
  client_ip_address: '203.0.113.7',
  client_user_agent: 'Mozilla/5.0 (X11; Linux x86_64)',
  fbp: 'fb.1.1714564800000.1234567890',
  fbc: 'fb.1.1714564800000.AbCdEf',
};
const ITEMS: Item[] = [
  { item_id: 'SKU_1', item_name: 'Tee', price: 10.01, quantity: 2 },
  // wire strings, as a gtag hit carries them
  { item_id: 'SKU_2', item_name: 'Cap', price: '5.5', quantity: '1' } as unknown as Item,
];
const CONTENTS = {
  content_ids: ['SKU_1', 'SKU_2'],
  contents: [
    { id: 'SKU_1', quantity: 2, item_price: 10.01 },
    { id: 'SKU_2', quantity: 1, item_price: 5.5 },
  ],
  content_type: 'product',
  num_items: 3,
};

describe('meta map: event names and custom_data (golden)', () => {
  const cases: [string, string, Record<string, Scalar>, Item[] | undefined, Record<string, unknown> | undefined][] = [
    ['page_view', 'PageView', {}, undefined, undefined],
    ['view_item', 'ViewContent', { currency: 'eur', value: 20.02 }, [ITEMS[0]!], {
      value: 20.02, currency: 'EUR', content_ids: ['SKU_1'], contents: [{ id: 'SKU_1', quantity: 2, item_price: 10.01 }], content_type: 'product', num_items: 2, content_name: 'Tee',
    }],
    ['add_to_cart', 'AddToCart', { currency: 'EUR', value: '25.52' }, ITEMS, { value: 25.52, currency: 'EUR', ...CONTENTS }],
    ['add_to_wishlist', 'AddToWishlist', { currency: 'EUR', value: 25.52 }, ITEMS, { value: 25.52, currency: 'EUR', ...CONTENTS }],
    ['begin_checkout', 'InitiateCheckout', { currency: 'EUR', value: 25.52, coupon: 'X' }, ITEMS, { value: 25.52, currency: 'EUR', ...CONTENTS, coupon: 'X' }],
    ['add_payment_info', 'AddPaymentInfo', { currency: 'EUR', value: 25.52, payment_type: 'card' }, ITEMS, { value: 25.52, currency: 'EUR', ...CONTENTS, payment_type: 'card' }],
    ['purchase', 'Purchase', { transaction_id: 'T_1', currency: 'usd', value: 25.52, tax: 1.2 }, ITEMS, { value: 25.52, currency: 'USD', order_id: 'T_1', ...CONTENTS, tax: 1.2 }],
    ['generate_lead', 'Lead', { currency: 'EUR', value: 50 }, undefined, { value: 50, currency: 'EUR' }],
    ['sign_up', 'CompleteRegistration', { method: 'email' }, undefined, { method: 'email' }],
    ['search', 'Search', { search_term: 'red shoes' }, undefined, { search_string: 'red shoes' }],
    ['subscribe', 'Subscribe', { currency: 'EUR', value: 9.99 }, undefined, { value: 9.99, currency: 'EUR' }],
    ['newsletter_open', 'newsletter_open', { issue: 12 }, undefined, { issue: 12 }],
  ];

  it.each(cases)('%s → %s', (name, metaName, params, items, customData) => {
    const r = metaCapi.map({ ...base, name, params: { session_id: 's', engagement_time_msec: 5, ...params }, ...(items ? { items } : {}) }, config, full);
    expect(r).toEqual({
      payload: {
        event_name: metaName,
        event_time: T0 / 1000,
        event_id: 'evt-9',
        action_source: 'website',
        event_source_url: 'https://shop.example/p/1',
        user_data: USER,
        ...(customData ? { custom_data: customData } : {}),
      },
    });
  });

  it('event_name_map overrides the standard table; custom events can be disabled', () => {
    const cfg = { ...config, event_name_map: { purchase: 'Donate', tutorial_begin: 'StartTrial' }, custom_events: false };
    const donate = metaCapi.map({ ...base, name: 'purchase' }, cfg, full);
    expect('payload' in donate && donate.payload.event_name).toBe('Donate');
    const trial = metaCapi.map({ ...base, name: 'tutorial_begin' }, cfg, full);
    expect('payload' in trial && trial.payload.event_name).toBe('StartTrial');
    expect(metaCapi.map({ ...base, name: 'newsletter_open' }, cfg, full)).toEqual({ skip: 'meta.custom_event_disabled' });
  });
});

describe('meta map: user data, consent and limits', () => {
  it('sends every Meta-flavour hashed key as a list', () => {
    const r = metaCapi.map({ ...base, hashed_user: { ...H } }, config, full);
    if ('skip' in r) throw new Error(r.skip);
    for (const k of Object.keys(H)) expect(r.payload.user_data[k as keyof typeof H]).toEqual([H[k as keyof typeof H]]);
  });

  it('outside full mode no customer parameter is sent, so the event is skipped', () => {
    expect(metaCapi.map(base, config, { action: 'anonymize', reasons: [] })).toEqual({ skip: 'meta.no_customer_information' });
    expect(metaCapi.map(base, config, { action: 'cookieless', reasons: [] })).toEqual({ skip: 'meta.no_customer_information' });
  });

  it('skips a website event with no customer information at all', () => {
    const bare = event({ request: { source: 'native', headers: {}, cookies: {} }, client: {} });
    expect(metaCapi.map(bare, config, full)).toEqual({ skip: 'meta.no_customer_information' });
  });

  it('a browser id is customer information, but a website event still needs its page URL and User-Agent', () => {
    const bare = event({ request: { source: 'native', headers: {}, cookies: {} }, client: { fbp: 'fb.1.1.2' } });
    expect(metaCapi.map(bare, config, full)).toEqual({ skip: 'meta.website_event_incomplete' });
    const r = metaCapi.map(event({ page: { url: 'https://shop.example/' }, request: { source: 'native', user_agent: 'Mozilla/5.0', headers: {}, cookies: {} }, client: { fbp: 'fb.1.1.2' } }), config, full);
    expect('payload' in r && r.payload.user_data).toEqual({ fbp: 'fb.1.1.2', client_user_agent: 'Mozilla/5.0' });
  });

  describe('Meta audit: website events need event_source_url and client_user_agent', () => {
    // A purchase the shop's back end reports after the payment provider confirmed it: no page, no browser.
    const backEnd = { ...base, name: 'purchase', params: { value: 30, currency: 'EUR' }, page: {}, request: { source: 'native' as const, headers: {}, cookies: {} } };

    it('a back-end purchase without a page URL is not sent as a website event', () => {
      expect(metaCapi.map(backEnd, config, full)).toEqual({ skip: 'meta.website_event_incomplete' });
      expect(describeReason('meta.website_event_incomplete')).toMatch(/event_source_url.*client_user_agent/);
    });

    it('with server_action_source it is sent under that source, which needs neither', () => {
      const r = metaCapi.map(backEnd, { ...config, server_action_source: 'system_generated' }, full);
      if ('skip' in r) throw new Error(r.skip);
      expect(r.payload.action_source).toBe('system_generated');
      expect(r.payload).not.toHaveProperty('event_source_url');
      expect(checkMetaEvent(r.payload as unknown as Record<string, unknown>, Math.floor(T0 / 1000))).toBeUndefined();
    });

    it('a page event whose User-Agent was dropped by the privacy settings is not sent; the fake refuses it as Meta does', () => {
      const noUa = { ...base, request: { ...base.request, user_agent: undefined } };
      expect(metaCapi.map(noUa, { ...config, server_action_source: 'system_generated' }, full)).toEqual({ skip: 'meta.website_event_incomplete' });
      const sent = metaCapi.map(base, config, full);
      if ('skip' in sent) throw new Error(sent.skip);
      const { client_user_agent: _ua, ...without } = sent.payload.user_data;
      expect(checkMetaEvent({ ...sent.payload, user_data: without } as unknown as Record<string, unknown>, Math.floor(T0 / 1000))).toMatch(/client_user_agent/);
    });
  });

  it('limited data use with a visitor known to be in California: country 1, state 1000 (Meta audit)', () => {
    const r = metaCapi.map({ ...base, geo: { country: 'US', region: 'CA' }, consent_state: consent(undefined, { limited_data_use: true }) }, config, full);
    if ('skip' in r) throw new Error(r.skip);
    expect(r.payload).toMatchObject({ data_processing_options: ['LDU'], data_processing_options_country: 1, data_processing_options_state: 1000 });
    expect(checkMetaEvent(r.payload as unknown as Record<string, unknown>, Math.floor(T0 / 1000))).toBeUndefined();
    // Another state or an unknown one: Meta geolocates (0 / 0); Meta documents no other state code.
    for (const geo of [{ country: 'US', region: 'TX' }, { country: 'US' }, undefined]) {
      const other = metaCapi.map({ ...base, geo, consent_state: consent(undefined, { limited_data_use: true }) }, config, full);
      expect('payload' in other && [other.payload.data_processing_options_country, other.payload.data_processing_options_state]).toEqual([0, 0]);
    }
  });

  it('limited data use adds LDU with country/state 0 (Meta geolocates)', () => {
    const r = metaCapi.map({ ...base, consent_state: consent(undefined, { limited_data_use: true }) }, config, full);
    if ('skip' in r) throw new Error(r.skip);
    expect(r.payload.data_processing_options).toEqual(['LDU']);
    expect(r.payload.data_processing_options_country).toBe(0);
    expect(r.payload.data_processing_options_state).toBe(0);
    const plain = metaCapi.map(base, config, full);
    expect('payload' in plain && plain.payload).not.toHaveProperty('data_processing_options');
  });

  it('events older than 7 days are skipped; a future time is clamped to receipt', () => {
    expect(metaCapi.map({ ...base, time: T0 - 7 * 86_400_000 - 1000 }, config, full)).toEqual({ skip: 'meta.event_too_old' });
    const ok = metaCapi.map({ ...base, time: T0 - 6 * 86_400_000 }, config, full);
    expect('payload' in ok && ok.payload.event_time).toBe((T0 - 6 * 86_400_000) / 1000);
    const future = metaCapi.map({ ...base, time: T0 + 120_000 }, config, full);
    expect('payload' in future && future.payload.event_time).toBe(T0 / 1000);
  });

  it('skips a Purchase without value or currency (Meta rejects the whole request)', () => {
    expect(metaCapi.map({ ...base, name: 'purchase', params: { value: 10 } }, config, full)).toEqual({ skip: 'meta.purchase_missing_value_or_currency' });
    expect(metaCapi.map({ ...base, name: 'purchase', params: { currency: 'EUR' } }, config, full)).toEqual({ skip: 'meta.purchase_missing_value_or_currency' });
  });

  it('uses the configured action_source', () => {
    const r = metaCapi.map(base, { ...config, action_source: 'app' }, full);
    expect('payload' in r && r.payload.action_source).toBe('app');
  });
});
