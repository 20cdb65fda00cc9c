/**
 * @module Reason codes of the consent engine in words: kept for compatibility, the words live in src/reasons/.
 */
import { CONSENT_REASONS } from '../reasons/consent.js';
import { describeReason as describeAny, isKnownReason as isKnownAny } from '../reasons/catalog.js';

/** Every reason code the consent engine emits, without its `:<argument>` part. */
export const REASON_CODES: readonly string[] = Object.keys(CONSENT_REASONS);

/** True when {@link describeReason} knows the code (any area of the catalog, not only `consent.*`). */
export function isKnownReason(code: string): boolean {
  return isKnownAny(code);
}

/**
 * Describe a reason code in plain words (delegates to the catalog in src/reasons/catalog.ts, which
 * covers every area: consent, privacy, identity, bot, ga4, meta, retention and delivery errors).
 * Codes may carry an argument after `:` (`consent.tcf_purpose_missing:7`).
 *
 * @example
 * describeReason('consent.tcf_purpose_missing:7')
 * // "The IAB TCF consent string lacks the visitor's consent for TCF Purpose 7 (Measure advertising performance), …"
 */
export function describeReason(code: string): string {
  return describeAny(code);
}
