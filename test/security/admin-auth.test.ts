/**
 * Admin token handling beyond test/admin/auth.test.ts: where a token may come from, malformed
 * Authorization headers, and claims jose must refuse.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import { testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import type { TagrelayApp } from '../../src/app.js';

let app: TagrelayApp;
let valid: string;
beforeAll(async () => {
  app = testApp({ admin: { jwt: { secret: ADMIN_SECRET } }, dev_mode: false }).app;
  valid = await hsToken({ scope: 'dlq:read debug:read', sub: 'ops' });
});
afterAll(() => app.services.close());

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await app.request(path, { headers });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, body };
}

const key = new TextEncoder().encode(ADMIN_SECRET);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** HS256-sign any header (jose itself refuses to sign some of the headers tested here). */
const rawHs = (header: object, payload: object) => {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', ADMIN_SECRET).update(input).digest('base64url')}`;
};

describe('the valid token is accepted only as a well-formed Bearer header', () => {
  it('control: the valid token opens the endpoint', async () => {
    expect((await get('/admin/v1/dead-letter', { authorization: `Bearer ${valid}` })).status).toBe(200);
  });

  const places: [string, (t: string) => { path: string; headers: Record<string, string> }][] = [
    ['query ?token=', (t) => ({ path: `/admin/v1/dead-letter?token=${t}`, headers: {} })],
    ['query ?access_token=', (t) => ({ path: `/admin/v1/dead-letter?access_token=${t}`, headers: {} })],
    ['query ?authorization=Bearer', (t) => ({ path: `/admin/v1/dead-letter?authorization=Bearer%20${t}`, headers: {} })],
    ['a cookie', (t) => ({ path: '/admin/v1/dead-letter', headers: { cookie: `token=${t}; access_token=${t}; authorization=Bearer ${t}` } })],
    ['x-access-token header', (t) => ({ path: '/admin/v1/dead-letter', headers: { 'x-access-token': t, 'x-auth-token': t } })],
    ['the raw token without a scheme', (t) => ({ path: '/admin/v1/dead-letter', headers: { authorization: t } })],
    ['Basic scheme', (t) => ({ path: '/admin/v1/dead-letter', headers: { authorization: `Basic ${t}` } })],
    ['Bearer with junk after the token', (t) => ({ path: '/admin/v1/dead-letter', headers: { authorization: `Bearer ${t} junk` } })],
    ['two tokens', (t) => ({ path: '/admin/v1/dead-letter', headers: { authorization: `Bearer ${t}, Bearer ${t}` } })],
    ['Bearer with a tab and junk', (t) => ({ path: '/admin/v1/dead-letter', headers: { authorization: `Bearer\t${t}\tx` } })],
    ['token split by a space', (t) => ({ path: '/admin/v1/dead-letter', headers: { authorization: `Bearer ${t.slice(0, 20)} ${t.slice(20)}` } })],
    ['x-forwarded-authorization header', (t) => ({ path: '/admin/v1/dead-letter', headers: { 'x-forwarded-authorization': `Bearer ${t}` } })],
  ];
  for (const [name, where] of places) {
    it(`a valid token in ${name} is ignored → 401`, async () => {
      const { path, headers } = where(valid);
      const { status, body } = await get(path, headers);
      expect(status).toBe(401);
      expect(body.error!.code).toBe('ERR_UNAUTHORIZED');
      expect(body.error!.message).not.toContain(valid);
    });
  }

  it('leading and trailing whitespace is trimmed by HTTP, so the token still works (not a bypass: it is the same token)', async () => {
    expect((await get('/admin/v1/dead-letter', { authorization: `  Bearer ${valid}  ` })).status).toBe(200);
  });

  it.each([1_000, 100_000, 1_000_000])('a %i-character Authorization header is a plain 401, its text never echoed', async (n) => {
    const token = `${'A'.repeat(n)}.${'B'.repeat(16)}.${'C'.repeat(16)}`;
    const { status, body } = await get('/admin/v1/dead-letter', { authorization: `Bearer ${token}` });
    expect(status).toBe(401);
    expect(body.error!.code).toBe('ERR_UNAUTHORIZED');
    expect(body.error!.message.length).toBeLessThan(200);
  });
});

