/**
 * @module Debug tokens: `v1.<session id>.<expiry, epoch s>.<HMAC-SHA-256 hex>`, signed with the debug
 * secret. A token binds one browser (cookie `_tr_debug`) or client (`X-Tagrelay-Debug`) to one session.
 */
import type { Hasher } from '../ports.js';

/** A token's claims once its signature and expiry check out. */
export interface DebugClaims {
  sessionId: string;
  /** Epoch ms. */
  expiresAt: number;
}

const TOKEN = /^v1\.([0-9a-f]{16,64})\.(\d{1,12})\.([0-9a-f]{64})$/;

/** Compare two equal-length hex strings in time independent of where they differ. */
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Sign a token for a session until `expiresAt` (epoch ms; kept to the second). */
export async function signDebugToken(hasher: Hasher, secret: string, sessionId: string, expiresAt: number): Promise<string> {
  const body = `v1.${sessionId}.${Math.floor(expiresAt / 1000)}`;
  return `${body}.${await hasher.hmacSha256Hex(secret, body)}`;
}

/** The claims of a well-formed, correctly signed, unexpired token; undefined otherwise. */
export async function verifyDebugToken(hasher: Hasher, secret: string, token: string, now: number): Promise<DebugClaims | undefined> {
  const m = TOKEN.exec(token);
  if (!m) return undefined;
  const expiresAt = Number(m[2]) * 1000;
  if (expiresAt <= now) return undefined;
  const mac = await hasher.hmacSha256Hex(secret, `v1.${m[1]}.${m[2]}`);
  return sameHex(mac, m[3]!) ? { sessionId: m[1]!, expiresAt } : undefined;
}
