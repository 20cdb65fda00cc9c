import { describe, expect, it } from 'vitest';
import { identifyForTest, parseSetCookies } from './helpers.js';
import { identityConfigSchema } from '../../src/identity/config.js';

const NOW = 1_700_000_000_000;
const GRANTED = { analytics: true, ads: true };

describe('identify: consent', () => {
  it.each([
    [{ analytics: false, ads: false }, ['identity.storage_denied', 'identity.ad_storage_denied']],
    [{ analytics: false, ads: true }, ['identity.storage_denied']],
  ])('with analytics storage denied (%j) reads and writes no analytics cookie', (storage, expectedReasons) => {
    const r = identifyForTest({
      cookies: { _ga: 'GA1.1.111111111.1600000000', _tr_id: 'TR1.222222222.1600000000', _tr_s: '1699999000.4.1.1699999900' },
      client: {},
      storage,
    });
    expect(r.client.client_id).toBeUndefined();
    expect(r.client.session_id).toBeUndefined();
    expect(r.client.first_visit).toBeUndefined();
    const names = Object.keys(parseSetCookies(r.setCookies));
    expect(names.filter((n) => ['_ga', '_tr_id', '_tr_s'].includes(n))).toEqual([]);
    for (const reason of expectedReasons) expect(r.reasons).toContain(reason);
  });

  it('with everything denied sets no cookie at all and keeps the event id unpersisted', () => {
    const r = identifyForTest({
      cookies: { _ga: 'GA1.1.111111111.1600000000', _fbp: 'fb.1.1600000000000.123456789' },
      client: { client_id: '987654321.1700000000' },
      pageUrl: 'https://www.example.com/?fbclid=Click',
      storage: { analytics: false, ads: false },
    });
    expect(r.setCookies).toEqual([]);
    expect(r.client).toEqual({ client_id: '987654321.1700000000' });
    expect(r.reasons).toEqual(['identity.storage_denied', 'identity.ad_storage_denied']);
  });

  it('with ad storage denied ignores and does not write _fbp/_fbc', () => {
    const r = identifyForTest({
      cookies: { _fbp: 'fb.1.1600000000000.123456789', _fbc: 'fb.1.1600000000000.Old' },
      pageUrl: 'https://www.example.com/?fbclid=New',
      storage: { analytics: true, ads: false },
    });
    expect(r.client.fbp).toBeUndefined();
    expect(r.client.fbc).toBeUndefined();
    const cookies = parseSetCookies(r.setCookies);
    expect(cookies._fbp).toBeUndefined();
    expect(cookies._fbc).toBeUndefined();
    expect(cookies._ga).toBeDefined();
    expect(r.reasons).toContain('identity.ad_storage_denied');
  });
});

