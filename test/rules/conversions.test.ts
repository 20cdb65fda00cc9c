import { describe, expect, it } from 'vitest';
import { conversionsSchema } from '../../src/rules/conversions-config.js';
import { compileConversions, deriveEvents, derivedEventId, MAX_DERIVED, matchesRule, pagePath, quickHashHex } from '../../src/rules/conversions.js';
import type { Event, Scalar } from '../../src/event.js';
import type { ConsentState } from '../../src/consent/purposes.js';
import { makeEvent } from './helpers.js';

const rulesOf = (input: unknown) => compileConversions(conversionsSchema.parse(input));
/** Does a one-rule list with this `when` (event `e`) match the event? */
const matches = (when: Record<string, unknown>, event: Partial<Event>) =>
  matchesRule(makeEvent({ name: 'e', ...event }), rulesOf([{ id: 'r', when: { event: 'e', ...when }, emit: { name: 'out' } }])[0]!);

describe('param conditions', () => {
  it.each([
    [{ eq: 'pdf' }, 'pdf', true],
    [{ eq: 'pdf' }, 'PDF', false],
    [{ eq: 10 }, 10, true],
    [{ eq: 10 }, '10', true],
    [{ eq: 10 }, '10.5', false],
    [{ eq: true }, true, true],
    [{ eq: true }, 'true', true],
    [{ ne: 'x' }, 'y', true],
    [{ ne: 'x' }, 'x', false],
    [{ ne: 'x' }, undefined, true],
    [{ gt: 5 }, 6, true],
    [{ gt: 5 }, 5, false],
    [{ gte: 60000 }, 60000, true],
    [{ gte: 60000 }, '61000', true],
    [{ gte: 60000 }, 59999, false],
    [{ gte: 1 }, 'abc', false],
    [{ lt: 3 }, 2.9, true],
    [{ lt: 3 }, 3, false],
    [{ lte: 3 }, 3, true],
    [{ gte: 10, lt: 20 }, 15, true],
    [{ gte: 10, lt: 20 }, 20, false],
    [{ in: ['a', 'b'] }, 'b', true],
    [{ in: ['a', 'b'] }, 'c', false],
    [{ in: [1, 2] }, '2', true],
    [{ exists: true }, 'x', true],
    [{ exists: true }, '', false],
    [{ exists: true }, undefined, false],
    [{ exists: false }, undefined, true],
    [{ exists: false }, 0, false],
    [{ matches: '^SKU_\\d+$' }, 'SKU_12', true],
    [{ matches: '^SKU_\\d+$' }, 'sku_12', false],
    [{ matches: '\\.pdf$' }, `${'x'.repeat(600)}.pdf`, false],
    [{ glob: '*/brochures/*.pdf' }, 'https://shop.example/brochures/a.pdf', true],
    [{ glob: '*/brochures/*.pdf' }, 'https://shop.example/docs/a.pdf', false],
    [{ gt: 0 }, undefined, false],
    [{ eq: 'x' }, undefined, false],
  ] as [Record<string, unknown>, Scalar | undefined, boolean][])('%j on %j → %s', (condition, value, expected) => {
    expect(matches({ params: { p: condition } }, { params: value === undefined ? {} : { p: value } })).toBe(expected);
  });

  it('engagement_time_msec is also read from the client section (gtag _et)', () => {
    const when = { params: { engagement_time_msec: { gte: 60000 } } };
    expect(matches(when, { client: { engagement_time_msec: 75000 } })).toBe(true);
    expect(matches(when, { client: { engagement_time_msec: 5000 } })).toBe(false);
    expect(matches(when, { params: { engagement_time_msec: 61000 }, client: { engagement_time_msec: 5000 } })).toBe(true);
  });
});

