/**
 * @module URL redaction: remove (or mask) personal data from query strings, fragments, paths and credentials.
 */
import { LRUCache } from 'lru-cache';

/** Query parameter names removed by default (compared case-insensitively). */
export const DEFAULT_REDACTED_PARAMS: readonly string[] = [
  'email', 'e-mail', 'mail', 'phone', 'tel', 'mobile', 'name', 'first_name', 'firstname', 'last_name',
  'lastname', 'surname', 'address', 'street', 'zip', 'postcode', 'postal_code', 'token', 'password',
  'pass', 'pwd', 'secret', 'auth', 'session', 'ssn',
];

/** Ad click ids: identifiers of one click, removed when an event must not identify the visitor. */
export const CLICK_ID_PARAMS: readonly string[] = [
  'gclid', 'gbraid', 'wbraid', 'dclid', 'fbclid', 'msclkid', 'ttclid', 'twclid', 'li_fat_id', 'epik', 'yclid',
];

/** Options of {@link redactUrl}. */
export interface RedactUrlOptions {
  /** Extra parameter names, added to {@link DEFAULT_REDACTED_PARAMS}. */
  params?: readonly string[];
  /** drop (default): remove the parameter; mask: keep the name, value becomes `[redacted]`. */
  mode?: 'drop' | 'mask';
}

/** The redacted URL (absent when it could not be parsed) and a reason for every change. */
export interface RedactUrlResult {
  url: string | undefined;
  reasons: string[];
}

const MASK = '[redacted]';
const EMAIL = /[^\s@/?#&=:;,<>()[\]"']+@[^\s@/?#&=:;,<>()[\]"']+\.[a-z]{2,}/i;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** True when the text contains something shaped like an email address. */
export function looksLikeEmail(text: string): boolean {
  return EMAIL.test(text);
}

/** The text with every email-shaped substring replaced by `[redacted]`. */
export function redactEmails(text: string): string {
  return text.replace(new RegExp(EMAIL.source, 'gi'), MASK);
}

/**
 * True when the text is shaped like a phone number: a `+`/`00` international prefix and 8-15
 * digits, or 9-15 digits grouped by spaces, dashes, dots or parentheses. Bare digit runs are NOT
 * phones here (order ids and timestamps look the same), nor are dates and IPv4 addresses.
 */
export function looksLikePhone(text: string): boolean {
  const s = text.trim();
  if (!/^[+(]?[\d\s().-]+$/.test(s) || IPV4.test(s) || /^\d{4}-\d{2}-\d{2}/.test(s)) return false;
  const digits = s.replace(/^00/, '').replace(/\D/g, '').length;
  if (/^(\+|00)/.test(s)) return digits >= 8 && digits <= 15;
  return digits >= 9 && digits <= 15 && /[\s().-]/.test(s);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/** Redact one `a=1&b=2` string; untouched pairs keep their original encoding. */
function redactPairs(query: string, deny: Set<string>, mode: 'drop' | 'mask', reasons: string[]): string {
  const kept: string[] = [];
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq < 0 ? pair : pair.slice(0, eq);
    const name = decode(rawName);
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    let reason: string | undefined;
    const lower = name.toLowerCase();
    if (looksLikeEmail(name)) {
      // The name itself is personal data: never keep it, not even masked.
      reasons.push('privacy.url_value_email');
      continue;
    }
    if (deny.has(lower)) reason = `privacy.url_param_${mode === 'drop' ? 'removed' : 'masked'}:${lower}`;
    else if (looksLikeEmail(value)) reason = 'privacy.url_value_email';
    else if (looksLikePhone(value)) reason = 'privacy.url_value_phone';
    if (!reason) {
      kept.push(pair);
      continue;
    }
    reasons.push(reason);
    if (mode === 'mask') kept.push(`${rawName}=${MASK}`);
  }
  return kept.join('&');
}

/** A fragment is either a route with an optional `?query`, a bare `a=b&c=d` list, or plain text. */
function redactFragment(fragment: string, deny: Set<string>, mode: 'drop' | 'mask', reasons: string[]): string {
  const q = fragment.indexOf('?');
  if (q >= 0) {
    const route = redactFragment(fragment.slice(0, q), deny, mode, reasons);
    const query = redactPairs(fragment.slice(q + 1), deny, mode, reasons);
    return query ? `${route}?${query}` : route;
  }
  if (fragment.includes('=')) return redactPairs(fragment, deny, mode, reasons);
  const text = decode(fragment);
  if (looksLikeEmail(text)) {
    reasons.push('privacy.url_value_email');
    return '';
  }
  if (looksLikePhone(text)) {
    reasons.push('privacy.url_value_phone');
    return '';
  }
  return fragment;
}

/**
 * Remove personal data from a URL: user:password credentials, deny-listed query parameters (the
 * built-in list plus `opts.params`), parameters whose value looks like an email or phone number,
 * the same inside the fragment (`#/route?email=…` and `#a=b`), and path segments holding an email.
 * Never throws: a URL that does not parse is dropped with `privacy.url_invalid`.
 *
 * @example
 * redactUrl('https://shop.example/?email=a%40b.co&q=shoes').url // 'https://shop.example/?q=shoes'
 */
export function redactUrl(url: string | undefined, opts: RedactUrlOptions = {}): RedactUrlResult {
  if (url === undefined || url === '') return { url, reasons: [] };
  // Visitors share pages, and every destination redacts the same URL: remember results.
  const key = `${opts.mode ?? 'drop'}\u0001${opts.params?.join('\u0002') ?? ''}\u0001${url}`;
  const hit = redacted.get(key);
  if (hit) return { url: hit.url, reasons: [...hit.reasons] };
  const result = redactUncached(url, opts);
  redacted.set(key, result);
  return { url: result.url, reasons: [...result.reasons] };
}

/** Redactions by mode, extra names and URL (bounded). */
const redacted = new LRUCache<string, RedactUrlResult>({ max: 5000 });

function redactUncached(url: string, opts: RedactUrlOptions): RedactUrlResult {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url: undefined, reasons: ['privacy.url_invalid'] };
  }
  const mode = opts.mode ?? 'drop';
  const deny = new Set([...DEFAULT_REDACTED_PARAMS, ...(opts.params ?? [])].map((p) => p.toLowerCase()));
  const reasons: string[] = [];
  if (u.username || u.password) {
    u.username = '';
    u.password = '';
    reasons.push('privacy.url_credentials_removed');
  }
  if (u.pathname.includes('@') || u.pathname.includes('%40')) {
    const segments = u.pathname.split('/').map((seg) => {
      if (!looksLikeEmail(decode(seg))) return seg;
      reasons.push('privacy.url_path_email');
      return encodeURIComponent(MASK);
    });
    u.pathname = segments.join('/');
  }
  if (u.search) {
    const query = redactPairs(u.search.slice(1), deny, mode, reasons);
    u.search = query ? `?${query}` : '';
  }
  if (u.hash) {
    const fragment = redactFragment(u.hash.slice(1), deny, mode, reasons);
    u.hash = fragment ? `#${fragment}` : '';
  }
  return { url: reasons.length === 0 ? url : u.toString(), reasons };
}
