import { describe, expect, it } from 'vitest';
import { cookieDomain, hostnameOf, MAX_COOKIE_AGE_SEC, parseCookies, safeCookieValue, serializeCookie } from '../../src/identity/cookies.js';
import { TagrelayError } from '../../src/errors.js';

describe('parseCookies', () => {
  it.each([
    ['', {}],
    ['_ga=GA1.1.123.456', { _ga: 'GA1.1.123.456' }],
    ['a=1; b=2;c=3', { a: '1', b: '2', c: '3' }],
    ['a=1; a=2', { a: '1' }],
    ['q="quoted"', { q: 'quoted' }],
    ['noval; =x; ok=1', { ok: '1' }],
    ['_fbc=fb.1.1700000000000.AbC%2Fx==', { _fbc: 'fb.1.1700000000000.AbC%2Fx==' }],
    ['bad name=1; good=2', { good: '2' }],
  ])('%j', (header, expected) => {
    expect(parseCookies(header)).toEqual(expected);
  });

  it('does not let a cookie named __proto__ pollute the result', () => {
    const out = parseCookies('__proto__=x; a=1');
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(out.a).toBe('1');
  });
});

describe('hostnameOf', () => {
  it.each([
    ['t.example.com:8443', 't.example.com'],
    ['T.EXAMPLE.COM', 't.example.com'],
    ['[::1]:8080', '::1'],
    ['[2001:db8::1]', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
  ])('%s → %s', (host, expected) => expect(hostnameOf(host)).toBe(expected));
});

describe('cookieDomain', () => {
  it.each<[string, string | undefined, string | undefined]>([
    ['t.example.com', undefined, '.example.com'],
    ['example.com', undefined, '.example.com'],
    ['t.example.com:8443', undefined, '.example.com'],
    ['t.example.co.uk', undefined, '.example.co.uk'],
    ['a.b.shop.example.com.au', undefined, '.example.com.au'],
    ['t.example.co.jp', undefined, '.example.co.jp'],
    ['a.foo.github.io', undefined, '.foo.github.io'],
    ['co.uk', undefined, undefined],
    ['localhost', undefined, undefined],
    ['localhost:3000', undefined, undefined],
    ['app.localhost', undefined, undefined],
    ['127.0.0.1', undefined, undefined],
    ['192.168.1.10:8080', undefined, undefined],
    ['[::1]:8080', undefined, undefined],
    ['[2001:db8::1]', undefined, undefined],
    ['intranet', undefined, undefined],
    ['t.example.com', 'auto', '.example.com'],
    ['t.example.com', 'none', undefined],
    ['t.example.com', 'Example.com', '.example.com'],
    ['t.example.com', '.shop.example.com', '.shop.example.com'],
  ])('%s (override %s) → %s', (host, override, expected) => {
    expect(cookieDomain(host, override)).toBe(expected);
  });

  it('rejects an override that is not a domain name', () => {
    expect(() => cookieDomain('t.example.com', 'example.com; Secure')).toThrow(TagrelayError);
  });
});

describe('serializeCookie', () => {
  it('writes every attribute', () => {
    expect(
      serializeCookie('_tr_id', 'TR1.1.2', { domain: '.example.co.uk', maxAgeSec: 3600, httpOnly: true, secure: true, sameSite: 'Lax' }),
    ).toBe('_tr_id=TR1.1.2; Max-Age=3600; Domain=.example.co.uk; Path=/; HttpOnly; Secure; SameSite=Lax');
  });

  it('omits Domain for host-only cookies and defaults to SameSite=Lax', () => {
    expect(serializeCookie('_ga', 'GA1.1.1.2', { maxAgeSec: 10 })).toBe('_ga=GA1.1.1.2; Max-Age=10; Path=/; SameSite=Lax');
  });

  it.each([
    [3600, 3600],
    [MAX_COOKIE_AGE_SEC, MAX_COOKIE_AGE_SEC],
    [2 * 365 * 86_400, MAX_COOKIE_AGE_SEC],
    [-5, 0],
    [12.9, 12],
  ])('caps Max-Age %d at %d', (input, expected) => {
    expect(serializeCookie('a', 'b', { maxAgeSec: input })).toContain(`Max-Age=${expected};`);
  });

  it('adds Secure whenever SameSite=None', () => {
    expect(serializeCookie('a', 'b', { sameSite: 'None' })).toBe('a=b; Path=/; Secure; SameSite=None');
  });

  it.each([
    ['a\r\nSet-Cookie: evil=1', 'a%0D%0ASet-Cookie:%20evil=1'],
    ['x; Domain=evil.com', 'x%3B%20Domain=evil.com'],
    ['quote"back\\slash,comma', 'quote%22back%5Cslash%2Ccomma'],
    ['naïve', 'na%C3%AFve'],
    ['fb.1.1700000000000.IwAR2F4-dbP0l7', 'fb.1.1700000000000.IwAR2F4-dbP0l7'],
  ])('neutralizes %j', (value, expected) => {
    expect(safeCookieValue(value)).toBe(expected);
    const header = serializeCookie('v', value);
    expect(header).toBe(`v=${expected}; Path=/; SameSite=Lax`);
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.split(';')[0]).toBe(`v=${expected}`);
  });

  it.each([['bad name'], ['a;b'], ['a\nb'], ['']])('rejects cookie name %j', (name) => {
    expect(() => serializeCookie(name, 'v')).toThrow(TagrelayError);
  });

  it('rejects a domain with an injected attribute', () => {
    expect(() => serializeCookie('a', 'b', { domain: '.example.com; HttpOnly' })).toThrow(TagrelayError);
  });
});
