/**
 * @module First-party ids: GA-compatible `_ga`, the HttpOnly server id, and Meta's `_fbp` / `_fbc`.
 */

/** Random bytes as lowercase hex (the runtime's `randomHex`). */
export type RandomHex = (bytes: number) => string;

/** A GA client id: `<random>.<seconds>` (what `_ga` carries after `GA1.<n>.`). */
const GA_CLIENT_ID = /^\d{1,20}\.\d{1,20}$/;
const GA_COOKIE = /^GA\d+\.\d+(?:-\d+)?\.(\d{1,20}\.\d{1,20})$/;
/** What we accept as a client id from any source: printable, no separators that break cookies. */
const CLIENT_ID = /^[A-Za-z0-9._-]{1,100}$/;
const FBP = /^fb\.\d\.\d{10,16}\.\d{1,25}$/;
const FBC = /^fb\.\d\.\d{10,16}\.[\x21-\x7E]{1,500}$/;
const SERVER_ID_PREFIX = 'TR1.';

/**
 * A random positive integer of 9 or 10 digits (100000000 … 2147483646), the range GA's and Meta's
 * scripts produce for the random part of `_ga` and `_fbp`.
 */
export function randomDigits(randomHex: RandomHex): string {
  const n = Number.parseInt(randomHex(4).slice(0, 8), 16) >>> 0;
  return String(100_000_000 + (n % 2_047_483_647));
}

/**
 * GA's domain level for `_ga` (`GA1.<n>.…`): the number of dots in the cookie domain, 1 at least.
 * gtag.js (GA4) writes `GA1.1` for `example.com` and `GA1.2` for `example.co.uk`; host-only cookies
 * (localhost, IPs) get 1. (analytics.js counted labels instead, so old cookies read `GA1.2` on
 * `example.com`; {@link clientIdFromGa} accepts any level.)
 */
export function gaDomainLevel(domain: string | undefined): number {
  if (!domain) return 1;
  const labels = domain.replace(/^\./, '').split('.').filter(Boolean).length;
  return Math.max(1, labels - 1);
}

/** A fresh GA client id: `<9-10 random digits>.<seconds>`. */
export function newClientId(nowMs: number, randomHex: RandomHex): string {
  return `${randomDigits(randomHex)}.${Math.floor(nowMs / 1000)}`;
}

/**
 * The `_ga` cookie value for a client id, or `undefined` when the id is not GA-shaped
 * (a UUID from a server event cannot be stored in `_ga`).
 *
 * @example
 * gaCookieValue('123456789.1700000000', '.example.com') // 'GA1.1.123456789.1700000000'
 */
export function gaCookieValue(clientId: string, domain: string | undefined): string | undefined {
  return GA_CLIENT_ID.test(clientId) ? `GA1.${gaDomainLevel(domain)}.${clientId}` : undefined;
}

/**
 * The client id inside a `_ga` value; `undefined` when malformed.
 *
 * @example
 * clientIdFromGa('GA1.2.123.456') // '123.456'
 */
export function clientIdFromGa(value: string | undefined): string | undefined {
  return value ? GA_COOKIE.exec(value)?.[1] : undefined;
}

/** True when a client id is safe to store and forward. */
export function isValidClientId(value: string | undefined): value is string {
  return value !== undefined && CLIENT_ID.test(value);
}

/**
 * The HttpOnly server id cookie value (like sGTM's FPID): it holds the client id, so `_ga` can be
 * restored when the browser expired script-set cookies early (Safari ITP caps them at 7 days).
 */
export function serverIdValue(clientId: string): string {
  return `${SERVER_ID_PREFIX}${clientId}`;
}

/** The client id stored in a server id cookie; `undefined` when malformed. */
export function clientIdFromServerId(value: string | undefined): string | undefined {
  if (!value?.startsWith(SERVER_ID_PREFIX)) return undefined;
  const id = value.slice(SERVER_ID_PREFIX.length);
  return isValidClientId(id) ? id : undefined;
}

/** True for a well-formed `_fbp` value. */
export function isValidFbp(value: string | undefined): value is string {
  return value !== undefined && FBP.test(value);
}

/**
 * True for a plausible `_ttp` value: the TikTok pixel's browser id (27 characters of letters and
 * digits in the Events API examples; newer pixels add `.`, `_` or `-` separated parts). Anything
 * longer or with other characters is not a pixel id and is not passed on.
 */
export function isValidTtp(value: string | undefined): value is string {
  return value !== undefined && /^[A-Za-z0-9][A-Za-z0-9._-]{15,99}$/.test(value);
}

/** True for a well-formed `_fbc` value. */
export function isValidFbc(value: string | undefined): value is string {
  return value !== undefined && FBC.test(value);
}

/**
 * A new Meta browser id `fb.1.<ms>.<random>`. Subdomain index 1: the cookie is set on the
 * registrable domain (https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/fbp-and-fbc/).
 */
export function newFbp(nowMs: number, randomHex: RandomHex): string {
  return `fb.1.${Math.floor(nowMs)}.${randomDigits(randomHex)}`;
}

/** The `fbclid` of an `_fbc` value (everything after `fb.<i>.<ms>.`). */
export function fbclidOfFbc(fbc: string): string {
  return fbc.split('.').slice(3).join('.');
}

/**
 * The `_fbc` to use: a new `fb.1.<ms>.<fbclid>` when the page URL carries an `fbclid` that differs
 * from the one already stored; otherwise the existing valid value (its creation time is kept).
 * Meta: the click id is case-sensitive and must be used unmodified — no decoding, no lower-casing.
 */
export function resolveFbc(existing: string | undefined, fbclid: string | undefined, nowMs: number): string | undefined {
  const current = isValidFbc(existing) ? existing : undefined;
  if (fbclid && /^[\x21-\x7E]{1,500}$/.test(fbclid)) {
    if (current && fbclidOfFbc(current) === fbclid) return current;
    return `fb.1.${Math.floor(nowMs)}.${fbclid}`;
  }
  return current;
}

/**
 * A query parameter exactly as it appears in the URL (no percent-decoding, no `+` → space), for
 * click ids that vendors want byte for byte.
 */
export function rawQueryParam(url: string | undefined, name: string): string | undefined {
  if (!url) return undefined;
  const hash = url.indexOf('#');
  const beforeHash = hash < 0 ? url : url.slice(0, hash);
  const q = beforeHash.indexOf('?');
  if (q < 0) return undefined;
  const query = beforeHash.slice(q + 1);
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if (eq > 0 && pair.slice(0, eq) === name) return pair.slice(eq + 1) || undefined;
  }
  return undefined;
}
