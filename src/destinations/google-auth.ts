/**
 * @module Google service-account OAuth 2.0: a JWT assertion signed with the key (RS256, jose, Web Crypto:
 * runs on edge runtimes too), exchanged at the key's token URI for an access token, cached until shortly
 * before it expires.
 *
 * Docs: https://developers.google.com/identity/protocols/oauth2/service-account#httprest
 * (assertion claims iss/scope/aud/iat/exp, at most one hour; grant type urn:ietf:params:oauth:grant-type:jwt-bearer).
 */
import { z } from 'zod';
import type { FetchLike } from '../ports.js';
import { redact, truncateText } from './http.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** The fields of a service-account key file tagrelay uses (the JSON Google Cloud console downloads). */
export const serviceAccountKeySchema = z.object({
  type: z.literal('service_account'),
  client_email: z.email(),
  private_key: z.string().includes('PRIVATE KEY', { message: 'expected a PEM private key' }),
  private_key_id: z.string().optional(),
  token_uri: z
    .url()
    .default('https://oauth2.googleapis.com/token')
    .refine((u) => u.startsWith('https:') || LOOPBACK.has(new URL(u).hostname), 'expected an https token_uri'),
});
export type ServiceAccountKey = z.infer<typeof serviceAccountKeySchema>;

/** Parse a key file's text; `undefined` when it is not one (the config refinement says why). */
export function parseServiceAccountKey(text: string): ServiceAccountKey | undefined {
  try {
    const r = serviceAccountKeySchema.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

/** An access token, or why there is none (`retry`: the token endpoint may answer later). */
export type TokenResult = { ok: true; token: string } | { ok: false; retry: boolean; error: string };

/** A token is renewed this long before Google's expiry, so a request never carries an expired one. */
export const TOKEN_MARGIN_MS = 60_000;
/** Google accepts assertions valid for at most one hour. */
const ASSERTION_TTL_S = 3600;

interface Cached {
  token: string;
  expiresAt: number;
}

type Jose = typeof import('../jose.js');
let joseModule: Promise<Jose> | undefined;
const jose = (): Promise<Jose> => (joseModule ??= import('../jose.js'));

/** Cache keyed by client email, token URI and scope; `inflight` makes concurrent sends share one exchange. */
const cache = new Map<string, Cached>();
const inflight = new Map<string, Promise<TokenResult>>();
const keys = new Map<string, Promise<CryptoKey>>();

/**
 * Sign the assertion the token endpoint expects.
 *
 * @example
 * const jwt = await signAssertion(key, 'https://www.googleapis.com/auth/bigquery', Date.now())
 */
export async function signAssertion(key: ServiceAccountKey, scope: string, now: number): Promise<string> {
  const { SignJWT, importPKCS8 } = await jose();
  let signing = keys.get(key.private_key);
  if (!signing) {
    signing = importPKCS8(key.private_key, 'RS256');
    keys.set(key.private_key, signing);
    signing.catch(() => keys.delete(key.private_key));
  }
  const iat = Math.floor(now / 1000);
  return new SignJWT({ scope })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', ...(key.private_key_id ? { kid: key.private_key_id } : {}) })
    .setIssuer(key.client_email)
    .setAudience(key.token_uri)
    .setIssuedAt(iat)
    .setExpirationTime(iat + ASSERTION_TTL_S)
    .sign(await signing);
}

async function exchange(key: ServiceAccountKey, scope: string, fetch: FetchLike, now: number, timeoutMs: number): Promise<TokenResult> {
  let assertion: string;
  try {
    assertion = await signAssertion(key, scope, now);
  } catch {
    // The PEM itself is never echoed.
    return { ok: false, retry: false, error: 'bigquery.credentials_invalid: the private_key could not be read as a PKCS#8 RSA key' };
  }
  const body = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion }).toString();
  try {
    const res = await fetch(key.token_uri, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    const clean = truncateText(redact(text, [assertion]));
    if (res.status !== 200) {
      return { ok: false, retry: res.status >= 500 || res.status === 429 || res.status === 408, error: `bigquery.token_http_${res.status}: ${clean}` };
    }
    const parsed = JSON.parse(text) as { access_token?: unknown; expires_in?: unknown };
    if (typeof parsed.access_token !== 'string' || typeof parsed.expires_in !== 'number') {
      return { ok: false, retry: true, error: `bigquery.token_unreadable: ${clean.replace(/"access_token"\s*:\s*"[^"]*"/, '"access_token":"****"')}` };
    }
    cache.set(cacheKey(key, scope), { token: parsed.access_token, expiresAt: now + parsed.expires_in * 1000 });
    return { ok: true, token: parsed.access_token };
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    const error =
      name === 'TimeoutError' || name === 'AbortError'
        ? `bigquery.timeout after ${timeoutMs}ms`
        : err instanceof SyntaxError
          ? 'bigquery.token_unreadable: not JSON'
          : `bigquery.network error: ${err instanceof Error ? err.message : String(err)}`;
    return { ok: false, retry: true, error };
  }
}

const cacheKey = (key: ServiceAccountKey, scope: string) => `${key.client_email}\u0000${key.token_uri}\u0000${scope}`;

/**
 * An access token for `scope`: the cached one while it has more than {@link TOKEN_MARGIN_MS} left,
 * else a new one. `force` (after a 401) drops the cached token first.
 */
export async function accessToken(
  key: ServiceAccountKey,
  scope: string,
  io: { fetch: FetchLike; now(): number; timeoutMs: number },
  force = false,
): Promise<TokenResult> {
  const k = cacheKey(key, scope);
  const now = io.now();
  if (force) cache.delete(k);
  const hit = cache.get(k);
  if (hit && hit.expiresAt - TOKEN_MARGIN_MS > now) return { ok: true, token: hit.token };
  let pending = inflight.get(k);
  if (!pending) {
    pending = exchange(key, scope, io.fetch, now, io.timeoutMs).finally(() => inflight.delete(k));
    inflight.set(k, pending);
  }
  return pending;
}
