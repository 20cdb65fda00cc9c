import { describe, expect, it } from 'vitest';
import { gtagEventId, ingestGtag } from '../../src/ingest/gtag.js';
import { fixture, gtagEnv } from './gtag-helpers.js';

const HIT = 'v=2&tid=G-TEST&cid=111.222&sid=333&_p=444&_s=5';

describe('ingestGtag — request-level problems reject everything with index -1', () => {
  const cases: { name: string; query: string; body?: string; limits?: { max_events: number }; code: string; field?: string }[] = [
    { name: 'no v', query: 'tid=G-TEST&en=page_view', code: 'ERR_INVALID_BODY', field: 'v' },
    { name: 'Universal Analytics v=1', query: 'v=1&t=pageview&tid=UA-1-1', code: 'ERR_INVALID_BODY', field: 'v' },
    { name: 'empty query', query: '', code: 'ERR_INVALID_BODY', field: 'v' },
    { name: 'more lines than max_events', query: HIT, body: 'en=a\nen=b\nen=c', limits: { max_events: 2 }, code: 'ERR_TOO_MANY_EVENTS' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, () => {
      const result = ingestGtag({ query: c.query, body: c.body, env: gtagEnv(c.limits ? { limits: c.limits } : {}) });
      expect(result.events).toEqual([]);
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected[0]).toMatchObject({ index: -1, code: c.code, ...(c.field ? { field: c.field } : {}) });
    });
  }
});

describe('ingestGtag — a malformed line is rejected alone, by its position among non-empty lines', () => {
  it('keeps the good lines of a mixed batch and names each rejected one', () => {
    const lines = [
      'en=good_one&epn.value=1',
      'en=1bad',
      '',
      'epn.value=2',
      'en=bad_number&epn.value=abc',
      'en=empty_number&epn.value=',
      'en=hex_number&epn.value=0x1f',
      'en=bad_price&pr1=idA~pr12%2C50',
      'en=no_param_name&ep.=x',
      'en=too_long&ep.note=' + 'x'.repeat(1001),
      'en=bad_sct&sct=-1',
      'en=bad_seg&seg=2',
      'en=bad_et&_et=1.5',
      'en=bad_mobile&uamb=yes',
      'en=bad_custom_key&pr1=idA~k0_x~v0y',
      'en=good_two',
    ];
    const result = ingestGtag({ query: HIT, body: lines.join('\r\n'), env: gtagEnv() });
    expect(result.events.map((e) => e.name)).toEqual(['good_one', 'good_two']);
    expect(result.rejected.map((r) => [r.index, r.code, r.field])).toEqual([
      [1, 'ERR_INVALID_NAME', 'en'],
      [2, 'ERR_INVALID_NAME', 'en'],
      [3, 'ERR_INVALID_TYPE', 'epn.value'],
      [4, 'ERR_INVALID_TYPE', 'epn.value'],
      [5, 'ERR_INVALID_TYPE', 'epn.value'],
      [6, 'ERR_INVALID_TYPE', 'pr1.pr'],
      [7, 'ERR_INVALID_NAME', 'ep.'],
      [8, 'ERR_VALUE_TOO_LONG', 'ep.note'],
      [9, 'ERR_INVALID_TYPE', 'sct'],
      [10, 'ERR_INVALID_TYPE', 'seg'],
      [11, 'ERR_INVALID_TYPE', '_et'],
      [12, 'ERR_INVALID_TYPE', 'uamb'],
      [13, 'ERR_INVALID_NAME', 'pr1.k0'],
    ]);
    for (const r of result.rejected) expect(r.message).not.toContain('xxxx');
  });

  it('applies the configured limits: params, items, item fields, page URL length', () => {
    const env = gtagEnv({ limits: { max_params: 3, max_items: 2 } });
    const body = [
      'en=four_params&ep.a=1&ep.b=2&epn.c=3&ep.d=4',
      'en=three_items&pr1=idA&pr2=idB&pr3=idC',
      'en=fat_item&pr1=idA~nmB~brC~caD~c2E~c3F~c4G',
      `en=long_url&dl=${'a'.repeat(8193)}`,
      'en=four_user_props&up.a=1&up.b=2&upn.c=3&up.d=4',
      'en=currency_is_a_param&ep.a=1&ep.b=2&epn.c=3&cu=EUR',
      'en=fits&ep.a=1&ep.b=2&epn.c=3&pr1=idA&pr2=idB',
    ].join('\n');
    const result = ingestGtag({ query: HIT, body, env });
    expect(result.events.map((e) => e.name)).toEqual(['fits']);
    expect(result.rejected.map((r) => [r.index, r.code, r.field])).toEqual([
      [0, 'ERR_TOO_MANY_PARAMS', 'ep'],
      [1, 'ERR_TOO_MANY_PARAMS', 'pr'],
      [2, 'ERR_TOO_MANY_PARAMS', 'pr1'],
      [3, 'ERR_VALUE_TOO_LONG', 'dl'],
      [4, 'ERR_TOO_MANY_PARAMS', 'up'],
      [5, 'ERR_TOO_MANY_PARAMS', 'ep'],
    ]);
  });
});

