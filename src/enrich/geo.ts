/**
 * @module Location from trusted CDN headers (Cloudflare, CloudFront, Vercel, generic); never guessed from the IP.
 */
import type { GeoInfo } from '../event.js';

/** One CDN's header names for country, region (ISO 3166-2 subdivision code) and city. */
interface Provider {
  country: string;
  region?: string;
  city?: string;
}

const PROVIDERS: readonly Provider[] = [
  // https://developers.cloudflare.com/rules/transform/managed-transforms/reference/
  { country: 'cf-ipcountry', region: 'cf-region-code', city: 'cf-ipcity' },
  // https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/adding-cloudfront-headers.html
  { country: 'cloudfront-viewer-country', region: 'cloudfront-viewer-country-region', city: 'cloudfront-viewer-city' },
  // https://vercel.com/docs/headers/request-headers (city is URL-encoded)
  { country: 'x-vercel-ip-country', region: 'x-vercel-ip-country-region', city: 'x-vercel-ip-city' },
  { country: 'x-country-code' },
];

/** Every header {@link geoFromHeaders} understands (what `consent.geo_headers` may list). */
export const GEO_HEADERS: readonly string[] = PROVIDERS.flatMap((p) => [p.country, p.region, p.city].filter((h): h is string => !!h));

/** Cloudflare's "unknown" and "Tor" pseudo-countries: no location. */
const NO_COUNTRY = new Set(['XX', 'T1']);

function city(raw: string | undefined): string | undefined {
  if (!raw) return undefined;
  let value = raw.trim();
  if (/%[0-9A-Fa-f]{2}/.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      return undefined;
    }
  }
  // A city name, not markup or control characters.
  return value && value.length <= 100 && !/[\p{Cc}<>"]/u.test(value) ? value : undefined;
}

/**
 * Country, region and city from the headers named in `trusted` (lower-case; normally
 * `consent.geo_headers`). A header that is not listed is never read: anyone can send it. The first
 * trusted country header with a real ISO 3166-1 code decides, and region/city come from the same CDN
 * (also only when trusted). `region` is ISO 3166-2 (`US-CA`). Unknown (`XX`) and Tor (`T1`) → `{}`.
 *
 * @example
 * geoFromHeaders({ 'cf-ipcountry': 'US', 'cf-region-code': 'CA' }, ['cf-ipcountry', 'cf-region-code']) // { country: 'US', region: 'US-CA' }
 */
export function geoFromHeaders(headers: Record<string, string | undefined>, trusted: readonly string[]): GeoInfo {
  const allowed = new Set(trusted.map((h) => h.toLowerCase()));
  for (const p of PROVIDERS) {
    if (!allowed.has(p.country)) continue;
    const country = headers[p.country]?.trim().toUpperCase();
    if (!country || !/^[A-Z]{2}$/.test(country)) continue;
    if (NO_COUNTRY.has(country)) return {};
    const geo: GeoInfo = { country };
    const region = p.region && allowed.has(p.region) ? headers[p.region]?.trim().toUpperCase() : undefined;
    if (region && /^[A-Z0-9]{1,3}$/.test(region)) geo.region = `${country}-${region}`;
    const c = p.city && allowed.has(p.city) ? city(headers[p.city]) : undefined;
    if (c) geo.city = c;
    return geo;
  }
  return {};
}
