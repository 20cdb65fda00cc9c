/**
 * @module Consent receipts: the visitor's choice, signed (ES256 compact JWS) so the cookie cannot be forged or altered.
 *
 * jose runs on Web Crypto everywhere (Node ≥ 20, Bun, Workers, Deno), so this stays in the core.
 */
import type { JWK } from 'jose';
import { TagrelayError } from '../errors.js';
import { PURPOSES, type ConsentValue, type Purpose } from './purposes.js';

const ALG = 'ES256';

/** jose is imported on the first receipt operation, not at start: many configs never sign or verify one. */
let joseModule: Promise<typeof import('../jose.js')> | undefined;
const jose = () => (joseModule ??= import('../jose.js'));

/** A receipt key pair, ready to sign and verify. */
export interface ReceiptKey {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public half, for publishing (JWKS) or verifying elsewhere. */
  publicJwk: JWK;
  /** RFC 7638 thumbprint of the public key; set as `kid` so keys can rotate. */
  kid: string;
}

/** What a receipt records. */
export interface ReceiptClaims {
  client_id: string;
  /** The purposes the visitor decided. */
  state: Partial<Record<Purpose, ConsentValue>>;
  /** Where the choice came from (`banner`, `api`, …). */
  source: string;
  policy_version: string;
  region: string;
}

/** Outcome of {@link verifyReceipt}. Any failure is the one code `consent.receipt_invalid`. */
export type ReceiptVerification =
  | ({ ok: true; issued_at: number; expires_at: number } & ReceiptClaims)
  | { ok: false; reason: 'consent.receipt_invalid' };

function configError(): TagrelayError {
  return new TagrelayError('ERR_CONFIG', 'consent.receipts.signing_key is not an ES256 (P-256) private key as JWK JSON or PKCS#8 PEM', {
    field: 'consent.receipts.signing_key',
  });
}

async function fromPrivateJwk(jwk: JWK): Promise<ReceiptKey> {
  if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.d !== 'string') throw configError();
  const publicJwk: JWK = { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y };
  const { calculateJwkThumbprint, importJWK } = await jose();
  const [privateKey, publicKey] = await Promise.all([importJWK(jwk, ALG), importJWK(publicJwk, ALG)]);
  return {
    privateKey: privateKey as CryptoKey,
    publicKey: publicKey as CryptoKey,
    publicJwk,
    kid: await calculateJwkThumbprint(publicJwk),
  };
}

/**
 * Import the receipt signing key from config: an ES256 private key as JWK JSON or PKCS#8 PEM.
 * Throws `ERR_CONFIG` (without any key material in the message) when it is neither.
 */
export async function importSigningKey(jwkJsonOrPem: string): Promise<ReceiptKey> {
  const text = jwkJsonOrPem.trim();
  try {
    if (text.startsWith('{')) return await fromPrivateJwk(JSON.parse(text) as JWK);
    if (text.startsWith('-----BEGIN PRIVATE KEY-----')) {
      const { exportJWK, importPKCS8 } = await jose();
      const key = await importPKCS8(text, ALG, { extractable: true });
      return await fromPrivateJwk(await exportJWK(key));
    }
  } catch (err) {
    if (err instanceof TagrelayError) throw err;
    throw configError();
  }
  throw configError();
}

/** Generate a new ES256 key pair (for dev mode, or for an operator to put into config). */
export async function generateSigningKey(): Promise<{ privateJwk: JWK }> {
  const { exportJWK, generateKeyPair } = await jose();
  const { privateKey } = await generateKeyPair(ALG, { extractable: true });
  const { key_ops: _ops, ext: _ext, ...privateJwk } = await exportJWK(privateKey);
  return { privateJwk };
}

/**
 * Sign a receipt as a compact JWS (JWT with `iat` and `exp`).
 *
 * @example
 * const token = await signReceipt({ client_id, state: { analytics_storage: 'granted' }, source: 'banner',
 *   policy_version: '3', region: 'DE' }, key, { now: Date.now(), ttlMs: config.consent.receipts.ttl })
 */
export async function signReceipt(claims: ReceiptClaims, key: ReceiptKey, options: { now: number; ttlMs: number }): Promise<string> {
  const iat = Math.floor(options.now / 1000);
  const { SignJWT } = await jose();
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: ALG, typ: 'JWT', kid: key.kid })
    .setIssuedAt(iat)
    .setExpirationTime(Math.floor((options.now + options.ttlMs) / 1000))
    .sign(key.privateKey);
}

function validState(value: unknown): value is ReceiptClaims['state'] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.entries(value).every(
    ([k, v]) => (PURPOSES as readonly string[]).includes(k) && (v === 'granted' || v === 'denied'),
  );
}

/**
 * Verify a receipt at time `now` (epoch ms). Only ES256 is accepted, so `alg: none`, HMAC or
 * other algorithms fail; so do altered, expired, not-yet-valid and malformed tokens. Never throws.
 */
export async function verifyReceipt(token: string, key: ReceiptKey | CryptoKey, now: number): Promise<ReceiptVerification> {
  const invalid = { ok: false, reason: 'consent.receipt_invalid' } as const;
  try {
    const publicKey = 'publicKey' in key ? key.publicKey : key;
    const { jwtVerify } = await jose();
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: [ALG],
      currentDate: new Date(now),
      requiredClaims: ['iat', 'exp'],
    });
    const { client_id, state, source, policy_version, region, iat, exp } = payload as Record<string, unknown>;
    if (typeof client_id !== 'string' || typeof source !== 'string' || typeof policy_version !== 'string' || typeof region !== 'string') {
      return invalid;
    }
    if (!validState(state) || typeof iat !== 'number' || typeof exp !== 'number') return invalid;
    // jose does not reject a receipt issued in the future; allow one minute of clock skew between instances.
    if (iat * 1000 > now + 60_000) return invalid;
    return { ok: true, client_id, state, source, policy_version, region, issued_at: iat * 1000, expires_at: exp * 1000 };
  } catch {
    return invalid;
  }
}
