/**
 * @module Masking for the debug stream: no clear personal data (emails, phones, names, clear ids, IPs)
 * and no secrets (keys, tokens) leave in a debug message. Hashes are shortened to a prefix.
 */
import { CLICK_ID_PARAMS, looksLikeEmail, looksLikePhone, redactEmails, redactUrl } from '../privacy/url.js';

/** What replaces a masked value. */
export const MASK = '****';

/** Keys whose value is a credential. */
const SECRET_KEY = /secret|token|passw|api_?key|authorization|signature|credential|^auth$/i;
/** Keys whose value identifies a person (clear ids, contact data, addresses, network ids). */
const PII_KEY =
  /e-?mail|phone|mobile|^tel$|first_?name|last_?name|surname|full_?name|^fn$|^ln$|street|address|postcode|postal|^zip|birth|^dob$|^db$|user_?id|client_?id|^uid$|^cid$|^ip$|ip_?address|_ip$|fbp|fbc|external_id|^ttp$|clid$|braid$|^ge$|^ct$|^st$|^zp$|^em$|^ph$/i;
/** Sections whose every value is personal data (the clear `user` of an event). */
const PII_SECTION = /^(user|user_data|userData)$/;
const HASH = /^[0-9a-f]{64}$/i;
const MAX_STRING = 2000;
const MAX_ITEMS = 200;
const MAX_DEPTH = 10;

/** URL parameters masked besides the personal ones privacy/url.ts knows: credentials, ids, click ids. */
const URL_PARAMS = ['api_secret', 'access_token', 'key', 'sig', 'uid', 'cid', 'client_id', 'user_id', 'ip', 'uip', 'fbp', 'fbc', ...CLICK_ID_PARAMS];

/** A hash shortened for display: still recognisable, not a full pseudonym. */
function shortHash(value: string): string {
  return `${value.slice(0, 12)}…`;
}

/** Mask one string by its content: emails inside, phone-shaped values, URLs' personal and secret parameters. */
export function maskString(value: string): string {
  let s = value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (HASH.test(s)) return shortHash(s);
  if (looksLikePhone(s)) return MASK;
  if (/^https?:\/\//i.test(s)) {
    const redacted = redactUrl(s, { mode: 'mask', params: URL_PARAMS });
    s = redacted.url ?? MASK;
  }
  if (looksLikeEmail(s)) s = redactEmails(s);
  return s;
}

/** Mask a value of a personal-data key: hashes keep a prefix, everything else is `****`. */
function maskPersonal(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return HASH.test(value) ? shortHash(value) : MASK;
  if (typeof value === 'number' || typeof value === 'boolean') return MASK;
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => maskPersonal(v, depth + 1));
  if (value && typeof value === 'object' && depth < MAX_DEPTH) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskPersonal(v, depth + 1)]));
  }
  return value === null || value === undefined ? value : MASK;
}

/**
 * A deep copy with personal data and secrets masked. Keys decide first (a secret or personal key is
 * masked whatever its value), then content (emails, phones, URLs in any string).
 *
 * @example
 * maskDeep({ user: { email: 'a@b.co' }, api_secret: 'xyz', page: { url: 'https://s.example/?email=a%40b.co' } })
 * // { user: { email: '****' }, api_secret: '****', page: { url: 'https://s.example/?email=[redacted]' } }
 */
export function maskDeep(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskString(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return MASK;
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => maskDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (SECRET_KEY.test(k)) out[k] = v === undefined || v === null || v === '' ? v : MASK;
    else if (PII_SECTION.test(k) || PII_KEY.test(k)) out[k] = maskPersonal(v, depth + 1);
    else out[k] = maskDeep(v, depth + 1);
  }
  return out;
}

/** Request headers safe to show: no cookies or credentials, client addresses masked, the rest by content. */
export function maskHeaders(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k === 'cookie' || k === 'authorization' || k === 'proxy-authorization' || k === 'x-tagrelay-debug') continue;
    if (/forwarded|real-ip|connecting-ip|client-ip/.test(k)) out[k] = MASK;
    else if (SECRET_KEY.test(k)) out[k] = MASK;
    else out[k] = maskString(v);
  }
  return out;
}

/** Strings held under personal-data or secret keys anywhere in `value` (to find them again in free text). */
export function sensitiveStrings(value: unknown, out: Set<string> = new Set(), depth = 0, sensitive = false): Set<string> {
  if (typeof value === 'string') {
    if (sensitive && value.length >= 4) out.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) sensitiveStrings(v, out, depth + 1, sensitive);
  } else if (value && typeof value === 'object' && depth < MAX_DEPTH) {
    for (const [k, v] of Object.entries(value)) sensitiveStrings(v, out, depth + 1, sensitive || SECRET_KEY.test(k) || PII_KEY.test(k) || PII_SECTION.test(k));
  }
  return out;
}

/**
 * Mask free text (a vendor answer, an error): JSON is masked as data; then every known sensitive
 * string (the payload's ids, the destination's secrets) is replaced wherever it appears; cut to `max`.
 */
export function maskText(text: string, known: Iterable<string>, max = MAX_STRING): string {
  let out: string;
  try {
    out = JSON.stringify(maskDeep(JSON.parse(text)));
  } catch {
    out = maskString(text.length > 4 * max ? text.slice(0, 4 * max) : text);
  }
  for (const s of known) if (s.length >= 4) out = out.split(s).join(MASK);
  return out.length > max ? `${out.slice(0, max)}…` : out;
}
