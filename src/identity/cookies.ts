/**
 * @module Cookie parsing and `Set-Cookie` serialization, with the registrable-domain rule for `Domain`.
 */
import { parse as parseHost } from './public-suffix.js';
import { TagrelayError } from '../errors.js';

/** Browsers cap cookie lifetimes at 400 days (RFC 6265bis §5.5, Chrome since M104). */
export const MAX_COOKIE_AGE_SEC = 400 * 86_400;

/** RFC 6265 token: the characters allowed in a cookie name. */
const NAME_PATTERN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Characters outside RFC 6265 cookie-octet (CTLs, space, DQUOTE, comma, semicolon, backslash, non-ASCII). */
const NOT_COOKIE_OCTET = /[^\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]/g;
const DOMAIN_PATTERN = /^\.?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Parse a `Cookie` request header into name → value. The first occurrence of a name wins (browsers
 * send the most specific path first); surrounding double quotes are removed; values are NOT
 * percent-decoded, because `_ga` and `_fbc` must round-trip byte for byte.
 *
 * @example
 * parseCookies('_ga=GA1.1.123.456; _fbp=fb.1.1700000000000.42') // { _ga: 'GA1.1.123.456', _fbp: '…' }
 */
export function parseCookies(header: string | undefined | null): Record<string, string> {
  const out: Record<string, string> = {};
  if (!header) return out;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!NAME_PATTERN.test(name) || Object.hasOwn(out, name)) continue;
    let value = part.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out[name] = value;
  }
  return out;
}

/** Strip the port (and IPv6 brackets) from a `Host` header value; lower-case it. */
export function hostnameOf(host: string): string {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') > 0 ? h.indexOf(']') : undefined);
  const colon = h.indexOf(':');
  // More than one colon and no brackets: a bare IPv6 address, not host:port.
  if (colon >= 0 && h.indexOf(':', colon + 1) < 0) return h.slice(0, colon);
  return h;
}

/**
 * The `Domain` attribute for first-party cookies: the registrable domain with a leading dot, so the
 * cookie is shared between `t.example.co.uk` and `www.example.co.uk`. `undefined` (a host-only cookie)
 * for localhost, IP addresses, single-label hosts and public suffixes. Private PSL entries count as
 * suffixes (`a.foo.github.io` → `.foo.github.io`), because browsers reject cookies on `.github.io`.
 *
 * `override`: `'auto'`/absent computes it; `'none'` forces host-only; anything else is used as given.
 *
 * The Host header is client-chosen, so the computed domain is only ever the registrable domain of
 * that very hostname: it always domain-matches the Host (RFC 6265 §5.1.3), and a browser only sends
 * a Host it actually addressed — a forged Host yields cookies for the forger's own client. A Host
 * that is not a plain hostname (`user@evil.com`, `a.com/..`, `exa_mple.com`) gets host-only cookies.
 * `allowed` (config `identity.cookie_domains`) pins production to known registrable domains: any
 * other Host gets host-only cookies too.
 *
 * @example
 * cookieDomain('t.example.co.uk') // '.example.co.uk'
 * cookieDomain('localhost:8080')  // undefined
 * cookieDomain('t.evil.com', 'auto', ['example.com']) // undefined
 */
export function cookieDomain(host: string, override?: string, allowed: readonly string[] = []): string | undefined {
  if (override !== undefined && override !== '' && override !== 'auto') {
    if (override === 'none') return undefined;
    const d = override.toLowerCase();
    if (!DOMAIN_PATTERN.test(d)) throw new TagrelayError('ERR_CONFIG', 'identity.cookie_domain is not a domain name');
    return d.startsWith('.') ? d : `.${d}`;
  }
  const hostname = hostnameOf(host);
  if (!hostname || hostname === 'localhost' || hostname.endsWith('.localhost')) return undefined;
  const parsed = parseHost(hostname, { allowPrivateDomains: true });
  // tldts also pulls a hostname out of URL-like text, which no browser sends as a Host.
  if (parsed.isIp || !parsed.domain || parsed.hostname !== hostname) return undefined;
  const domain = `.${parsed.domain}`;
  if (!DOMAIN_PATTERN.test(domain)) return undefined;
  if (allowed.length > 0 && !allowed.includes(parsed.domain)) return undefined;
  return domain;
}

/** Attributes for {@link serializeCookie}. */
export interface CookieOptions {
  /** `Domain` attribute (from {@link cookieDomain}); omitted → host-only cookie. */
  domain?: string;
  /** Lifetime in seconds; capped at {@link MAX_COOKIE_AGE_SEC}; 0 deletes the cookie. */
  maxAgeSec?: number;
  httpOnly?: boolean;
  secure?: boolean;
  sameSite?: 'Lax' | 'Strict' | 'None';
  path?: string;
}

/**
 * Neutralize a cookie value: every character outside RFC 6265 cookie-octet (CR, LF, `;`, `,`,
 * spaces, quotes, backslash, non-ASCII) is percent-encoded, so a value can never inject an
 * attribute or a header.
 */
export function safeCookieValue(value: string): string {
  return value.replace(NOT_COOKIE_OCTET, (c) => encodeURIComponent(c).replace(/[!'()*]/g, (x) => `%${x.charCodeAt(0).toString(16).toUpperCase()}`));
}

/**
 * Build one `Set-Cookie` header value. Names must be RFC 6265 tokens and domains domain names
 * (they come from config: a bad one is `ERR_CONFIG`); values are neutralized with {@link safeCookieValue}.
 *
 * @example
 * serializeCookie('_ga', 'GA1.1.123.456', { domain: '.example.com', maxAgeSec: 34_560_000, secure: true, sameSite: 'Lax' })
 * // '_ga=GA1.1.123.456; Max-Age=34560000; Domain=.example.com; Path=/; Secure; SameSite=Lax'
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!NAME_PATTERN.test(name)) throw new TagrelayError('ERR_CONFIG', 'cookie name is not an RFC 6265 token');
  const parts = [`${name}=${safeCookieValue(value)}`];
  if (options.maxAgeSec !== undefined) {
    const age = Math.max(0, Math.min(MAX_COOKIE_AGE_SEC, Math.floor(options.maxAgeSec)));
    parts.push(`Max-Age=${age}`);
  }
  if (options.domain !== undefined) {
    const d = options.domain.toLowerCase();
    if (!DOMAIN_PATTERN.test(d)) throw new TagrelayError('ERR_CONFIG', 'cookie domain is not a domain name');
    parts.push(`Domain=${d}`);
  }
  const path = options.path ?? '/';
  if (!/^\/[\x21-\x3A\x3C-\x7E]*$/.test(path)) throw new TagrelayError('ERR_CONFIG', 'cookie path is invalid');
  parts.push(`Path=${path}`);
  if (options.httpOnly) parts.push('HttpOnly');
  // SameSite=None is only honoured with Secure.
  if (options.secure || options.sameSite === 'None') parts.push('Secure');
  parts.push(`SameSite=${options.sameSite ?? 'Lax'}`);
  return parts.join('; ');
}
