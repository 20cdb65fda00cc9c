import { describe, expect, it } from 'vitest';
import { ingestGtag } from '../../src/ingest/gtag.js';
import type { Event } from '../../src/event.js';
import { BASE_HEADERS, NOW, fixture, gtagEnv } from './gtag-helpers.js';

/** The fields the adapter sets, for deep comparison (ids and time are checked separately). */
function shape(e: Event) {
  return {
    name: e.name,
    params: e.params,
    items: e.items,
    user_properties: e.user_properties,
    user: e.user,
    client: e.client,
    page: e.page,
    consent: e.consent,
    protocol: e.request.protocol,
  };
}

function run(name: string) {
  const env = gtagEnv();
  const result = ingestGtag({ ...fixture(name), env });
  expect(result.rejected).toEqual([]);
  for (const e of result.events) {
    expect(e.event_id).toMatch(/^g-[0-9a-f]{16}$/);
    expect(e.time).toBe(NOW);
    expect(e.received_at).toBe(NOW);
    expect(e.request.source).toBe('gtag');
    expect(e.request.ip).toBe('203.0.113.7');
  }
  expect(env.request.source).toBe('native');
  return result.events;
}

const SESAMY_DL =
  'https://sesamy.bestbytes.com/?utm_source=google&utm_medium=demandgen&utm_campaign=demandgenprodukte&utm_id=22133718417' +
  '&utm_content=&utm_term=&gad_source=1&gad_campaignid=22133718417&gclid=FAKE-GCLID-0001&gtm_debug=1747981544829';
const SESAMY_DR = 'https://bestbytes.cloudflareaccess.com/';
const SESAMY_CONSENT = { gcs: 'G111', gcd: '13r3r3r2r5l1', npa: '0', dma: '1', dma_cps: 'syphamo' };
const SESAMY_PROTOCOL = {
  measurement_id: 'G-F9XM71K45T',
  gtm: '45he5641v9184715813z89184708445za204zb9184708445',
  page_load_id: '1749196701069',
  language: 'en-us',
  screen_resolution: '1728x1117',
};
const TEE = {
  item_id: 'SKU_12345',
  item_name: 'Stan and Friends Tee',
  affiliation: 'Google Merchandise Store',
  coupon: 'SUMMER_FUN',
  discount: 2.22,
  index: 0,
  item_brand: 'Google',
  item_category: 'Apparel',
  item_category2: 'Adult',
  item_category3: 'Shirts',
  item_category4: 'Crew',
  item_category5: 'Short sleeve',
  item_list_id: 'related_products',
  item_list_name: 'Related Products',
  item_variant: 'green',
  location_id: 'ChIJIQBpAG2ahYAR_6128GcTUEo',
  price: 10.01,
  quantity: 3,
};