describe('context conditions', () => {
  const consent = (region: string) => ({ region }) as ConsentState;
  it.each([
    ['page glob', { page: '/pricing*' }, { page: { url: 'https://shop.example/pricing/teams?utm_source=x' } }, true],
    ['page glob, other path', { page: '/pricing*' }, { page: { url: 'https://shop.example/about' } }, false],
    ['page glob, no url', { page: '/pricing*' }, { page: {} }, false],
    ['page regex', { page: { regex: '^/products/[^/]+$' } }, { page: { url: 'https://shop.example/products/red-shoe' } }, true],
    ['page regex, deeper', { page: { regex: '^/products/[^/]+$' } }, { page: { url: 'https://shop.example/products/a/b' } }, false],
    ['page { glob }', { page: { glob: '/blog/*' } }, { page: { url: '/blog/hello' } }, true],
    ['device type', { device_type: 'mobile' }, { device: { device_type: 'mobile' } }, true],
    ['device type list', { device_type: ['tablet', 'desktop'] }, { device: { device_type: 'mobile' } }, false],
    ['device type unknown', { device_type: 'mobile' }, {}, false],
    ['source, any case', { source: 'google' }, { campaign: { source: 'Google' } }, true],
    ['medium list', { medium: ['cpc', 'paid'] }, { campaign: { medium: 'cpc' } }, true],
    ['medium', { medium: 'email' }, { campaign: { medium: 'cpc' } }, false],
    ['region country', { region: 'DE' }, { consent_state: consent('DE') }, true],
    ['region group', { region: 'EEA' }, { consent_state: consent('FR') }, true],
    ['region group, outside', { region: 'EEA' }, { consent_state: consent('US-CA') }, false],
    ['region country of a subdivision', { region: 'US' }, { consent_state: consent('US-CA') }, true],
    ['region subdivision', { region: 'us-ca' }, { consent_state: consent('US-CA') }, true],
    ['region from geo when consent has none', { region: 'US_PRIVACY_STATES' }, { geo: { country: 'US', region: 'VA' } }, true],
    ['region unknown', { region: 'DE' }, { consent_state: consent('unknown') }, false],
  ] as [string, Record<string, unknown>, Partial<Event>, boolean][])('%s', (_, when, event, expected) => {
    expect(matches(when, event)).toBe(expected);
  });

  it('every condition must hold, and the event name first', () => {
    const when = { page: '/products/*', device_type: 'mobile', params: { p: { eq: 1 } } };
    const event = { page: { url: '/products/x' }, device: { device_type: 'mobile' }, params: { p: 1 } };
    expect(matches(when, event)).toBe(true);
    expect(matches(when, { ...event, params: { p: 2 } })).toBe(false);
    expect(matches(when, { ...event, name: 'other' })).toBe(false);
  });

  it('pagePath reads relative and absolute URLs', () => {
    expect(pagePath({ page: { url: 'https://a.example/x/y?q=1#f' } })).toBe('/x/y');
    expect(pagePath({ page: { url: '/x' } })).toBe('/x');
    expect(pagePath({ page: {} })).toBeUndefined();
  });
});

