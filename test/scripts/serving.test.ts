import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFake, type VendorFake } from '../fakes/fake-server.js';
import { clock, testApp } from '../helpers/runtime.js';
import type { ConfigInput } from '../../src/config/schema.js';

/** The upstream: answers every script request with a body naming the id and the current version. */
let upstream: VendorFake;
let version = 1;
beforeAll(async () => {
  upstream = await startFake((req) => ({
    status: 200,
    body: `/* ${req.path} ${req.query.id} v${version} */`,
    headers: { 'content-type': 'application/javascript' },
  }));
});
afterAll(() => upstream.close());

const apps: ReturnType<typeof testApp>['app'][] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.services.close()));
  upstream.received.length = 0;
  version = 1;
});

/** An app on the fake upstream with a hand-moved clock; `settle()` awaits background refreshes. */
function setup(scripts: Partial<NonNullable<ConfigInput['scripts']>> = {}) {
  const now = clock();
  const background: Promise<unknown>[] = [];
  const { app } = testApp(
    { scripts: { upstream: upstream.url, ttl: '15m', stale_while_revalidate: '1h', ...scripts } },
    { now, runtime: { waitUntil: (p) => void background.push(p) } },
  );
  apps.push(app);
  const hits = () => upstream.received.length;
  const settle = () => Promise.all(background.splice(0));
  return { app, now, hits, settle };
}

const MIN = 60_000;

