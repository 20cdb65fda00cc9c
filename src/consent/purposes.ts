/**
 * @module Consent purposes (Google Consent Mode v2 names) and the resolved consent state.
 */

/** Canonical purposes, named as in Google Consent Mode v2. */
export const PURPOSES = [
  'ad_storage',
  'analytics_storage',
  'ad_user_data',
  'ad_personalization',
  'functionality_storage',
  'personalization_storage',
  'security_storage',
] as const;

export type Purpose = (typeof PURPOSES)[number];

export type ConsentValue = 'granted' | 'denied';

/** Which signal decided a purpose. */
export type ConsentSource =
  | 'explicit'
  | 'receipt'
  | 'gcd'
  | 'gcs'
  | 'tcf'
  | 'gpp'
  | 'us_privacy'
  | 'gpc'
  | 'cookie'
  | 'region_default';

/** One purpose's resolution, with the signal that decided it and a reason code. */
export interface PurposeDecision {
  value: ConsentValue;
  source: ConsentSource;
  /** Machine-readable reason, e.g. `consent.region_default_opt_in`, `consent.tcf_purpose_missing:7`. */
  reason: string;
}

/** The resolved consent for one event. */
export interface ConsentState {
  purposes: Record<Purpose, PurposeDecision>;
  /** Region the policy was chosen for (`DE`, `US-CA`, …) or `unknown`. */
  region: string;
  /** The policy applied when no signal decided (`opt_in` / `opt_out` / …). */
  policy: string;
  /** The `regions` config key that chose the policy (`US-CA`, `US`, `EEA`, `default`), or `strictest` for an unknown region. */
  policy_key?: string;
  policy_version: string;
  /** Meta Limited Data Use applies (GPC or a US opt-out signal in an opt-out region). */
  limited_data_use: boolean;
  /** Decoded TCF vendor consents, when a TC string was present, for per-destination vendor checks. */
  tcf_vendor_consents?: number[];
  /** Notes on signals that were present but ignored or invalid. */
  notes: string[];
}

/** True when every listed purpose is granted. */
export function allGranted(state: ConsentState, purposes: readonly Purpose[]): boolean {
  return purposes.every((p) => state.purposes[p].value === 'granted');
}