describe('derived events', () => {
  const rules = rulesOf([
    { id: 'pricing', when: { event: 'page_view', page: '/pricing*' }, emit: { name: 'view_pricing' } },
    {
      id: 'big_order',
      when: { event: 'purchase', params: { value: { gte: 500 } } },
      emit: { name: 'large_order', params: { copy: ['transaction_id', 'value', 'currency', 'items', 'absent'], set: { tier: 'gold', currency: 'EUR' } } },
      kind: 'macro',
    },
    { id: 'video', when: { event: 'video_complete' }, emit: { name: 'video_watched', value: 2 } },
    { id: 'pricing-interest', when: { event: 'view_pricing', device_type: 'desktop' }, emit: { name: 'pricing_interest' } },
  ]);
  const consent_state = { region: 'DE', purposes: {}, policy: 'opt_in', policy_version: '1', limited_data_use: false, notes: [] } as unknown as ConsentState;
  const source = makeEvent({
    event_id: '0190a1b2-aaaa-7bbb-8ccc-000000000001',
    name: 'page_view',
    page: { url: 'https://shop.example/pricing' },
    user: { email: 'someone@example.com' },
    consent: { analytics_storage: 'granted' },
    consent_state,
    device: { device_type: 'desktop' },
    campaign: { source: 'google', medium: 'cpc' },
  });

  it('a derived event links to its source, inherits consent and identity, and has a deterministic id', () => {
    const [pricing, interest] = deriveEvents(source, rules);
    expect(pricing).toMatchObject({
      event_id: '0190a1b2-aaaa-7bbb-8ccc-000000000001:pricing',
      name: 'view_pricing',
      params: {},
      derived_from: { event_id: source.event_id, rule_id: 'pricing' },
      kind: 'micro',
      time: source.time,
      received_at: source.received_at,
      user: source.user,
      client: source.client,
      consent: source.consent,
      consent_state: source.consent_state,
      page: source.page,
      device: source.device,
      campaign: source.campaign,
      request: source.request,
    });
    // Rules chain: view_pricing on a desktop derives pricing_interest in turn.
    expect(interest).toMatchObject({ event_id: `${source.event_id}:pricing:pricing-interest`, name: 'pricing_interest', derived_from: { event_id: pricing!.event_id, rule_id: 'pricing-interest' } });
  });

  it('sections are copies: a later stage emptying the source user leaves the derived one intact', () => {
    const [derived] = deriveEvents(source, rules);
    const s = structuredClone(source);
    const [d] = deriveEvents(s, rules);
    s.user.email = undefined;
    s.consent_state!.region = 'FR';
    expect(d!.user.email).toBe('someone@example.com');
    expect(d!.consent_state!.region).toBe('DE');
    expect(derived).toEqual(d);
  });

  it('the same source derives the same events under replay, and nothing for other events', () => {
    expect(deriveEvents(structuredClone(source), rules)).toEqual(deriveEvents(source, rules));
    expect(deriveEvents({ ...source, page: { url: '/about' } }, rules)).toEqual([]);
  });

  it('copies listed params and items, sets fixed values, and carries the value', () => {
    const purchase = makeEvent({ event_id: 'p-1', name: 'purchase', params: { transaction_id: 'T9', value: 640, currency: 'USD', coupon: 'X' }, items: [{ item_id: 'A', price: 640 }] });
    const [large] = deriveEvents(purchase, rules);
    expect(large).toMatchObject({ event_id: 'p-1:big_order', name: 'large_order', kind: 'macro', params: { transaction_id: 'T9', value: 640, currency: 'EUR', tier: 'gold' }, items: [{ item_id: 'A', price: 640 }] });
    expect(large!.params).not.toHaveProperty('coupon');
    expect(large!.items).not.toBe(purchase.items);
    const [video] = deriveEvents(makeEvent({ event_id: 'v-1', name: 'video_complete' }), rules);
    expect(video).toMatchObject({ name: 'video_watched', kind: 'micro', params: { value: 2 } });
  });

  it('an id too long for <source>:<rule> becomes a hash of both, the same every time', () => {
    const long = 'x'.repeat(125);
    const id = derivedEventId(long, 'pricing');
    expect(id).toMatch(/^d-[0-9a-f]{32}$/);
    expect(derivedEventId(long, 'pricing')).toBe(id);
    expect(derivedEventId(long, 'pricing2')).not.toBe(id);
    expect(derivedEventId(long, 'pricing', (s) => `sha-${s.length}`.padEnd(40, '0'))).toBe(`d-${'sha-133'.padEnd(32, '0')}`);
    expect(derivedEventId('abc', 'r')).toBe('abc:r');
    expect(quickHashHex('a')).not.toBe(quickHashHex('b'));
  });

  it(`derives at most ${MAX_DERIVED} events from one source`, () => {
    const many = rulesOf(Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, when: { event: 'page_view' }, emit: { name: `out_${i}` } })));
    expect(deriveEvents(source, many)).toHaveLength(MAX_DERIVED);
  });
});
