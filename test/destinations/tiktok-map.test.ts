import { describe, expect, it } from 'vitest';
import { tiktok, tiktokConfigSchema } from '../../src/destinations/tiktok.js';
import type { TikTokEvent } from '../../src/destinations/tiktok-map.js';
import { HASHING_RULES, destinationConfigSchema } from '../../src/destinations/index.js';
import { metaCapi } from '../../src/destinations/meta-capi.js';
import { identify } from '../../src/identity/resolve.js';
import { identityConfigSchema } from '../../src/identity/config.js';
import type { MapContext } from '../../src/destinations/types.js';
import { decide } from '../../src/delivery/decide.js';
import { toRecord } from '../../src/delivery/record.js';
import { prepareIdentity } from '../../src/privacy/identity.js';
import { privacyConfigSchema } from '../../src/privacy/config.js';
import { describeReason, isKnownReason } from '../../src/reasons/catalog.js';
import type { Item, Scalar } from '../../src/event.js';
import { H, T0, consent, event } from './fixtures.js';
import { nodeHasher, sha256 } from '../privacy/fixtures.js';

const config = tiktokConfigSchema.parse({ id: 'tiktok', type: 'tiktok', pixel_code: 'C4ABCDEFGH1234567890', access_token: 'tok' });
const full: MapContext = { action: 'send', reasons: [] };

