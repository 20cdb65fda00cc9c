/**
 * @module Regions: the visitor's region from trusted CDN headers, region groups, and policy lookup.
 */
import type { ConsentConfig, Policy } from './config.js';

/** EU 27 plus Iceland, Liechtenstein and Norway (GDPR applies via the EEA Agreement). */
export const EEA = [
  'AT', 'BE', 'BG', 'HR', 'CY', 'CZ', 'DK', 'EE', 'FI', 'FR', 'DE', 'GR', 'HU', 'IE', 'IT', 'LV', 'LT', 'LU',
  'MT', 'NL', 'PL', 'PT', 'RO', 'SK', 'SI', 'ES', 'SE', 'IS', 'LI', 'NO',
] as const;

/**
 * US states with a comprehensive consumer privacy law giving an opt-out of sale / targeted
 * advertising (the states covered by the IAB MSPA, 2024).
 */
export const US_PRIVACY_STATES = [
  'US-CA', 'US-VA', 'US-CO', 'US-CT', 'US-UT', 'US-TX', 'US-OR', 'US-MT', 'US-IA', 'US-DE', 'US-NH', 'US-NJ',
  'US-NE', 'US-TN', 'US-MN', 'US-MD', 'US-IN', 'US-KY', 'US-RI',
] as const;

/** Group names usable as `regions` keys in config, and their members (countries or `US-XX`). */
export const REGION_GROUPS: Readonly<Record<string, readonly string[]>> = {
  EEA,
  UK: ['GB'],
  GB: ['GB'],
  CH: ['CH'],
  US_PRIVACY_STATES,
};

/** Headers that carry a subdivision (state) rather than a country; everything else listed is a country header. */
const REGION_HEADERS: ReadonlySet<string> = new Set([
  'cloudfront-viewer-country-region',
  'x-vercel-ip-country-region',
  'cf-region-code',
  'x-appengine-region',
  'x-region-code',
]);

/** Country codes CDNs use for "unknown" or "not a country": Cloudflare `XX`, Tor `T1`, reserved `ZZ`. */
const NOT_A_COUNTRY: ReadonlySet<string> = new Set(['XX', 'T1', 'ZZ', 'EU', 'AP']);

/**
 * The visitor's region from the headers listed in `config.geo_headers` only (others are
 * client-controlled and could be spoofed): `DE`, `US-CA`, or `unknown`.
 *
 * @example
 * resolveRegion({ 'cloudfront-viewer-country': 'US', 'cloudfront-viewer-country-region': 'CA' },
 *   { geo_headers: ['cloudfront-viewer-country', 'cloudfront-viewer-country-region'] }) // 'US-CA'
 */
export function resolveRegion(headers: Record<string, string>, config: Pick<ConsentConfig, 'geo_headers'>): string {
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) lower[k.toLowerCase()] = v;
  let country: string | undefined;
  let subdivision: string | undefined;
  for (const name of config.geo_headers) {
    const raw = lower[name.toLowerCase()]?.trim().toUpperCase();
    if (!raw) continue;
    if (REGION_HEADERS.has(name.toLowerCase())) {
      // Some CDNs send `CA`, others `US-CA`: keep the part after the country.
      const code = raw.includes('-') ? raw.slice(raw.indexOf('-') + 1) : raw;
      if (!subdivision && /^[A-Z0-9]{1,3}$/.test(code)) subdivision = code;
    } else if (!country && /^[A-Z]{2}$/.test(raw) && !NOT_A_COUNTRY.has(raw)) {
      country = raw;
    }
  }
  if (!country) return 'unknown';
  return subdivision ? `${country}-${subdivision}` : country;
}

/** The groups a region belongs to, in the order they are consulted. */
export function regionGroups(region: string): string[] {
  const country = region.split('-')[0]!;
  return Object.entries(REGION_GROUPS)
    .filter(([, members]) => members.includes(region) || members.includes(country))
    .map(([name]) => name);
}

const STRICTNESS: Record<Policy, number> = { opt_in: 3, notice: 2, opt_out: 1 };

/** The strictest policy in the config (opt_in > notice > opt_out); `opt_in` when none is configured. */
export function strictestPolicy(config: Pick<ConsentConfig, 'regions'>): Policy {
  const policies = Object.values(config.regions);
  if (policies.length === 0) return 'opt_in';
  return policies.reduce((a, b) => (STRICTNESS[b] > STRICTNESS[a] ? b : a));
}

/** Which configured key decided, and the policy. */
export interface PolicyMatch {
  policy: Policy;
  /** The `regions` key that matched, or `strictest` for an unknown region / no default. */
  matched: string;
}

/**
 * The policy for a region. Lookup order: exact (`US-CA`) → country (`US`) → group (`EEA`) →
 * `default`. An unknown region gets the strictest configured policy, never `default`: we cannot
 * rule out that the visitor is somewhere consent is required.
 */
export function policyFor(region: string, config: Pick<ConsentConfig, 'regions'>): PolicyMatch {
  if (region === 'unknown') return { policy: strictestPolicy(config), matched: 'strictest' };
  const candidates = [region, region.split('-')[0]!, ...regionGroups(region), 'default'];
  for (const key of candidates) {
    const policy = config.regions[key];
    if (policy) return { policy, matched: key };
  }
  return { policy: strictestPolicy(config), matched: 'strictest' };
}