describe('identify: client id', () => {
  it.each<[string, Record<string, string>, string | undefined, string, string]>([
    ['event cid wins over cookies', { _ga: 'GA1.1.111111111.1600000000' }, '333333333.1650000000', '333333333.1650000000', 'identity.client_id_from_event'],
    ['_ga cookie', { _ga: 'GA1.2.111111111.1600000000', _tr_id: 'TR1.222222222.1600000000' }, undefined, '111111111.1600000000', 'identity.client_id_from_cookie'],
    ['restored from server id', { _tr_id: 'TR1.222222222.1600000000' }, undefined, '222222222.1600000000', 'identity.client_id_restored'],
    ['malformed _ga falls back to server id', { _ga: 'GA1.1.x', _tr_id: 'TR1.222222222.1600000000' }, undefined, '222222222.1600000000', 'identity.client_id_restored'],
  ])('%s', (_label, cookies, cid, expected, reason) => {
    const r = identifyForTest({ cookies, client: cid ? { client_id: cid } : {}, storage: GRANTED });
    expect(r.client.client_id).toBe(expected);
    expect(r.reasons).toContain(reason);
    expect(r.client.first_visit).toBeUndefined();
    const set = parseSetCookies(r.setCookies);
    expect(set._tr_id!.value).toBe(`TR1.${expected}`);
    expect(set._tr_id!.attrs).toContain('HttpOnly');
  });

  it('creates a new id with first_visit when there is none', () => {
    const r = identifyForTest({ cookies: {}, storage: GRANTED });
    expect(r.client.client_id).toMatch(/^\d{9,10}\.1700000000$/);
    expect(r.client.first_visit).toBe(true);
    expect(r.reasons).toContain('identity.client_id_new');
    const set = parseSetCookies(r.setCookies);
    expect(set._ga!.value).toBe(`GA1.1.${r.client.client_id}`);
    expect(set._ga!.attrs).not.toContain('HttpOnly');
    expect(set._ga!.attrs).toEqual(expect.arrayContaining(['Domain=.example.com', 'Max-Age=34560000', 'Secure', 'SameSite=Lax']));
  });

  it('restores _ga from the server id with the domain level of the cookie domain', () => {
    const r = identifyForTest({ host: 't.example.co.uk', cookies: { _tr_id: 'TR1.222222222.1600000000' }, storage: GRANTED });
    const set = parseSetCookies(r.setCookies);
    expect(set._ga!.value).toBe('GA1.2.222222222.1600000000');
    expect(set._ga!.attrs).toContain('Domain=.example.co.uk');
  });

  it('rewrites an existing _ga unchanged so gtag reads the same value', () => {
    const r = identifyForTest({ cookies: { _ga: 'GA1.2.111111111.1600000000' }, storage: GRANTED });
    expect(parseSetCookies(r.setCookies)._ga!.value).toBe('GA1.2.111111111.1600000000');
  });

  it('does not write _ga for a non-GA client id but still keeps the server id', () => {
    const r = identifyForTest({ client: { client_id: 'c0ffee-42' }, storage: GRANTED });
    const set = parseSetCookies(r.setCookies);
    expect(set._ga).toBeUndefined();
    expect(set._tr_id!.value).toBe('TR1.c0ffee-42');
  });

  it('ignores an event client id with unsafe characters', () => {
    const r = identifyForTest({ client: { client_id: 'a;b' }, cookies: { _ga: 'GA1.1.111111111.1600000000' }, storage: GRANTED });
    expect(r.client.client_id).toBe('111111111.1600000000');
    expect(r.reasons).toContain('identity.client_id_invalid');
  });

  it('writes host-only cookies on localhost and follows a cookie_domain override', () => {
    const local = parseSetCookies(identifyForTest({ host: 'localhost:8080', storage: GRANTED }).setCookies);
    expect(Object.values(local).every((c) => !c.attrs.some((a) => a.startsWith('Domain=')))).toBe(true);
    expect(local._ga!.value).toMatch(/^GA1\.1\./);
    const config = identityConfigSchema.parse({ cookie_domain: 'example.com', secure: false });
    const over = parseSetCookies(identifyForTest({ host: 't.example.com', storage: GRANTED }, config).setCookies);
    expect(over._tr_id!.attrs).toContain('Domain=.example.com');
    expect(over._tr_id!.attrs).not.toContain('Secure');
  });
});