describe('GET /gtag/js and /gtm.js: first-party copies of Google scripts', () => {
  it('fetches on a miss, then serves from the cache with JS headers until the TTL ends', async () => {
    const { app, now, hits } = setup();
    const first = await app.request('/gtag/js?id=G-TEST1234');
    expect(first.status).toBe(200);
    expect(await first.text()).toBe('/* /gtag/js G-TEST1234 v1 */');
    expect(first.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(first.headers.get('cache-control')).toBe('public, max-age=900, stale-while-revalidate=3600');
    expect(first.headers.get('etag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(first.headers.get('x-tagrelay-cache')).toBe('miss');
    expect(upstream.received[0]).toMatchObject({ path: '/gtag/js', query: { id: 'G-TEST1234' } });

    version = 2;
    now.now += 10 * MIN;
    const second = await app.request('/gtag/js?id=G-TEST1234');
    expect(await second.text()).toBe('/* /gtag/js G-TEST1234 v1 */');
    expect(second.headers.get('x-tagrelay-cache')).toBe('hit');
    expect(second.headers.get('etag')).toBe(first.headers.get('etag'));
    // max-age counts down to the copy's expiry.
    expect(second.headers.get('cache-control')).toBe('public, max-age=300, stale-while-revalidate=3600');
    expect(hits()).toBe(1);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const { app } = setup();
    const etag = (await app.request('/gtm.js?id=GTM-ABCD12')).headers.get('etag')!;
    const res = await app.request('/gtm.js?id=GTM-ABCD12', { headers: { 'if-none-match': `W/"other", ${etag}` } });
    expect(res.status).toBe(304);
    expect(await res.text()).toBe('');
    expect(res.headers.get('etag')).toBe(etag);
  });

  it('within stale-while-revalidate serves the old copy at once and refreshes it in the background', async () => {
    const { app, now, hits, settle } = setup();
    await app.request('/gtag/js?id=G-TEST1234');
    version = 2;
    now.now += 20 * MIN;
    const stale = await app.request('/gtag/js?id=G-TEST1234');
    expect(await stale.text()).toBe('/* /gtag/js G-TEST1234 v1 */');
    expect(stale.headers.get('x-tagrelay-cache')).toBe('stale');
    expect(stale.headers.get('cache-control')).toBe('public, max-age=0, stale-while-revalidate=3600');
    await settle();
    expect(hits()).toBe(2);
    const fresh = await app.request('/gtag/js?id=G-TEST1234');
    expect(await fresh.text()).toBe('/* /gtag/js G-TEST1234 v2 */');
    expect(fresh.headers.get('x-tagrelay-cache')).toBe('hit');
    expect(hits()).toBe(2);
  });

  it('past TTL + stale window fetches again before answering', async () => {
    const { app, now, hits } = setup();
    await app.request('/gtag/js?id=G-TEST1234');
    version = 2;
    now.now += 15 * MIN + 60 * MIN;
    const res = await app.request('/gtag/js?id=G-TEST1234');
    expect(await res.text()).toBe('/* /gtag/js G-TEST1234 v2 */');
    expect(res.headers.get('x-tagrelay-cache')).toBe('miss');
    expect(hits()).toBe(2);
  });

  it('when the upstream fails, serves the copy it has even past its window (stale-if-error)', async () => {
    const { app, now, hits } = setup();
    await app.request('/gtag/js?id=G-TEST1234');
    now.now += 3 * 60 * MIN;
    upstream.failNext({ status: 503, body: 'unavailable' });
    const res = await app.request('/gtag/js?id=G-TEST1234');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('/* /gtag/js G-TEST1234 v1 */');
    expect(res.headers.get('x-tagrelay-cache')).toBe('stale-error');
    expect(hits()).toBe(2);
  });

  it('a failed background refresh keeps the stale copy', async () => {
    const { app, now, settle } = setup();
    await app.request('/gtag/js?id=G-TEST1234');
    now.now += 20 * MIN;
    upstream.failNext({ status: 500 });
    expect(await (await app.request('/gtag/js?id=G-TEST1234')).text()).toBe('/* /gtag/js G-TEST1234 v1 */');
    await settle();
    const again = await app.request('/gtag/js?id=G-TEST1234');
    expect(again.status).toBe(200);
    expect(await again.text()).toBe('/* /gtag/js G-TEST1234 v1 */');
    expect(again.headers.get('x-tagrelay-cache')).toBe('stale');
    await settle();
  });

  it('with no copy and a failing upstream answers 502 with a JSON error', async () => {
    const { app } = setup();
    upstream.failNext({ status: 404, body: 'not found' });
    const res = await app.request('/gtag/js?id=G-MISSING1');
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: { code: 'ERR_UPSTREAM_UNAVAILABLE', message: 'the script could not be fetched (scripts.upstream_status:404)' } });
  });

  it('with an unreachable upstream answers 502', async () => {
    const dead = await startFake(() => ({ status: 200 }));
    const url = dead.url;
    await dead.close();
    const { app } = setup({ upstream: url });
    const res = await app.request('/gtm.js?id=GTM-ABCD12');
    expect(res.status).toBe(502);
    expect((await res.json()).error.message).toContain('scripts.upstream_unreachable');
  });

  it('concurrent misses share one upstream request', async () => {
    const { app, hits } = setup();
    upstream.failNext({ status: 200, body: '/* slow */', delayMs: 100 });
    const all = await Promise.all(Array.from({ length: 5 }, () => app.request('/gtag/js?id=G-TEST1234')));
    expect(await Promise.all(all.map((r) => r.text()))).toEqual(Array(5).fill('/* slow */'));
    expect(hits()).toBe(1);
  });

  it('forwards only id and l, and caches per id and dataLayer name', async () => {
    const { app, hits } = setup();
    await app.request('/gtm.js?id=GTM-ABCD12&l=myLayer&gtm_auth=secret&foo=bar');
    expect(upstream.received[0]).toMatchObject({ path: '/gtm.js', query: { id: 'GTM-ABCD12', l: 'myLayer' } });
    expect(Object.keys(upstream.received[0]!.query).sort()).toEqual(['id', 'l']);
    await app.request('/gtm.js?id=GTM-ABCD12');
    await app.request('/gtm.js?id=GTM-ABCD12&l=myLayer');
    expect(hits()).toBe(2);
  });

  it.each([
    ['/gtag/js', ''],
    ['/gtag/js?id=', ''],
    ['/gtag/js?id=g-test1234', 'lower case'],
    ['/gtag/js?id=GTM-ABCD12', 'a GTM id on the gtag path'],
    ['/gtag/js?id=G-TEST1234%3Cscript%3E', 'markup'],
    ['/gtm.js?id=G-TEST1234', 'a gtag id on the gtm path'],
    ['/gtm.js?id=GTM-ABCD12&l=x;alert(1)', 'a dataLayer name that is not an identifier'],
  ])('%s (%s) → 400 without asking the upstream', async (path) => {
    const { app, hits } = setup();
    const res = await app.request(path);
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBe('ERR_INVALID_QUERY');
    expect(hits()).toBe(0);
  });

  it('serves only allowed ids when allowed_ids is set', async () => {
    const { app, hits } = setup({ allowed_ids: ['G-ALLOWED1'] });
    expect((await app.request('/gtag/js?id=G-ALLOWED1')).status).toBe(200);
    const denied = await app.request('/gtag/js?id=G-OTHER123');
    expect(denied.status).toBe(403);
    expect((await denied.json()).error.code).toBe('ERR_FORBIDDEN');
    expect(hits()).toBe(1);
  });
});
