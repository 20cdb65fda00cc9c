/**
 * @module Consent resolution: every signal of one event → one {@link ConsentState}, each purpose with source and reason.
 */
import { LRUCache } from 'lru-cache';
import type { ConsentSignals } from '../event.js';
import type { ConsentConfig, Policy } from './config.js';
import { PURPOSES, type ConsentSource, type ConsentState, type ConsentValue, type Purpose, type PurposeDecision } from './purposes.js';
import { policyFor, resolveRegion } from './regions.js';
import { decodeExplicit } from './signals/explicit.js';
import { decodeGcd } from './signals/gcd.js';
import { decodeGcs } from './signals/gcs.js';
import { decodeGpc } from './signals/gpc.js';
import { decodeGpp } from './signals/gpp.js';
import { decodeTcf } from './signals/tcf.js';
import { SALE_SHARE_PURPOSES, emptySignal, type DecodedSignal } from './signals/types.js';
import { decodeUsPrivacy } from './signals/us-privacy.js';

/** What the consent stage knows about one event. */
export interface ResolveInput {
  /** Signals from the event / batch context (`event.consent`). */
  signals: ConsentSignals;
  /** Lower-cased request headers (geo headers, `sec-gpc`). */
  headers: Record<string, string>;
  /** Purposes from a verified consent receipt cookie (see `verifyReceipt`). */
  receipt?: Partial<Record<Purpose, ConsentValue>>;
}

interface Layer {
  source: ConsentSource;
  signal: DecodedSignal;
}

/** Purposes that need no consent anywhere: strictly necessary storage (ePrivacy Art. 5(3) exemption). */
const STRICTLY_NECESSARY: ReadonlySet<Purpose> = new Set(['security_storage']);
/** Under `notice`, purposes that share data with third parties for ads stay denied until granted. */
const NOTICE_DENIED: ReadonlySet<Purpose> = new Set(['ad_storage', 'ad_user_data', 'ad_personalization']);

function regionDefault(purpose: Purpose, policy: Policy): PurposeDecision {
  if (STRICTLY_NECESSARY.has(purpose)) return { value: 'granted', source: 'region_default', reason: 'consent.strictly_necessary' };
  if (policy === 'opt_in') return { value: 'denied', source: 'region_default', reason: 'consent.region_default_opt_in' };
  if (policy === 'notice') {
    const value: ConsentValue = NOTICE_DENIED.has(purpose) ? 'denied' : 'granted';
    return { value, source: 'region_default', reason: 'consent.region_default_notice' };
  }
  return { value: 'granted', source: 'region_default', reason: 'consent.region_default_opt_out' };
}

function receiptSignal(receipt: ResolveInput['receipt']): DecodedSignal {
  const out = emptySignal();
  for (const p of PURPOSES) {
    const v = receipt?.[p];
    if (v === 'granted' || v === 'denied') out.purposes[p] = { value: v, reason: `consent.receipt_${v}` };
  }
  return out;
}

function onlyDenials(signal: DecodedSignal): DecodedSignal {
  const out = emptySignal();
  for (const [p, d] of Object.entries(signal.purposes)) if (d.value === 'denied') out.purposes[p as Purpose] = d;
  return out;
}

/**
 * Resolve the consent state of one event. Pure: same input and config, same state.
 *
 * Precedence, strongest first — the first signal that states a purpose decides it:
 *
 * | # | signal                              | source           | can grant | reason codes                                   |
 * |---|-------------------------------------|------------------|-----------|------------------------------------------------|
 * | 1 | explicit purpose keys in the event  | `explicit`       | yes       | `consent.explicit_granted` / `_denied`         |
 * | 2 | consent receipt cookie              | `receipt`        | yes       | `consent.receipt_granted` / `_denied`          |
 * | 3 | Consent Mode `gcd`, update state    | `gcd`            | yes       | `consent.gcd_update_granted` / `_denied`       |
 * | 4 | Consent Mode `gcs`                  | `gcs`            | yes       | `consent.gcs_granted` / `_denied`              |
 * | 5 | IAB TCF v2.2 (`tcf`, or GPP sec. 2) | `tcf`            | yes       | `consent.tcf_purposes_granted`, `consent.tcf_purpose_missing:<n>`, `consent.tcf_invalid` |
 * | 6 | Consent Mode `gcd`, default state   | `gcd`            | no (deny) | `consent.gcd_default_denied`                   |
 * | 7 | region policy default               | `region_default` | yes       | `consent.region_default_opt_in` / `_opt_out` / `_notice`, `consent.strictly_necessary` |
 *
 * Opt-out signals are applied last, over the table, and can only deny: GPP (US sections,
 * USP section, unreadable string), the US Privacy string, and GPC (`Sec-GPC: 1`, or the GPC flag of
 * a GPP US section — only where the region's policy is not `opt_in`). They deny `ad_user_data` and
 * `ad_personalization` (sale/sharing of personal data) and set `limited_data_use`, whatever rows
 * 1 and 3–7 said: CCPA/CPRA (Cal. Civ. Code § 1798.120, 11 CCR § 7025) and the other state laws
 * make an opt-out binding, and a site's default or a CMP's `granted` does not show the consumer
 * chose otherwise. Only a consent receipt (row 2, recorded when the visitor confirmed a choice
 * through our consent endpoint) outranks an opt-out, as 11 CCR § 7025(c)(3) allows for a
 * consumer-confirmed business-specific setting.
 *
 * `security_storage` is granted by default everywhere (strictly necessary); a signal may still deny it.
 * An unknown region gets the strictest configured policy.
 *
 * @example
 * resolveConsent({ signals: { gcs: 'G111' }, headers: { 'cf-ipcountry': 'DE' } }, config)
 * // ad_storage/analytics_storage granted by gcs; ad_user_data denied by region_default (opt_in)
 */