describe('ingestGtag — parameter mapping', () => {
  const one = (query: string, headers?: Record<string, string>) => {
    const result = ingestGtag({ query, env: gtagEnv({}, headers) });
    expect(result.rejected).toEqual([]);
    expect(result.events).toHaveLength(1);
    return result.events[0]!;
  };

  it('up.*/upn.* become user properties and uid the user id', () => {
    const e = one(`${HIT}&en=login&uid=user-42&up.plan=pro&upn.orders=3`);
    expect(e.user).toEqual({ user_id: 'user-42' });
    expect(e.user_properties).toEqual({ plan: 'pro', orders: 3 });
  });

  it('explicit ep.currency and ep.page_location win over cu and dl', () => {
    const e = one(`${HIT}&en=page_view&cu=USD&ep.currency=EUR&dl=https%3A%2F%2Fa.example%2F&ep.page_location=https%3A%2F%2Fb.example%2F`);
    expect(e.params).toEqual({ currency: 'EUR', page_location: 'https://b.example/' });
    expect(e.page.url).toBe('https://a.example/');
  });

  it('orders items by their number and ignores pr0, legacy pr1.nm and unknown item prefixes', () => {
    const e = one(`${HIT}&en=view_item_list&pr2=idB~zzfuture&pr1=idA&pr0=idZero&pr1.nm=legacy&pr10=idJ`);
    expect(e.items).toEqual([{ item_id: 'A' }, { item_id: 'B' }, { item_id: 'J' }]);
  });

  it('pairs multi-digit custom item keys with their values, even when a value starts with digits', () => {
    const e = one(`${HIT}&en=view_item&pr1=idA~k12color~v12red~k1size~v142~v7orphan~k3lonely`);
    expect(e.items).toEqual([{ item_id: 'A', color: 'red', size: '42' }]);
  });

  it('keeps names like __proto__ as plain data', () => {
    const e = one(`${HIT}&en=x&ep.__proto__=p&ep.constructor=c&pr1=idA~k0constructor~v0k`);
    expect(Object.getPrototypeOf(e.params)).toBe(Object.prototype);
    expect(Object.keys(e.params)).toEqual(['__proto__', 'constructor']);
    expect(e.params.constructor).toBe('c');
    expect(e.items?.[0]?.constructor).toBe('k');
  });

  it('synthesizes no client hints when the request carries real sec-ch-ua headers', () => {
    const e = one(`${HIT}&en=x&uap=Android&uamb=1`, { 'sec-ch-ua-mobile': '?0' });
    expect(e.request.headers).toEqual({ 'sec-ch-ua-mobile': '?0' });
  });

  it('quotes client-hint values as structured-header strings', () => {
    const e = one(`${HIT}&en=x&uam=Pixel%20%227%22&uap=Android&uamb=1`);
    expect(e.request.headers['sec-ch-ua-model']).toBe('"Pixel \\"7\\""');
    expect(e.request.headers['sec-ch-ua-mobile']).toBe('?1');
  });

  it('a GET query, or a POST with only blank lines, is one event', () => {
    for (const body of [undefined, '', '\r\n\r\n', '  \n']) {
      const result = ingestGtag({ query: `${HIT}&en=page_view`, body, env: gtagEnv() });
      expect(result.events.map((e) => e.name)).toEqual(['page_view']);
    }
  });

  it('a line without en inherits the shared one; shared ep params reach every line unless overridden', () => {
    const result = ingestGtag({ query: `${HIT}&en=shared&ep.site=a`, body: 'ep.x=1\nen=own&ep.site=b', env: gtagEnv() });
    expect(result.events.map((e) => [e.name, e.params])).toEqual([
      ['shared', { site: 'a', x: '1' }],
      ['own', { site: 'b' }],
    ]);
  });

  it('accepts the query as URLSearchParams, with or without a leading ?', () => {
    const a = ingestGtag({ query: new URLSearchParams(`${HIT}&en=x`), env: gtagEnv() });
    const b = ingestGtag({ query: `?${HIT}&en=x`, env: gtagEnv() });
    expect(a.events[0]!.event_id).toBe(b.events[0]!.event_id);
  });

  it('the recorded batch body really uses CRLF (a checkout converting it would hide the case)', () => {
    expect(fixture('batch-post').body).toContain('\r\n');
  });
});

