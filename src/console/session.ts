/**
 * @module Console sessions: a short-lived, signed, HttpOnly, SameSite=Strict cookie made from a verified
 * admin JWT, and the CSRF token bound to it. Signed with HMAC-SHA-256 through the Hasher port, with a
 * key derived from `admin.jwt.secret` (or, with a JWKS, a random key per process: sessions then end
 * at a restart).
 */
import type { Hasher } from '../ports.js';

/** The cookie's name; its path is the console's, so the event endpoints never see it. */
export const SESSION_COOKIE = 'tr_console';
export const CONSOLE_PATH = '/admin/ui';
/** The longest a session lives, whatever the token's own expiry (it never outlives the token). */
export const SESSION_MAX_MS = 60 * 60_000;

/** What a session carries: who, which scopes, until when. Never the token itself. */
export interface ConsoleSession {
  sub: string;
  scopes: string[];
  /** Epoch ms. */
  exp: number;
  /** Random id: the CSRF token is derived from it. */
  sid: string;
}

/** Why a cookie does not open a session. */
export type SessionProblem = 'missing' | 'invalid' | 'expired';

const enc = new TextEncoder();

function b64url(text: string): string {
  let bin = '';
  for (const byte of enc.encode(text)) bin += String.fromCharCode(byte);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function unb64url(text: string): string {
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

/** Compare two hex strings in time independent of where they differ. */
function sameHex(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Signs and checks session cookies and CSRF tokens. */
export interface SessionSigner {
  /** The cookie value for a session. */
  seal(session: ConsoleSession): Promise<string>;
  /** The session in a cookie value, or why there is none. */
  open(value: string | undefined, now: number): Promise<ConsoleSession | SessionProblem>;
  /** The CSRF token of a session (HMAC of its id: nothing to store). */
  csrf(session: ConsoleSession): Promise<string>;
  /** True when `token` is the session's CSRF token. */
  checkCsrf(session: ConsoleSession, token: string | undefined): Promise<boolean>;
}

/**
 * @example
 * const signer = createSessionSigner(runtime.hash, config.admin.jwt.secret, runtime.randomHex)
 */
export function createSessionSigner(hasher: Hasher, secret: string | undefined, randomHex: (bytes: number) => string): SessionSigner {
  // A key of its own, derived from the admin secret: a session cookie is never a valid JWT signature.
  let key: Promise<string> | undefined;
  const getKey = () => (key ??= secret ? hasher.hmacSha256Hex(secret, 'tagrelay console session v1') : Promise.resolve(randomHex(32)));
  const mac = async (text: string) => hasher.hmacSha256Hex(await getKey(), text);
  const signer: SessionSigner = {
    async seal(session) {
      const body = b64url(JSON.stringify(session));
      return `v1.${body}.${await mac(`v1.${body}`)}`;
    },
    async open(value, now) {
      if (!value) return 'missing';
      const m = /^v1\.([A-Za-z0-9_-]{1,4000})\.([0-9a-f]{64})$/.exec(value);
      if (!m) return 'invalid';
      if (!sameHex(await mac(`v1.${m[1]}`), m[2]!)) return 'invalid';
      let session: ConsoleSession;
      try {
        session = JSON.parse(unb64url(m[1]!)) as ConsoleSession;
      } catch {
        return 'invalid';
      }
      if (typeof session.exp !== 'number' || !Array.isArray(session.scopes) || typeof session.sid !== 'string') return 'invalid';
      return session.exp <= now ? 'expired' : session;
    },
    async csrf(session) {
      return (await mac(`csrf.${session.sid}`)).slice(0, 40);
    },
    async checkCsrf(session, token) {
      if (!token) return false;
      return sameHex(await signer.csrf(session), token);
    },
  };
  return signer;
}
