/**
 * @module Reason codes of the consent engine (`consent.*`) in words a privacy officer reads.
 */
import type { ReasonTable } from './types.js';

/** TCF v2.2 purpose names (IAB Europe, Policies Appendix A). */
const TCF_PURPOSES: Readonly<Record<string, string>> = {
  '1': 'Store and/or access information on a device',
  '2': 'Use limited data to select advertising',
  '3': 'Create profiles for personalised advertising',
  '4': 'Use profiles to select personalised advertising',
  '5': 'Create profiles to personalise content',
  '6': 'Use profiles to select personalised content',
  '7': 'Measure advertising performance',
  '8': 'Measure content performance',
  '9': 'Understand audiences through statistics or combinations of data from different sources',
  '10': 'Develop and improve services',
  '11': 'Use limited data to select content',
};

/** GPP section ids and their names (IAB GPP Section Information). */
const GPP_SECTIONS: Readonly<Record<string, string>> = {
  '2': 'EU TCF v2', '5': 'Canadian TCF', '6': 'US Privacy (USP v1)', '7': 'US National (usnat)',
  '8': 'California (usca)', '9': 'Virginia (usva)', '10': 'Colorado (usco)', '11': 'Utah (usut)', '12': 'Connecticut (usct)',
};

/**
 * Consent engine codes (src/consent/): how each purpose was decided, ignored signals, and the gate.
 */
export const CONSENT_REASONS: ReasonTable = {
  'consent.explicit_granted': () => 'The site reported that the visitor granted this purpose.',
  'consent.explicit_denied': () => 'The site reported that the visitor denied this purpose.',
  'consent.unknown_purpose': (k) => `The site sent a consent state for "${k}", which is not a known purpose; it was ignored.`,
  'consent.invalid_value': (p) => `The site sent a consent state for ${p} that is neither "granted" nor "denied"; it was ignored.`,
  'consent.receipt_granted': () => 'The visitor granted this purpose earlier, as recorded in their signed consent receipt.',
  'consent.receipt_denied': () => 'The visitor denied this purpose earlier, as recorded in their signed consent receipt.',
  'consent.receipt_invalid': () => 'The consent receipt cookie was missing a valid signature, was altered or had expired; it was ignored.',
  'consent.gcd_update_granted': () => "Google Consent Mode (gcd) shows the visitor's consent banner granted this purpose.",
  'consent.gcd_update_denied': () => "Google Consent Mode (gcd) shows the visitor's consent banner denied this purpose.",
  'consent.gcd_default_granted': () => "Google Consent Mode (gcd) shows the site's default granted this purpose (not a visitor choice).",
  'consent.gcd_default_denied': () => "Google Consent Mode (gcd) shows the site's default denies this purpose and the visitor has not changed it.",
  'consent.gcd_invalid': () => 'The Google Consent Mode gcd value could not be read; it was ignored.',
  'consent.gcs_granted': () => 'Google Consent Mode (gcs) reports this storage purpose as granted.',
  'consent.gcs_denied': () => 'Google Consent Mode (gcs) reports this storage purpose as denied.',
  'consent.gcs_invalid': () => 'The Google Consent Mode gcs value could not be read; it was ignored.',
  'consent.tcf_purposes_granted': () => 'The IAB TCF consent string grants every TCF purpose this purpose requires.',
  'consent.tcf_purpose_missing': (n) =>
    `The IAB TCF consent string lacks the visitor's consent for TCF Purpose ${n} (${TCF_PURPOSES[n] ?? 'unknown purpose'}), so this purpose is denied.`,
  'consent.tcf_invalid': () => 'An IAB TCF consent string was sent but could not be read, so every purpose it covers is denied.',
  'consent.tcf_vendor_missing': (id) => `The IAB TCF consent string does not grant consent to this destination's vendor (TCF vendor id ${id}); under the TCF Policies a vendor needs its own consent, not only the purposes'.`,
  'consent.gpc_opt_out': () => 'The browser sent Global Privacy Control, a legally valid opt-out of the sale and sharing of personal data in this region (CCPA § 1798.120, 11 CCR § 7025).',
  'consent.gpc_not_applied_opt_in': () => 'The browser sent Global Privacy Control; in this opt-in region nothing is shared without consent anyway.',
  'consent.us_privacy_opt_out': () => 'The US Privacy string says the visitor opted out of the sale of their personal data (CCPA § 1798.120).',
  'consent.us_privacy_invalid': () => 'The US Privacy string could not be read; it was ignored.',
  'consent.gpp_sale_opt_out': () => 'The Global Privacy Platform string says the visitor opted out of the sale of their personal data.',
  'consent.gpp_sharing_opt_out': () => 'The Global Privacy Platform string says the visitor opted out of the sharing of their personal data.',
  'consent.gpp_targeted_ads_opt_out': () => 'The Global Privacy Platform string says the visitor opted out of targeted advertising.',
  'consent.gpp_invalid': () => 'The Global Privacy Platform string could not be read; it is treated as an opt-out of sale and sharing.',
  'consent.gpp_not_applicable': () => 'The site marked the Global Privacy Platform string as not applicable (gpp_sid -1); it was ignored.',
  'consent.gpp_section_unsupported': (id) =>
    `The Global Privacy Platform section ${GPP_SECTIONS[id] ?? id} uses a version we cannot read; it is treated as an opt-out of sale and sharing.`,
  'consent.gpp_section_ignored': (id) => `The Global Privacy Platform section ${GPP_SECTIONS[id] ?? id} is not evaluated by tagrelay; it was ignored.`,
  'consent.gpp_sid_missing': (id) => `gpp_sid names section ${GPP_SECTIONS[id] ?? id}, but the Global Privacy Platform string does not contain it.`,
  'consent.region_default_opt_in': () => "No consent signal decided this purpose, and the visitor's region requires opt-in consent: denied (GDPR Art. 6(1)(a), ePrivacy Art. 5(3)).",
  'consent.region_default_opt_out': () => "No consent signal decided this purpose, and the visitor's region allows processing until they opt out: granted.",
  'consent.region_default_notice': () =>
    "No consent signal decided this purpose; the visitor's region requires notice: storage for the site itself is allowed, advertising purposes are denied.",
  'consent.strictly_necessary': () => 'Strictly necessary storage (security, fraud prevention) needs no consent (ePrivacy Art. 5(3) exemption).',
  'consent.purpose_denied': (p) => `The destination needs ${p}, which is not granted.`,
};