describe('ingestGtag — event ids dedupe retries and only retries', () => {
  const ids = (query: string, body?: string) => ingestGtag({ query, body, env: gtagEnv() }).events.map((e) => e.event_id);

  it('a retried hit gets the same ids', () => {
    const { query, body } = fixture('batch-post');
    expect(ids(query, body)).toEqual(ids(query, body));
  });

  it('any identifying part changes the id', () => {
    const base = ids(`${HIT}&en=click`)[0];
    for (const changed of [
      'v=2&tid=G-OTHER&cid=111.222&sid=333&_p=444&_s=5&en=click',
      'v=2&tid=G-TEST&cid=111.223&sid=333&_p=444&_s=5&en=click',
      'v=2&tid=G-TEST&cid=111.222&sid=334&_p=444&_s=5&en=click',
      'v=2&tid=G-TEST&cid=111.222&sid=333&_p=445&_s=5&en=click',
      'v=2&tid=G-TEST&cid=111.222&sid=333&_p=444&_s=6&en=click',
      'v=2&tid=G-TEST&cid=111.222&sid=333&_p=444&_s=5&en=clack',
    ]) {
      expect(ids(changed)[0]).not.toBe(base);
    }
    const [first, second] = ids(HIT, 'en=click\nen=click');
    expect(first).not.toBe(second);
  });

  it('does not put the client id in the event id', () => {
    expect(ids(`${HIT}&en=click`)[0]).not.toContain('111');
    expect(gtagEventId(new Map([['cid', 'abc'], ['sid', '1'], ['_p', '2'], ['_s', '3']]), 0, 'x')).toMatch(/^g-[0-9a-f]{16}$/);
  });

  it('falls back to a random UUIDv7 when a part is missing', () => {
    for (const missing of ['cid', 'sid', '_p', '_s']) {
      const query = HIT.split('&').filter((p) => !p.startsWith(`${missing}=`)).join('&');
      expect(ids(`${query}&en=click`)[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});

describe('ingestGtag — ep.event_id is the event id, so the back end can send the same event', () => {
  const parse = (query: string, body?: string) => ingestGtag({ query, body, env: gtagEnv() });

  it.each([
    ['an order number', 'order-1234', 'order-1234'],
    ['every allowed character', 'a.b:c_d-E9', 'a.b:c_d-E9'],
    ['100 characters', 'x'.repeat(100), 'x'.repeat(100)],
  ])('a sane ep.event_id (%s) becomes event_id and leaves params', (_name, raw, id) => {
    const { events } = parse(`${HIT}&en=purchase&ep.event_id=${encodeURIComponent(raw)}&ep.coupon=SPRING`);
    expect(events[0]!.event_id).toBe(id);
    expect(events[0]!.params).toEqual({ coupon: 'SPRING' });
  });

  it.each([
    ['empty', ''],
    ['a space', 'order 1234'],
    ['a slash', 'order/1234'],
    ['non-ASCII', 'bestellung-ü'],
    ['101 characters', 'x'.repeat(101)],
  ])('an ep.event_id that is not a sane id (%s) is ignored: derived id, the param kept as sent', (_name, raw) => {
    const { events } = parse(`${HIT}&en=purchase&ep.event_id=${encodeURIComponent(raw)}`);
    expect(events[0]!.event_id).toMatch(/^g-[0-9a-f]{16}$/);
    expect(events[0]!.params.event_id).toBe(raw);
  });

  it('each line of a batched POST uses its own ep.event_id', () => {
    const { events } = parse(HIT, 'en=add_to_cart&ep.event_id=a-1\r\nen=purchase&ep.event_id=p-1\r\nen=scroll');
    expect(events.map((e) => e.event_id)).toEqual(['a-1', 'p-1', expect.stringMatching(/^g-[0-9a-f]{16}$/)]);
    expect(events.map((e) => 'event_id' in e.params)).toEqual([false, false, false]);
  });

  it('an ep.event_id shared by every line of a batch (in the query) names no single event: ignored', () => {
    const { events } = parse(`${HIT}&ep.event_id=shared-1`, 'en=a\r\nen=b');
    expect(events.map((e) => e.event_id)).toEqual([expect.stringMatching(/^g-/), expect.stringMatching(/^g-/)]);
    expect(new Set(events.map((e) => e.event_id)).size).toBe(2);
  });
});
