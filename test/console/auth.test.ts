import { afterEach, describe, expect, it } from 'vitest';
import { clock, testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import type { TagrelayApp } from '../../src/app.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** Log in with a token; the session cookie (name=value) and its Set-Cookie header. */
async function login(a: TagrelayApp, token: string) {
  const res = await a.request('/admin/ui/login', { method: 'POST', headers: FORM, body: form({ token }) });
  const setCookie = res.headers.get('set-cookie') ?? '';
  return { res, setCookie, cookie: setCookie.split(';')[0]! };
}

/** The CSRF token a page embeds. */
async function csrfOf(a: TagrelayApp, cookie: string, path = '/admin/ui/delivery') {
  const html = await (await a.request(path, { headers: { cookie } })).text();
  return /name="_csrf" value="([0-9a-f]+)"/.exec(html)![1]!;
}

describe('console access', () => {
  it('without a session cookie there is no data: pages redirect to the login page, actions get 401', async () => {
    app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } }).app;
    for (const path of ['/admin/ui/overview', '/admin/ui/data-flow', '/admin/ui/data-flow.csv', '/admin/ui/consent', '/admin/ui/delivery', '/admin/ui/live', '/admin/ui/reports']) {
      const res = await app.request(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(`/admin/ui/login?reason=missing&next=${encodeURIComponent(path)}`);
      expect(await res.text()).toBe('');
    }
    const replay = await app.request('/admin/ui/delivery/replay', { method: 'POST', headers: FORM, body: form({ ids: '1' }) });
    expect(replay.status).toBe(401);
    // A forged cookie is no session either.
    const forged = await app.request('/admin/ui/overview', { headers: { cookie: 'tr_console=v1.eyJzdWIiOiJ4In0.' + '0'.repeat(64) } });
    expect(forged.headers.get('location')).toMatch(/reason=invalid/);
  });

  it('login sets a short-lived signed HttpOnly SameSite=Strict cookie scoped to /admin/ui; logout needs the CSRF token', async () => {
    const now = clock(Date.now());
    app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } }, { now }).app;
    const { res, setCookie, cookie } = await login(app, await hsToken({ sub: 'dpo@example.com', scope: 'debug:read dsr:read' }, { exp: '8h' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/ui');
    expect(setCookie).toMatch(/^tr_console=v1\.[A-Za-z0-9_-]+\.[0-9a-f]{64}; Max-Age=3600; Path=\/admin\/ui; HttpOnly; SameSite=Strict$/);
    // The token itself is not in the cookie.
    expect(setCookie).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    const home = await app.request('/admin/ui', { headers: { cookie } });
    expect(home.headers.get('location')).toBe('/admin/ui/overview');
    const overview = await app.request('/admin/ui/overview', { headers: { cookie } });
    expect(overview.status).toBe(200);
    expect(overview.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(overview.headers.get('cache-control')).toBe('no-store');
    const csrf = await csrfOf(app, cookie, '/admin/ui/overview');
    expect((await app.request('/admin/ui/logout', { method: 'POST', headers: { ...FORM, cookie }, body: '' })).status).toBe(403);
    const out = await app.request('/admin/ui/logout', { method: 'POST', headers: { ...FORM, cookie }, body: form({ _csrf: csrf }) });
    expect(out.status).toBe(303);
    expect(out.headers.get('set-cookie')).toMatch(/^tr_console=; Max-Age=0; Path=\/admin\/ui/);
  });

  it('refuses bad tokens at login, and tokens without any console scope', async () => {
    app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } }).app;
    const bad = await login(app, await hsToken({ scope: 'debug:read' }, { secret: 'another-secret-that-is-32-bytes-long!!' }));
    expect(bad.res.status).toBe(401);
    expect(bad.setCookie).toBe('');
    expect(await bad.res.text()).toContain('invalid token (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)');
    const none = await login(app, await hsToken({ scope: 'reports:fly' }));
    expect(none.res.status).toBe(403);
    expect(none.setCookie).toBe('');
    const cross = await app.request('/admin/ui/login', { method: 'POST', headers: { ...FORM, origin: 'https://evil.example' }, body: form({ token: await hsToken({ scope: 'debug:read' }) }) });
    expect(cross.status).toBe(403);
  });

  it('an expired session (never longer than the token) sends back to the login page', async () => {
    const now = clock(Date.now());
    app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } }, { now }).app;
    const { setCookie, cookie } = await login(app, await hsToken({ scope: 'debug:read' }, { exp: '2m' }));
    expect(setCookie).toMatch(/Max-Age=1[12]\d;/);
    expect((await app.request('/admin/ui/overview', { headers: { cookie } })).status).toBe(200);
    now.now += 121_000;
    const res = await app.request('/admin/ui/overview', { headers: { cookie } });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/admin\/ui\/login\?reason=expired/);
  });

  it('each view checks its scope; replay and purge need their write scope and the CSRF token', async () => {
    const now = clock(Date.now());
    app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } }, { now }).app;
    const reader = (await login(app, await hsToken({ scope: 'debug:read' }))).cookie;
    for (const path of ['/admin/ui/data-flow', '/admin/ui/consent', '/admin/ui/delivery', '/admin/ui/reports']) {
      const res = await app.request(path, { headers: { cookie: reader } });
      expect(res.status, path).toBe(403);
      expect(await res.text()).toMatch(/data-error-code="ERR_FORBIDDEN">the session lacks scope (dsr|dlq|reports):read/);
    }
    const dlqReader = (await login(app, await hsToken({ scope: 'dlq:read' }))).cookie;
    const csrf = await csrfOf(app, dlqReader);
    const denied = await app.request('/admin/ui/delivery/replay', { method: 'POST', headers: { ...FORM, cookie: dlqReader }, body: form({ _csrf: csrf, ids: '1' }) });
    expect(denied.status).toBe(403);

    const writer = (await login(app, await hsToken({ scope: 'dlq:read dlq:write dsr:read dsr:write' }))).cookie;
    const writerCsrf = await csrfOf(app, writer);
    const missing = await app.request('/admin/ui/delivery/replay', { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ ids: '1' }) });
    expect(missing.status).toBe(403);
    expect(await missing.text()).toContain('missing or invalid CSRF token');
    // Another session's CSRF token does not fit this session.
    const foreign = await app.request('/admin/ui/delivery/replay', { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ _csrf: csrf, ids: '1' }) });
    expect(foreign.status).toBe(403);
    const ok = await app.request('/admin/ui/delivery/replay', { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ _csrf: writerCsrf, ids: '1' }) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('data-replayed="0"');
    const purgeNoCsrf = await app.request('/admin/ui/retention/purge', { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ dry_run: 'true' }) });
    expect(purgeNoCsrf.status).toBe(403);
    const purge = await app.request('/admin/ui/retention/purge', { method: 'POST', headers: { ...FORM, cookie: writer }, body: form({ dry_run: 'true', _csrf: writerCsrf }) });
    expect(purge.status).toBe(200);
    expect(await purge.text()).toContain('data-purge="dry-run"');
  });

  it('with no admin key configured nobody logs in', async () => {
    app = testApp({}).app;
    const res = await login(app, await hsToken({ scope: 'debug:read' }));
    expect(res.res.status).toBe(401);
    expect(res.setCookie).toBe('');
  });
});