const base = event({
  event_id: 'evt-9',
  page: { url: 'https://shop.example/p/1?ttclid=E.C.P.abc123', referrer: 'https://www.tiktok.com/' },
  request: { source: 'native', ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)', headers: {}, cookies: {} },
  client: { client_id: '1.2', fbp: 'fb.1.1714564800000.1234567890' },
  hashed_user: { em: H.em, external_id: H.external_id, fn: H.fn },
  campaign: { ttclid: 'E.C.P.abc123', source: 'tiktok', medium: 'cpc', channel: 'paid' },
});
const USER = { email: H.em, external_id: H.external_id, ttclid: 'E.C.P.abc123', ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' };
const PAGE = { url: 'https://shop.example/p/1?ttclid=E.C.P.abc123', referrer: 'https://www.tiktok.com/' };
const ITEMS: Item[] = [
  { item_id: 'SKU_1', item_name: 'Tee', price: 10.01, quantity: 2 },
  // wire strings, as a gtag hit carries them
  { item_id: 'SKU_2', item_name: 'Cap', price: '5.5', quantity: '1' } as unknown as Item,
];
const CONTENTS = {
  contents: [
    { content_id: 'SKU_1', content_name: 'Tee', price: 10.01, quantity: 2 },
    { content_id: 'SKU_2', content_name: 'Cap', price: 5.5, quantity: 1 },
  ],
  content_type: 'product',
};

describe('tiktok map: event names and properties (golden)', () => {
  const cases: [string, string, Record<string, Scalar>, Item[] | undefined, Record<string, unknown> | undefined][] = [
    ['page_view', 'Pageview', {}, undefined, undefined],
    ['view_item', 'ViewContent', { currency: 'eur', value: 20.02 }, [ITEMS[0]!], { currency: 'EUR', value: 20.02, contents: [CONTENTS.contents[0]], content_type: 'product' }],
    ['add_to_cart', 'AddToCart', { currency: 'EUR', value: '25.52' }, ITEMS, { currency: 'EUR', value: 25.52, ...CONTENTS }],
    ['add_to_wishlist', 'AddToWishlist', { currency: 'EUR', value: 25.52 }, ITEMS, { currency: 'EUR', value: 25.52, ...CONTENTS }],
    ['begin_checkout', 'InitiateCheckout', { currency: 'EUR', value: 25.52, coupon: 'X' }, ITEMS, { currency: 'EUR', value: 25.52, ...CONTENTS }],
    ['add_payment_info', 'AddPaymentInfo', { currency: 'EUR', value: 25.52, payment_type: 'card' }, ITEMS, { currency: 'EUR', value: 25.52, ...CONTENTS }],
    ['purchase', 'CompletePayment', { transaction_id: 'T_1', currency: 'usd', value: 25.52, tax: 1.2 }, ITEMS, { currency: 'USD', value: 25.52, ...CONTENTS, order_id: 'T_1' }],
    ['generate_lead', 'SubmitForm', { currency: 'EUR', value: 50 }, undefined, { currency: 'EUR', value: 50 }],
    ['sign_up', 'CompleteRegistration', { method: 'email' }, undefined, undefined],
    ['search', 'Search', { search_term: 'red shoes' }, undefined, { query: 'red shoes' }],
    ['subscribe', 'Subscribe', { currency: 'EUR', value: 9.99 }, undefined, { currency: 'EUR', value: 9.99 }],
    ['contact', 'Contact', {}, undefined, undefined],
    ['file_download', 'Download', { file_name: 'catalog.pdf' }, undefined, undefined],
  ];

  it.each(cases)('%s → %s', (name, tiktokName, params, items, properties) => {
    const r = tiktok.map({ ...base, name, params: { session_id: 's', engagement_time_msec: 5, ...params }, ...(items ? { items } : {}) }, config, full);
    expect(r).toEqual({
      payload: {
        event: tiktokName,
        event_time: T0 / 1000,
        event_id: 'evt-9',
        user: USER,
        ...(properties ? { properties } : {}),
        page: PAGE,
        limited_data_use: false,
      } satisfies TikTokEvent,
    });
  });

  it('event_name_map overrides the table; other events are skipped unless custom_events', () => {
    const cfg = { ...config, event_name_map: { purchase: 'PlaceAnOrder', tutorial_begin: 'ClickButton' } };
    const order = tiktok.map({ ...base, name: 'purchase' }, cfg, full);
    expect('payload' in order && order.payload.event).toBe('PlaceAnOrder');
    const click = tiktok.map({ ...base, name: 'tutorial_begin' }, cfg, full);
    expect('payload' in click && click.payload.event).toBe('ClickButton');
    expect(tiktok.map({ ...base, name: 'newsletter_open' }, cfg, full)).toEqual({ skip: 'tiktok.custom_event_disabled' });
    const custom = tiktok.map({ ...base, name: 'newsletter_open' }, { ...cfg, custom_events: true }, full);
    expect('payload' in custom && custom.payload.event).toBe('newsletter_open');
    expect(describeReason('tiktok.custom_event_disabled')).toMatch(/custom_events: false/);
  });
});

describe('tiktok map: user, consent and limited data use', () => {
  it('sends the phone hash and the _ttp browser id with full consent', () => {
    const r = tiktok.map({ ...base, hashed_user: { em: H.em, ph: H.ph }, client: { ...base.client, ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' } }, config, full);
    if ('skip' in r) throw new Error(r.skip);
    expect(r.payload.user).toMatchObject({ email: H.em, phone: H.ph, ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' });
    expect(r.notes).toBeUndefined();
  });

  it('outside full mode no matching key leaves: no hashes, click id, _ttp, IP or User-Agent', () => {
    for (const action of ['anonymize', 'cookieless'] as const) {
      const r = tiktok.map({ ...base, client: { ...base.client, ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' } }, config, { action, reasons: [] });
      expect('payload' in r && r.payload.user).toEqual({});
    }
  });

  it('limited_data_use follows the consent state; the time is clamped to receipt and sent in seconds', () => {
    const ldu = tiktok.map({ ...base, consent_state: consent(undefined, { limited_data_use: true }) }, config, full);
    expect('payload' in ldu && ldu.payload.limited_data_use).toBe(true);
    const future = tiktok.map({ ...base, time: T0 + 120_000 }, config, full);
    expect('payload' in future && future.payload.event_time).toBe(T0 / 1000);
    const past = tiktok.map({ ...base, time: T0 - 3_600_500 }, config, full);
    expect('payload' in past && past.payload.event_time).toBe(T0 / 1000 - 3601);
  });

  it('nothing from params leaves beyond the documented properties', () => {
    const r = tiktok.map({ ...base, name: 'purchase', params: { value: 5, currency: 'EUR', coupon: 'SPRING', internal_margin: 0.4 } }, config, full);
    expect('payload' in r && r.payload.properties).toEqual({ value: 5, currency: 'EUR' });
  });
});

describe('tiktok through decide(): the hashes the record holds', () => {
  const global = privacyConfigSchema.parse({ pseudonymization: { salt: 'tiktok-test-salt-0123456789', salt_id: 's1' } });
  const dest = { config: destinationConfigSchema.parse({ id: 'tiktok', type: 'tiktok', pixel_code: 'C4ABCDEFGH1234567890', access_token: 'tok' }), kind: tiktok };
  async function record(state = consent()) {
    const clear = event({
      ...base,
      name: 'purchase',
      params: { value: 49.5, currency: 'EUR' },
      hashed_user: undefined,
      user: { email: '  Ada.Lovelace@Example.com ', phone: '+1 (650) 555-1234', first_name: 'Ada', external_id: 'CRM-9001' },
      consent_state: state,
    });
    return toRecord(clear, await prepareIdentity(clear, { global, hasher: nodeHasher, rules: HASHING_RULES }), [], 'v1');
  }

  it('email: SHA-256 of the trimmed, lower-cased address; phone: SHA-256 of E.164 with its + — TikTok’s rules', async () => {
    const d = decide(await record(), dest);
    expect(d.action).toBe('send');
    const p = d.payload as TikTokEvent;
    expect(p.user.email).toBe(sha256('ada.lovelace@example.com'));
    expect(p.user.phone).toBe(sha256('+16505551234'));
    expect(p.user.external_id).toBe(sha256('CRM-9001'));
    const text = JSON.stringify(p);
    // Meta's phone rule (digits without '+') would never match at TikTok.
    expect(text).not.toContain(sha256('16505551234'));
    expect(text).not.toContain('Ada');
    // Names are not TikTok matching keys: withheld, with the reason.
    expect(d.reasons).toContain('privacy.not_used_by_vendor:first_name');
    expect(d.reasons).not.toContain('tiktok.phone_not_sent');
  });

  it('the _ttp cookie goes to TikTok only; Meta keeps _fbp, and neither reaches GA4', async () => {
    const r = await record();
    r.client = { ...r.client, ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' };
    expect((decide(r, dest).payload as TikTokEvent).user.ttp).toBe('2F7h37YkS1j57AYSKTI7IHhJPYH');
    const meta = { config: destinationConfigSchema.parse({ id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'tok' }), kind: metaCapi };
    const m = decide(r, meta);
    expect(JSON.stringify(m.payload)).not.toContain('2F7h37YkS1j57AYSKTI7IHhJPYH');
    expect(m.reasons).toContain('privacy.vendor_ids_removed');
    expect(JSON.stringify((decide(r, dest).payload as TikTokEvent))).not.toContain('fb.1.');
  });

  it('one hash per distinct normalized value: TikTok’s rule adds no hash to Meta’s and Google’s', async () => {
    const clear = event({ ...base, hashed_user: undefined, user: { email: 'a@b.example', phone: '+1 650 555 1234' } });
    const counted = { n: 0 };
    const hasher = { sha256Hex: (v: string) => (counted.n++, nodeHasher.sha256Hex(v)), hmacSha256Hex: nodeHasher.hmacSha256Hex };
    const without = await prepareIdentity(clear, { global, hasher, rules: HASHING_RULES.filter((r) => r.id !== 'tiktok') });
    const before = counted.n;
    counted.n = 0;
    const withTikTok = await prepareIdentity(clear, { global, hasher, rules: HASHING_RULES });
    expect(counted.n).toBe(before);
    // Meta's email hash and Google's E.164 phone hash, reused.
    expect(withTikTok.hashed.tiktok).toEqual({ em: without.hashed.meta!.em, ph: without.hashed.google!.ph });
  });

  it('without ad_storage or ad_user_data nothing goes (default requires, when_denied: drop)', async () => {
    for (const granted of [['ad_user_data'], ['ad_storage'], []] as const) {
      const d = decide(await record(consent(granted)), dest);
      expect(d.action).toBe('drop');
      expect(d.payload).toBeUndefined();
    }
  });
});

describe('tiktok config', () => {
  it('parses with defaults and refuses a malformed pixel code', () => {
    expect(config).toMatchObject({ endpoint: 'https://business-api.tiktok.com', api_version: 'v1.3', custom_events: false, timeout_ms: 10_000 });
    expect(tiktokConfigSchema.safeParse({ id: 't', type: 'tiktok', pixel_code: 'not a code', access_token: 't' }).success).toBe(false);
    expect(isKnownReason('tiktok.code_40100: Too many requests')).toBe(true);
  });
});

describe('the _ttp cookie at the door', () => {
  const idConfig = identityConfigSchema.parse({});
  const input = (ads: boolean, cookies: Record<string, string>) => ({
    cookies,
    host: 't.shop.example',
    client: {},
    now: T0,
    storage: { analytics: true, ads },
    randomHex: (n: number) => '0'.repeat(n),
  });

  it('is read (never written) with ad_storage, and ignored without it or when malformed', () => {
    const ok = identify(input(true, { _ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' }) as never, idConfig);
    expect(ok.client.ttp).toBe('2F7h37YkS1j57AYSKTI7IHhJPYH');
    expect(ok.setCookies.some((c) => c.startsWith('_ttp='))).toBe(false);
    expect(identify(input(false, { _ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' }) as never, idConfig).client.ttp).toBeUndefined();
    expect(identify(input(true, { _ttp: 'x"><script>' }) as never, idConfig).client.ttp).toBeUndefined();
  });
});
