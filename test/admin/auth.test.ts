import { afterEach, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, esKeys, hsToken, noneToken } from '../helpers/tokens.js';
import type { TagrelayApp } from '../../src/app.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

async function get(path: string, token?: string) {
  const res = await app!.request(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string } } };
}

describe('admin JWT (HS256)', () => {
  const cases: { name: string; token: () => Promise<string | undefined> | string | undefined; status: number }[] = [
    { name: 'valid token with the scope', token: () => hsToken({ scope: 'dlq:read', sub: 'ops' }), status: 200 },
    { name: 'scp array also grants', token: () => hsToken({ scp: ['dlq:read'] }), status: 200 },
    { name: 'missing token', token: () => undefined, status: 401 },
    { name: 'expired token', token: () => hsToken({ scope: 'dlq:read' }, { exp: Math.floor(Date.now() / 1000) - 3600 }), status: 401 },
    { name: 'wrong audience', token: () => hsToken({ scope: 'dlq:read' }, { aud: 'someone-else' }), status: 401 },
    { name: 'wrong issuer', token: () => hsToken({ scope: 'dlq:read' }, { iss: 'evil' }), status: 401 },
    { name: 'forged signature', token: () => hsToken({ scope: 'dlq:read' }, { secret: 'another-secret-that-is-32-bytes-long!!' }), status: 401 },
    { name: 'alg none', token: () => noneToken({ scope: 'dlq:read' }), status: 401 },
    { name: 'garbage', token: () => 'not.a.jwt', status: 401 },
    { name: 'valid token, wrong scope', token: () => hsToken({ scope: 'dsr:read' }), status: 403 },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status}`, async () => {
      app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } }).app;
      const token = await c.token();
      const { status, body } = await get('/admin/v1/dead-letter', token);
      expect(status).toBe(c.status);
      if (status !== 200) {
        expect(body.error!.code).toBe(status === 401 ? 'ERR_UNAUTHORIZED' : 'ERR_FORBIDDEN');
        if (token) expect(body.error!.message).not.toContain(token);
      }
    });
  }

  it('with no key configured, the admin API is closed', async () => {
    app = testApp().app;
    expect((await get('/admin/v1/dead-letter', await hsToken({ scope: 'dlq:read' }))).status).toBe(401);
  });
});

describe('admin JWT (ES256 JWKS)', () => {
  it('accepts a token signed by a JWKS key and refuses an HS256 token made with the public key text', async () => {
    const keys = await esKeys();
    app = testApp({ admin: { jwt: { jwks: keys.jwks } } }).app;
    const good = await new SignJWT({ scope: 'dlq:read' })
      .setProtectedHeader({ alg: 'ES256', kid: keys.kid })
      .setIssuer('tagrelay-admin')
      .setAudience('tagrelay')
      .setExpirationTime('5m')
      .sign(keys.privateKey);
    expect((await get('/admin/v1/dead-letter', good)).status).toBe(200);
    // algorithm confusion: an HMAC token keyed with the public JWKS text
    const confused = await hsToken({ scope: 'dlq:read' }, { secret: keys.jwks });
    expect((await get('/admin/v1/dead-letter', confused)).status).toBe(401);
  });
});