describe('claims and headers jose must refuse', () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string> | string][] = [
    ['no exp claim', () => new SignJWT({ scope: 'dlq:read' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('tagrelay-admin').setAudience('tagrelay').sign(key)],
    ['nbf in the future (beyond the clock tolerance)', () => hsToken({ scope: 'dlq:read', nbf: now + 3600 })],
    ['HS512 with the right secret (algorithm not pinned)', () => new SignJWT({ scope: 'dlq:read' }).setProtectedHeader({ alg: 'HS512' }).setIssuer('tagrelay-admin').setAudience('tagrelay').setExpirationTime('5m').sign(new TextEncoder().encode(ADMIN_SECRET.repeat(2)))],
    ['an unknown critical header', () => rawHs({ alg: 'HS256', crit: ['x-tagrelay'], 'x-tagrelay': 1 }, { scope: 'dlq:read', iss: 'tagrelay-admin', aud: 'tagrelay', exp: now + 300 })],
    ['alg "None" (capitalised) with an empty signature', () => `${b64({ alg: 'None' })}.${b64({ scope: 'dlq:read', iss: 'tagrelay-admin', aud: 'tagrelay', exp: now + 300 })}.`],
    ['alg "NONE" with the valid signature of another token', async () => `${b64({ alg: 'NONE' })}.${b64({ scope: 'dlq:read', iss: 'tagrelay-admin', aud: 'tagrelay', exp: now + 300 })}.${valid.split('.')[2]}`],
    ['a valid header and signature with a swapped payload (scope escalation)', async () => {
      const weak = await hsToken({ scope: 'dsr:read' });
      const [h, , s] = weak.split('.');
      return `${h}.${b64({ scope: 'dlq:read', iss: 'tagrelay-admin', aud: 'tagrelay', exp: now + 300 })}.${s}`;
    }],
    ['an audience array that does not contain ours', () => hsToken({ scope: 'dlq:read' }, { aud: 'tagrelay-other' })],
    ['an issuer that only starts like ours', () => hsToken({ scope: 'dlq:read' }, { iss: 'tagrelay-admin.evil' })],
    ['exp as a string', () => new SignJWT({ scope: 'dlq:read', exp: String(now + 300) } as never).setProtectedHeader({ alg: 'HS256' }).setIssuer('tagrelay-admin').setAudience('tagrelay').sign(key)],
  ];
  for (const [name, make] of cases) {
    it(`${name} → 401`, async () => {
      const token = await make();
      const { status, body } = await get('/admin/v1/dead-letter', { authorization: `Bearer ${token}` });
      expect(status).toBe(401);
      expect(body.error!.code).toBe('ERR_UNAUTHORIZED');
    });
  }

  it('control: the raw signer makes tokens the server accepts, so the refusals above are about the claim', async () => {
    const token = rawHs({ alg: 'HS256' }, { scope: 'dlq:read', iss: 'tagrelay-admin', aud: 'tagrelay', exp: now + 300 });
    expect((await get('/admin/v1/dead-letter', { authorization: `Bearer ${token}` })).status).toBe(200);
  });

  it('a scope that only contains ours as a substring grants nothing (403)', async () => {
    const token = await hsToken({ scope: 'dlq:readonly xdlq:read', scp: ['dlq:read:all'] });
    expect((await get('/admin/v1/dead-letter', { authorization: `Bearer ${token}` })).status).toBe(403);
  });

  it('with dev_mode off, /v1/explain needs a token too', async () => {
    const res = await app.request('/v1/explain', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"page_view"}' });
    expect(res.status).toBe(401);
    const ok = await app.request('/v1/explain', { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${valid}` }, body: '{"name":"page_view"}' });
    expect(ok.status).toBe(200);
  });
});