describe('gtag fixtures → canonical events', () => {
  it('page_view: page params as gtag sends them, session, consent mode signals, protocol facts', () => {
    const [e, ...rest] = run('page-view');
    expect(rest).toEqual([]);
    expect(shape(e!)).toEqual({
      name: 'page_view',
      params: { page_location: SESAMY_DL, page_referrer: SESAMY_DR, page_title: 'Sesamy Demo Page' },
      items: undefined,
      user_properties: undefined,
      user: {},
      client: { client_id: '1000000001.1700000001', session_id: '1700000101', session_number: 41, engaged: true, engagement_time_msec: 12397 },
      page: { url: SESAMY_DL, referrer: SESAMY_DR, title: 'Sesamy Demo Page' },
      consent: SESAMY_CONSENT,
      protocol: { ...SESAMY_PROTOCOL, hit_sequence: '13' },
    });
  });

  it('page_view: client-hint parameters become sec-ch-ua-* headers when the request has none', () => {
    const [e] = run('page-view');
    expect(e!.request.headers).toEqual({
      ...BASE_HEADERS,
      'sec-ch-ua-arch': '"arm"',
      'sec-ch-ua-bitness': '"64"',
      'sec-ch-ua-model': '""',
      'sec-ch-ua-platform': '"macOS"',
      'sec-ch-ua-platform-version': '"15.5.0"',
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-wow64': '?0',
      'sec-ch-ua-full-version-list': '"Chromium";v="136.0.7103.114", "Google Chrome";v="136.0.7103.114", "Not.A/Brand";v="99.0.0.0"',
      'sec-ch-ua': '"Chromium";v="136", "Google Chrome";v="136", "Not.A/Brand";v="99"',
    });
  });

  it('add_to_cart: a full pr1 maps every item field, numbers as numbers; cu becomes currency', () => {
    const [e] = run('add-to-cart');
    expect(shape(e!)).toEqual({
      name: 'add_to_cart',
      params: { value: 30.03, currency: 'USD' },
      items: [TEE],
      user_properties: undefined,
      user: {},
      client: { client_id: '1000000001.1700000001', session_id: '1700000101', session_number: 41, engaged: true, engagement_time_msec: 3110 },
      page: { url: SESAMY_DL, referrer: SESAMY_DR, title: 'Sesamy Demo Page' },
      consent: SESAMY_CONSENT,
      protocol: { ...SESAMY_PROTOCOL, hit_sequence: '14' },
    });
  });

  it('form_start: epn params are numbers, empty ep values are kept, no page params on non-page_view', () => {
    const [e] = run('form-start');
    expect(shape(e!)).toEqual({
      name: 'form_start',
      params: {
        anonymize_ip: 'false',
        debug_mode: 'false',
        site_name: 'TimeCapsule- SLM',
        form_id: '',
        form_name: '',
        form_destination: 'http://localhost:3000/deep-research',
        form_length: 9,
        first_field_id: '',
        first_field_name: '',
        first_field_type: '',
        first_field_position: 2,
      },
      items: undefined,
      user_properties: undefined,
      user: {},
      client: { client_id: '1000000011.1700000011', session_id: '1700000111', session_number: 31, engaged: true, engagement_time_msec: 5074 },
      page: {
        url: 'http://localhost/deep-research',
        referrer: 'http://localhost:3000/deep-research',
        title: 'TimeCapsule - AI-Powered Learning Platform',
      },
      consent: { gcd: '13l3l3l3l1l1', npa: '0', dma: '0' },
      protocol: {
        measurement_id: 'G-V1B8R98P79',
        gtm: '45je58c0v898116370za200zd898116370',
        page_load_id: '1755165789513',
        hit_sequence: '6',
        language: 'en-us',
        screen_resolution: '2240x1260',
      },
    });
  });

  it('purchase: transaction params and several items, with custom k0/v0 and promotion fields', () => {
    const [e] = run('purchase');
    const shared = { ...TEE, affiliation: 'Google Merchandise Store', google_business_vertical: 'retail' };
    expect(shape(e!)).toEqual({
      name: 'purchase',
      params: { transaction_id: 'T_12345', value: 72.05, tax: 3.6, shipping: 5.99, coupon: 'SUMMER_SALE', customer_type: 'new', currency: 'USD' },
      items: [
        shared,
        {
          ...shared,
          item_id: 'SKU_12346',
          item_name: "Google Grey Women's Tee",
          discount: 3.33,
          index: 1,
          item_variant: 'gray',
          price: 21.01,
          quantity: 2,
          promotion_id: 'P_12345',
          promotion_name: 'Summer Sale',
        },
      ],
      user_properties: undefined,
      user: {},
      client: { client_id: '1000000021.1700000021', session_id: '1700000121', session_number: 2, engaged: false },
      page: { url: 'https://www.example.com/?g=123123', title: 'Example Domain' },
      consent: { gcd: '13l3l3l3l1l1', npa: '0', dma: '0' },
      protocol: {
        measurement_id: 'G-ABC123',
        gtm: '45je5ca1za200',
        page_load_id: '1766755449798',
        hit_sequence: '2',
        language: 'en-us',
        screen_resolution: '1920x1080',
      },
    });
  });

  it('consent denied (gcs=G100): signals pass through for the consent stage; a first visit starts a session', () => {
    const [e] = run('consent-denied');
    expect(shape(e!)).toEqual({
      name: 'page_view',
      params: { page_location: 'https://shopvivaliz.com.br/', page_title: 'Vivaliz | Loja Online' },
      items: undefined,
      user_properties: undefined,
      user: {},
      client: {
        client_id: '1000000031.1700000031',
        session_id: '1700000131',
        session_number: 1,
        engaged: false,
        first_visit: true,
        session_start: true,
      },
      page: { url: 'https://shopvivaliz.com.br/', title: 'Vivaliz | Loja Online' },
      consent: { gcs: 'G100', gcd: '13p3p3p3p5l1', npa: '1', dma: '0', dma_cps: '-' },
      protocol: {
        measurement_id: 'G-QWYPLYMZ9',
        gtm: '45je68c1h1z89254139212za20gzb9254139212zd9254139212',
        page_load_id: '1786754029857',
        hit_sequence: '1',
        language: 'pt-br',
        screen_resolution: '1440x900',
        new_session: '1',
      },
    });
    expect(e!.request.headers['sec-ch-ua-full-version-list']).toBe(
      '"HeadlessChrome";v="149.0.7827.55", "Chromium";v="149.0.7827.55", "Not)A;Brand";v="24.0.0.0"',
    );
  });

  it('batched POST: one event per body line over the shared query, lines override shared values', () => {
    const events = run('batch-post');
    const dl = 'https://factors.directory/en/factors/value/value-retained-earnings-per-share';
    const dt = 'Retained earnings per share - seo.factor_title_suffix | Factors Directory - Quantitative Trading Factor Library';
    const client = { client_id: '1000000041.1700000041', session_id: '1700000141', session_number: 3, engaged: true };
    const protocol = {
      measurement_id: 'G-SR89ML6JC8',
      gtm: '45je64n0h2v9203325024za200zd9203325024',
      page_load_id: '1777284853404',
      hit_sequence: '3',
      language: 'en-us',
      screen_resolution: '1280x720',
    };
    const consent = { gcd: '13l3l3l3l1l1', npa: '0', dma: '0' };
    expect(events.map(shape)).toEqual([
      {
        name: 'scroll',
        params: { percent_scrolled: 90 },
        items: undefined,
        user_properties: undefined,
        user: {},
        client: { ...client, engagement_time_msec: 30 },
        page: { url: dl, title: dt },
        consent,
        protocol,
      },
      {
        name: 'page_view',
        params: { page_location: dl, page_referrer: 'https://factors.directory/en', page_title: dt },
        items: undefined,
        user_properties: undefined,
        user: {},
        client: { ...client, engagement_time_msec: 944 },
        page: { url: dl, referrer: 'https://factors.directory/en', title: dt },
        consent,
        protocol,
      },
    ]);
    expect(events[0]!.event_id).not.toBe(events[1]!.event_id);
  });
});
