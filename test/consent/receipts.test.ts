import { exportPKCS8, generateKeyPair, SignJWT, base64url } from 'jose';
import { describe, expect, it } from 'vitest';
import { TagrelayError } from '../../src/errors.js';
import { generateSigningKey, importSigningKey, signReceipt, verifyReceipt, type ReceiptClaims } from '../../src/consent/receipts.js';

const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
const DAY = 86_400_000;
const claims: ReceiptClaims = {
  client_id: '1234567890.1700000000',
  state: { analytics_storage: 'granted', ad_storage: 'denied', ad_user_data: 'denied' },
  source: 'banner',
  policy_version: '2024-06',
  region: 'DE',
};

async function newKey() {
  return importSigningKey(JSON.stringify((await generateSigningKey()).privateJwk));
}

function b64json(value: unknown): string {
  return base64url.encode(JSON.stringify(value));
}

describe('receipt keys', () => {
  it('generates an ES256 private JWK', async () => {
    const { privateJwk } = await generateSigningKey();
    expect(privateJwk).toMatchObject({ kty: 'EC', crv: 'P-256' });
    expect(typeof privateJwk.d).toBe('string');
  });

  it('imports JWK JSON and PKCS#8 PEM to the same public key', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(pair.privateKey);
    const fromPem = await importSigningKey(pem);
    const { exportJWK } = await import('jose');
    const fromJwk = await importSigningKey(JSON.stringify(await exportJWK(pair.privateKey)));
    expect(fromPem.publicJwk).toEqual(fromJwk.publicJwk);
    expect(fromPem.kid).toBe(fromJwk.kid);
    expect(fromPem.publicJwk).not.toHaveProperty('d');
  });

  it.each([
    ['not a key', 'hello'],
    ['public JWK only', JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' })],
    ['RSA JWK', JSON.stringify({ kty: 'RSA', n: 'x', e: 'AQAB', d: 'y' })],
    ['broken JSON', '{"kty":'],
    ['broken PEM', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----'],
  ])('rejects %s with ERR_CONFIG and no key material', async (_name, input) => {
    const err = await importSigningKey(input).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TagrelayError);
    expect((err as TagrelayError).code).toBe('ERR_CONFIG');
    expect((err as TagrelayError).message).not.toContain(input.slice(0, 12));
  });
});

describe('signReceipt / verifyReceipt', () => {
  it('round-trips the claims', async () => {
    const key = await newKey();
    const token = await signReceipt(claims, key, { now: NOW, ttlMs: 395 * DAY });
    expect(token.split('.')).toHaveLength(3);
    const out = await verifyReceipt(token, key, NOW + DAY);
    expect(out).toEqual({ ok: true, ...claims, issued_at: NOW, expires_at: NOW + 395 * DAY });
  });

  it('verifies with the bare public CryptoKey', async () => {
    const key = await newKey();
    const token = await signReceipt(claims, key, { now: NOW, ttlMs: DAY });
    expect((await verifyReceipt(token, key.publicKey, NOW)).ok).toBe(true);
  });

  it('expired → invalid', async () => {
    const key = await newKey();
    const token = await signReceipt(claims, key, { now: NOW, ttlMs: DAY });
    expect(await verifyReceipt(token, key, NOW + DAY + 1000)).toEqual({ ok: false, reason: 'consent.receipt_invalid' });
  });

  it('issued in the future → invalid', async () => {
    const key = await newKey();
    const token = await signReceipt(claims, key, { now: NOW + DAY, ttlMs: DAY });
    expect((await verifyReceipt(token, key, NOW)).ok).toBe(false);
  });

  it('signed by another key → invalid', async () => {
    const token = await signReceipt(claims, await newKey(), { now: NOW, ttlMs: DAY });
    expect((await verifyReceipt(token, await newKey(), NOW)).ok).toBe(false);
  });

  it('tampered payload → invalid', async () => {
    const key = await newKey();
    const [header, payload, sig] = (await signReceipt(claims, key, { now: NOW, ttlMs: DAY })).split('.');
    const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload!)));
    decoded.state.ad_storage = 'granted';
    const forged = `${header}.${b64json(decoded)}.${sig}`;
    expect(await verifyReceipt(forged, key, NOW)).toEqual({ ok: false, reason: 'consent.receipt_invalid' });
  });

  it('alg none → invalid', async () => {
    const key = await newKey();
    const payload = { ...claims, state: { ad_storage: 'granted' }, iat: NOW / 1000, exp: NOW / 1000 + 3600 };
    const unsigned = `${b64json({ alg: 'none', typ: 'JWT' })}.${b64json(payload)}.`;
    expect((await verifyReceipt(unsigned, key, NOW)).ok).toBe(false);
  });

  it('HS256 (algorithm confusion) → invalid', async () => {
    const key = await newKey();
    const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 3600).sign(secret);
    expect((await verifyReceipt(token, key, NOW)).ok).toBe(false);
  });

  it.each([
    ['unknown purpose in state', { ...claims, state: { tracking: 'granted' } }],
    ['bad value in state', { ...claims, state: { ad_storage: 'yes' } }],
    ['state not an object', { ...claims, state: 'granted' }],
    ['missing client_id', { ...claims, client_id: undefined }],
  ])('validly signed but malformed claims (%s) → invalid', async (_name, body) => {
    const key = await newKey();
    const token = await new SignJWT(body as never).setProtectedHeader({ alg: 'ES256' }).setIssuedAt(NOW / 1000).setExpirationTime(NOW / 1000 + 3600).sign(key.privateKey);
    expect((await verifyReceipt(token, key, NOW)).ok).toBe(false);
  });

  it('without exp → invalid', async () => {
    const key = await newKey();
    const token = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt(NOW / 1000).sign(key.privateKey);
    expect((await verifyReceipt(token, key, NOW)).ok).toBe(false);
  });

  it.each(['', 'garbage', 'a.b.c', 'a.b'])('malformed token %j → invalid, no throw', async (token) => {
    expect(await verifyReceipt(token, await newKey(), NOW)).toEqual({ ok: false, reason: 'consent.receipt_invalid' });
  });
});
