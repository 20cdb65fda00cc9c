/**
 * @module Gating: may a destination receive an event under a consent state, and in which form.
 */
import type { ConsentState, Purpose } from './purposes.js';
import type { RouteAction, WhenDenied } from '../destinations/types.js';

/** What a destination needs and what it does without it. */
export interface GateRule {
  /** Purposes that must all be granted for the full payload. */
  requires: readonly Purpose[];
  /** Without them: drop the event, send it anonymized, or send it without cookies/identifiers. */
  whenDenied: WhenDenied;
  /** The destination's IAB TCF vendor id (Google 755, Meta has none); checked when a TC string was present. */
  tcfVendorId?: number;
}

/** The gate's route action (never `skip`: only a mapper skips). `reasons` is empty for `send`. */
export interface GateVerdict {
  action: Exclude<RouteAction, 'skip'>;
  reasons: string[];
}

/**
 * Decide how an event may go to one destination. Every missing purpose adds
 * `consent.purpose_denied:<purpose>` and the reason that purpose was denied; a TC string without
 * consent for the destination's vendor adds `consent.tcf_vendor_missing:<id>` (TCF Policy: a
 * vendor needs its own consent, not only the purposes').
 *
 * @example
 * gate(state, { requires: ['analytics_storage'], whenDenied: 'cookieless' })
 * // → { action: 'cookieless', reasons: ['consent.purpose_denied:analytics_storage', 'consent.region_default_opt_in'] }
 */
export function gate(state: ConsentState, rule: GateRule): GateVerdict {
  const reasons: string[] = [];
  for (const purpose of rule.requires) {
    const decision = state.purposes[purpose];
    if (decision.value !== 'granted') reasons.push(`consent.purpose_denied:${purpose}`, decision.reason);
  }
  if (rule.tcfVendorId !== undefined && state.tcf_vendor_consents !== undefined) {
    if (!state.tcf_vendor_consents.includes(rule.tcfVendorId)) reasons.push(`consent.tcf_vendor_missing:${rule.tcfVendorId}`);
  }
  if (reasons.length === 0) return { action: 'send', reasons };
  return { action: rule.whenDenied, reasons: [...new Set(reasons)] };
}

/**
 * Which purpose gates which first-party identity cookie. tagrelay reads or writes a cookie only
 * when its purpose is granted (ePrivacy Art. 5(3): storing or reading on the device needs consent
 * unless strictly necessary).
 *
 * | cookie                       | purpose             | why                                      |
 * |------------------------------|---------------------|------------------------------------------|
 * | `_ga`, `_ga_<id>` (client id)| `analytics_storage` | GA4 client id, measures returning visits |
 * | session cookie (session id)  | `analytics_storage` | session counting for analytics           |
 * | `_fbp`                       | `ad_storage`        | Meta browser id, used for ads            |
 * | `_fbc`                       | `ad_storage`        | Meta click id, ad attribution            |
 * | `_ttp` (read only)           | `ad_storage`        | TikTok browser id, used for ads          |
 */
export const COOKIE_PURPOSES = {
  _ga: 'analytics_storage',
  session: 'analytics_storage',
  _fbp: 'ad_storage',
  _fbc: 'ad_storage',
  _ttp: 'ad_storage',
} as const satisfies Record<string, Purpose>;

/** A cookie kind of {@link COOKIE_PURPOSES}. */
export type IdentityCookie = keyof typeof COOKIE_PURPOSES;

/** Storage permissions derived from a consent state. */
export interface StoragePermissions {
  /** `_ga` and the session cookie may be read and written. */
  analytics: boolean;
  /** `_fbp` and `_fbc` may be read and written. */
  ads: boolean;
  /** Any identity cookie at all (analytics or ads). */
  any: boolean;
}

/** Which identity cookies may be read or written (see {@link COOKIE_PURPOSES}). */
export function storageAllowed(state: ConsentState): StoragePermissions {
  const analytics = state.purposes.analytics_storage.value === 'granted';
  const ads = state.purposes.ad_storage.value === 'granted';
  return { analytics, ads, any: analytics || ads };
}

/** True when one identity cookie may be read or written. */
export function cookieAllowed(state: ConsentState, cookie: IdentityCookie): boolean {
  return state.purposes[COOKIE_PURPOSES[cookie]].value === 'granted';
}