describe('identify: session', () => {
  it('starts, continues and rolls over the session cookie', () => {
    const first = identifyForTest({ storage: GRANTED, pageView: true });
    expect(first.client).toMatchObject({ session_id: '1700000000', session_number: 1, session_start: true, engaged: false });
    const s1 = parseSetCookies(first.setCookies)._tr_s!;
    expect(s1.attrs).toContain('HttpOnly');

    const second = identifyForTest({ storage: GRANTED, pageView: true, now: NOW + 60_000, cookies: { _tr_s: s1.value } });
    expect(second.client).toMatchObject({ session_id: '1700000000', session_number: 1, session_start: false, engaged: true });

    const s2 = parseSetCookies(second.setCookies)._tr_s!.value;
    const third = identifyForTest({ storage: GRANTED, now: NOW + 60_000 + 30 * 60_000, cookies: { _tr_s: s2 } });
    expect(third.client).toMatchObject({ session_id: '1700001860', session_number: 2, session_start: true, engaged: false });
    expect(third.reasons).toContain('identity.session_timeout');
  });

  it('uses a configured timeout', () => {
    const config = identityConfigSchema.parse({ session_timeout: '5m' });
    const first = parseSetCookies(identifyForTest({ storage: GRANTED }, config).setCookies)._tr_s!.value;
    const next = identifyForTest({ storage: GRANTED, now: NOW + 6 * 60_000, cookies: { _tr_s: first } }, config);
    expect(next.client.session_start).toBe(true);
  });

  it("lets gtag's own session fields win and mirrors them into the cookie", () => {
    const r = identifyForTest({
      storage: GRANTED,
      client: { client_id: '333333333.1650000000', session_id: '1699990000', session_number: 7, engaged: true },
      cookies: { _tr_s: '1699000000.2.0.1699000100' },
    });
    expect(r.client).toMatchObject({ session_id: '1699990000', session_number: 7, engaged: true, session_start: true });
    expect(r.reasons).toContain('identity.session_from_event');
    expect(parseSetCookies(r.setCookies)._tr_s!.value).toMatch(/^1699990000\.7\.1\.1700000000\./);
  });
});

describe('identify: Meta ids', () => {
  it('creates _fbp when absent and keeps an existing one', () => {
    const fresh = identifyForTest({ storage: GRANTED });
    expect(fresh.client.fbp).toMatch(/^fb\.1\.1700000000000\.\d{9,10}$/);
    expect(fresh.reasons).toContain('identity.fbp_new');
    expect(parseSetCookies(fresh.setCookies)._fbp!.attrs).toContain('Max-Age=7776000');
    const kept = identifyForTest({ storage: GRANTED, cookies: { _fbp: 'fb.1.1600000000000.123456789' } });
    expect(kept.client.fbp).toBe('fb.1.1600000000000.123456789');
    expect(kept.reasons).not.toContain('identity.fbp_new');
  });

  it.each<[string, Record<string, string>, string | undefined, string | undefined]>([
    ['built from fbclid', {}, 'https://www.example.com/l?utm_source=fb&fbclid=IwAR2F4-dbP0l7Mn1IawQQ', 'fb.1.1700000000000.IwAR2F4-dbP0l7Mn1IawQQ'],
    ['existing kept without fbclid', { _fbc: 'fb.1.1600000000000.Old' }, 'https://www.example.com/', 'fb.1.1600000000000.Old'],
    ['replaced by a new fbclid', { _fbc: 'fb.1.1600000000000.Old' }, 'https://www.example.com/?fbclid=NeW', 'fb.1.1700000000000.NeW'],
    ['same fbclid keeps the original time', { _fbc: 'fb.1.1600000000000.Same' }, 'https://www.example.com/?fbclid=Same', 'fb.1.1600000000000.Same'],
    ['no fbclid, no cookie', {}, 'https://www.example.com/', undefined],
  ])('_fbc %s', (_label, cookies, pageUrl, expected) => {
    const r = identifyForTest({ storage: GRANTED, cookies, pageUrl });
    expect(r.client.fbc).toBe(expected);
    expect(parseSetCookies(r.setCookies)._fbc?.value).toBe(expected);
  });

  it('does not create Meta ids when meta is disabled', () => {
    const r = identifyForTest({ storage: GRANTED, pageUrl: 'https://x.example.com/?fbclid=A' }, identityConfigSchema.parse({ meta: { enabled: false } }));
    expect(r.client.fbp).toBeUndefined();
    expect(r.client.fbc).toBeUndefined();
  });
});