export function resolveConsent(input: ResolveInput, config: ConsentConfig): ConsentState {
  const region = resolveRegion(input.headers, config);
  const { policy, matched } = policyFor(region, config);
  const signals = input.signals;

  const explicit = decodeExplicit(signals);
  const gcd = decodeGcd(signals.gcd);
  const gcs = decodeGcs(signals.gcs);
  const gpp = decodeGpp(signals.gpp, signals.gpp_sid);
  const tcf = signals.tcf !== undefined && signals.tcf !== '' ? decodeTcf(signals.tcf) : gpp.tcf;
  const usp = decodeUsPrivacy(signals.us_privacy);
  const gpcHeader = decodeGpc(input.headers);
  const gpcPresent = Object.keys(gpcHeader.purposes).length > 0 || gpp.gpc;
  const notes = [
    ...explicit.notes,
    ...gcd.update.notes,
    ...gcs.notes,
    ...(tcf?.notes ?? []),
    ...gpp.notes,
    ...usp.notes,
  ];

  const layers: Layer[] = [
    { source: 'explicit', signal: explicit },
    { source: 'receipt', signal: receiptSignal(input.receipt) },
    { source: 'gcd', signal: gcd.update },
    { source: 'gcs', signal: gcs },
    { source: 'tcf', signal: tcf ?? emptySignal() },
    { source: 'gcd', signal: onlyDenials(gcd.defaults) },
  ];

  const purposes = {} as Record<Purpose, PurposeDecision>;
  for (const p of PURPOSES) {
    const hit = layers.find((l) => l.signal.purposes[p]);
    const d = hit?.signal.purposes[p];
    purposes[p] = hit && d ? { value: d.value, source: hit.source, reason: d.reason } : regionDefault(p, policy);
  }

  const optOuts: Layer[] = [
    { source: 'gpp', signal: gpp },
    { source: 'us_privacy', signal: usp },
  ];
  if (gpcPresent) {
    if (policy === 'opt_in') notes.push('consent.gpc_not_applied_opt_in');
    else optOuts.push({ source: 'gpc', signal: decodeGpc({ 'sec-gpc': '1' }) });
  }
  let limitedDataUse = false;
  for (const p of SALE_SHARE_PURPOSES) {
    const optOut = optOuts.find((l) => l.signal.purposes[p]?.value === 'denied');
    if (!optOut) continue;
    const current = purposes[p];
    if (current.source === 'receipt' && current.value === 'granted') continue;
    limitedDataUse = true;
    if (current.value === 'granted' || current.source === 'region_default') {
      purposes[p] = { value: 'denied', source: optOut.source, reason: optOut.signal.purposes[p]!.reason };
    }
  }

  return {
    purposes,
    region,
    policy,
    policy_key: matched,
    policy_version: config.policy_version,
    limited_data_use: limitedDataUse,
    ...(tcf ? { tcf_vendor_consents: tcf.vendorConsents } : {}),
    notes: [...new Set(notes)],
  };
}

/**
 * {@link resolveConsent} with a bounded memo keyed by everything it reads (the geo headers, Sec-GPC,
 * the signals, the receipt): visitors share a handful of combinations, and decoding TC and GPP
 * strings per event was a visible share of ingest CPU. Headers must be lower-cased (as requests
 * give them). The returned state is shared between events: treat it as read-only.
 *
 * @example
 * const resolve = createConsentResolver(config.consent)
 * const state = resolve({ signals, headers })
 */
export function createConsentResolver(config: ConsentConfig, size = 5000): (input: ResolveInput) => ConsentState {
  const cache = new LRUCache<string, ConsentState>({ max: size });
  const geo = config.geo_headers.map((h) => h.toLowerCase());
  return (input) => {
    let key = '';
    for (const h of geo) key += `${input.headers[h] ?? ''}\u0001`;
    key += `${input.headers['sec-gpc'] ?? ''}\u0001${JSON.stringify(input.signals)}\u0001${input.receipt ? JSON.stringify(input.receipt) : ''}`;
    let state = cache.get(key);
    if (!state) {
      state = resolveConsent(input, config);
      cache.set(key, state);
    }
    return state;
  };
}
