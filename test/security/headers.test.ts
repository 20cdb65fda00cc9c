/**
 * Response headers under hostile input: CORS only for configured origins, no header or cookie
 * attribute injection through ids, and a cookie Domain that never leaves the Host's own domain.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { testApp } from '../helpers/runtime.js';
import { cookieProblems, domainMatches } from '../fuzz/oracle.js';
import { cookieDomain } from '../../src/identity/cookies.js';
import { configSchema } from '../../src/config/schema.js';
import type { TagrelayApp } from '../../src/app.js';

const ORIGIN = 'https://www.example.com';
const apps: TagrelayApp[] = [];
function app(input: Parameters<typeof testApp>[0] = {}): TagrelayApp {
  const a = testApp({ server: { cors_origins: [ORIGIN] }, ...input }).app;
  apps.push(a);
  return a;
}
afterAll(() => Promise.all(apps.map((a) => a.services.close())));

const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };

describe('CORS: only configured origins, with credentials', () => {
  const a = app();
  const preflight = (origin: string, path = '/v1/events') =>
    a.request(path, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' } });
  const actual = (origin: string) => a.request('/v1/events', { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'page_view' }) });

  it('the configured origin is echoed, with credentials and Vary: Origin (preflight and actual)', async () => {
    for (const res of [await preflight(ORIGIN), await actual(ORIGIN)]) {
      expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
  });

  const hostile = [
    'null',
    'https://www.example.com.evil.com',
    'https://evil.com',
    'https://evilwww.example.com',
    'http://www.example.com',
    'https://www.example.com:8443',
    'https://WWW.EXAMPLE.COM',
    'https://www.example.com/',
    'https://www.example.com%60.evil.com',
    '*',
    '',
  ];
  for (const origin of hostile) {
    it(`origin ${JSON.stringify(origin)} gets no Access-Control-Allow-Origin (preflight and actual)`, async () => {
      for (const res of [await preflight(origin), await actual(origin)]) {
        expect(res.headers.get('access-control-allow-origin')).toBeNull();
      }
    });
  }

  it('the gtag endpoint follows the same rule', async () => {
    expect((await preflight(ORIGIN, '/g/collect')).headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await preflight('https://www.example.com.evil.com', '/g/collect')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the admin API answers no CORS at all, even to the configured origin', async () => {
    const res = await preflight(ORIGIN, '/admin/v1/dead-letter');
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('with no configured origin, no route answers CORS', async () => {
    const closed = testApp().app;
    apps.push(closed);
    const res = await closed.request('/v1/events', { method: 'OPTIONS', headers: { origin: ORIGIN, 'access-control-request-method': 'POST' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('no header or attribute injection through ids that end up in Set-Cookie', () => {
  const a = app();
  const hits: [string, string][] = [
    ['cid with CR/LF', 'cid=1.2%0D%0ASet-Cookie:%20pwned=1'],
    ['cid with ; Domain', 'cid=123.456;%20Domain=evil.com'],
    ['fbclid with encoded CR/LF', `dl=${encodeURIComponent('https://www.example.com/?fbclid=abc%0D%0ASet-Cookie%3A%20pwned%3D1')}`],
    ['fbclid with raw ; and spaces', `dl=${encodeURIComponent('https://www.example.com/?fbclid=abc; Domain=evil.com; x')}`],
    ['fbclid with non-ASCII', `dl=${encodeURIComponent('https://www.example.com/?fbclid=é😀\u0000')}`],
    ['sid with attributes', 'sid=1;%20Max-Age=99999999&sct=1'],
  ];
  for (const [name, query] of hits) {
    it(`${name}: every Set-Cookie stays one well-formed cookie on the Host's domain`, async () => {
      const res = await a.request(`/g/collect?v=2&en=page_view&gcs=G111&${query}`, { headers: { host: 't.example.com' } });
      expect(res.status).toBe(204);
      const cookies = res.headers.getSetCookie();
      expect(cookies.length).toBeGreaterThan(0);
      expect(cookieProblems(res, 't.example.com')).toEqual([]);
      for (const c of cookies) {
        const [pair, ...attributes] = c.split('; ');
        // A hostile value may stay in the cookie's value, percent-encoded; it must never become a name or an attribute.
        expect(pair!.split('=')[0]).toMatch(/^(_ga|_tr_id|_tr_s|_fbp|_fbc)$/);
        expect(attributes.map((x) => x.split('=')[0])).toEqual(expect.arrayContaining(['Path', 'SameSite']));
        for (const attr of attributes) expect(attr).toMatch(/^(Max-Age=\d+|Domain=\.example\.com|Path=\/|HttpOnly|Secure|SameSite=Lax)$/);
      }
      expect(res.headers.get('pwned')).toBeNull();
    });
  }

  it('native events: client ids and cookies with hostile bytes never break the cookie syntax', async () => {
    const res = await a.request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', host: 't.example.com', cookie: '_ga=GA1.1.1.2;x; _fbc=fb.1.1700000000000.a"b\\c; _tr_s=1;Domain=evil.com' },
      body: JSON.stringify({ name: 'page_view', client: { client_id: '1.2\r\nSet-Cookie: pwned=1', session_id: '1\r\n' }, page: { url: 'https://www.example.com/?fbclid=x%0d%0ay' }, consent: GRANTED }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.getSetCookie().length).toBeGreaterThan(0);
    expect(cookieProblems(res, 't.example.com')).toEqual([]);
    for (const c of res.headers.getSetCookie()) {
      for (const attr of c.split('; ').slice(1)) expect(attr).toMatch(/^(Max-Age=\d+|Domain=\.example\.com|Path=\/|HttpOnly|Secure|SameSite=Lax)$/);
    }
  });
});

describe('the cookie Domain comes from the Host, never beyond it', () => {
  // [Host header, expected Domain attribute]; undefined → host-only cookie (no Domain attribute).
  const table: [string, string | undefined][] = [
    ['t.example.com', '.example.com'],
    ['T.Example.COM:443', '.example.com'],
    ['evil.com', '.evil.com'],
    ['t.example.com.evil.com', '.evil.com'],
    ['a.example.com:80@evil', '.example.com'],
    ['evil.com:80@t.example.com', '.evil.com'],
    ['user@evil.com', undefined],
    ['evil.com#.example.com', undefined],
    ['evil.com?x=.example.com', undefined],
    ['t.example.com/..', undefined],
    ['evil.com\\.example.com', undefined],
    ['exa_mple.com', undefined],
    ['co.uk', undefined],
    ['github.io', undefined],
    ['me.github.io', '.me.github.io'],
    ['127.0.0.1:8080', undefined],
    ['[::1]:8080', undefined],
    ['localhost', undefined],
  ];
  for (const [host, expected] of table) {
    it(`Host ${JSON.stringify(host)} → ${expected ?? 'host-only'}`, () => {
      const domain = cookieDomain(host);
      expect(domain).toBe(expected);
      if (domain) expect(domainMatches(domain, host)).toBe(true);
    });
  }

  it('identity.cookie_domains pins production to its own domains: any other Host gets host-only cookies', () => {
    const allowed = configSchema.parse({ identity: { cookie_domains: ['Example.com', '.example.co.uk'] } }).identity.cookie_domains;
    expect(allowed).toEqual(['example.com', 'example.co.uk']);
    expect(cookieDomain('t.example.com', 'auto', allowed)).toBe('.example.com');
    expect(cookieDomain('t.example.co.uk', 'auto', allowed)).toBe('.example.co.uk');
    expect(cookieDomain('evil.com', 'auto', allowed)).toBeUndefined();
    expect(cookieDomain('example.com.evil.com', 'auto', allowed)).toBeUndefined();
  });

  it('identity.cookie_domains refuses entries that are not domains', () => {
    expect(configSchema.safeParse({ identity: { cookie_domains: ['example.com; Secure'] } }).success).toBe(false);
    expect(configSchema.safeParse({ identity: { cookie_domains: ['com'] } }).success).toBe(false);
  });

  it('end to end: a hostile Host gets no Domain attribute with the allow-list, and never a 5xx without it', async () => {
    const pinned = app({ identity: { cookie_domains: ['example.com'] } });
    const open = app();
    for (const host of ['evil.com', 'exa_mple.com', 'user@evil.com', 't.example.com']) {
      const body = JSON.stringify({ name: 'page_view', consent: GRANTED });
      const init = { method: 'POST', headers: { 'content-type': 'application/json', host }, body };
      const p = await pinned.request('/v1/events', init);
      const o = await open.request('/v1/events', init);
      expect([p.status, o.status]).toEqual([202, 202]);
      const domains = p.headers.getSetCookie().map((c) => /; Domain=([^;]*)/.exec(c)?.[1]);
      expect(domains.length).toBeGreaterThan(0);
      expect(new Set(domains)).toEqual(new Set([host === 't.example.com' ? '.example.com' : undefined]));
      expect(cookieProblems(o, host)).toEqual([]);
    }
  });

  it('the consent endpoint follows the same rule for its receipt cookie', async () => {
    const pinned = app({ identity: { cookie_domains: ['example.com'] } });
    const res = await pinned.request('/v1/consent', { method: 'POST', headers: { 'content-type': 'application/json', host: 'evil.com' }, body: JSON.stringify({ consent: { analytics_storage: 'granted' } }) });
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies.some((c) => c.startsWith('tr_consent='))).toBe(true);
    for (const c of cookies) expect(c).not.toMatch(/Domain=/);
  });
});
