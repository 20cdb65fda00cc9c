/**
 * @module IAB TCF v2.2 TC string → consent purposes, the way Google maps TCF for its vendor id 755.
 *
 * Google's mapping (https://developers.google.com/tag-platform/security/guides/implement-TCF-strings):
 * Purpose 1 denied → ad_storage and ad_user_data denied; Purpose 3 or 4 denied → ad_personalization
 * denied; Purpose 7 denied → ad_user_data denied. Google's TCF integration does not govern
 * analytics cookies; we require Purpose 1 (device access, ePrivacy Art. 5(3)) and Purpose 8
 * (Measure content performance, the TCF purpose for site analytics) for analytics_storage.
 *
 * Purposes 1, 3 and 4 need the user's consent bit (TCF v2.2 allows no legitimate interest for
 * 3–6, and device access always needs consent). Purposes 7 and 8 may also rest on an established
 * legitimate interest the user did not object to, as TCF v2.2 permits and Google accepts for 7.
 */
import { TCString } from '@iabtcf/core';
import type { Purpose } from '../purposes.js';
import { emptySignal, type DecodedSignal } from './types.js';

/** Required TCF purposes per consent purpose. */
export const TCF_PURPOSE_MAP: Readonly<Partial<Record<Purpose, readonly number[]>>> = {
  ad_storage: [1],
  analytics_storage: [1, 8],
  ad_user_data: [1, 7],
  ad_personalization: [3, 4],
};

/** TCF purposes that may be satisfied by legitimate interest instead of consent. */
const LI_ALLOWED: ReadonlySet<number> = new Set([7, 8]);

/** What a TC string says, beyond the purpose decisions. */
export interface TcfSignal extends DecodedSignal {
  valid: boolean;
  /** Purposes (1–11) the user consented to. */
  purposeConsents: number[];
  /** Purposes with legitimate interest established and not objected to. */
  legitimateInterests: number[];
  specialFeatureOptins: number[];
  /** Vendors with consent; empty when the string is invalid, so every vendor check fails. */
  vendorConsents: number[];
}

interface BitVector {
  forEach(fn: (value: boolean, id: number) => void): void;
}

function ids(vector: BitVector, max = Number.MAX_SAFE_INTEGER): number[] {
  const out: number[] = [];
  vector.forEach((value, id) => {
    if (value && id <= max) out.push(id);
  });
  return out;
}

function invalid(): TcfSignal {
  const out: TcfSignal = {
    ...emptySignal(['consent.tcf_invalid']),
    valid: false,
    purposeConsents: [],
    legitimateInterests: [],
    specialFeatureOptins: [],
    vendorConsents: [],
  };
  for (const purpose of Object.keys(TCF_PURPOSE_MAP) as Purpose[]) {
    out.purposes[purpose] = { value: 'denied', reason: 'consent.tcf_invalid' };
  }
  return out;
}

/**
 * Decode a TC string. Never throws: an unreadable string denies every TCF-covered purpose with
 * reason `consent.tcf_invalid`. A missing purpose denies with `consent.tcf_purpose_missing:<n>`.
 */
export function decodeTcf(tcString: string): TcfSignal {
  let model: ReturnType<typeof TCString.decode>;
  try {
    model = TCString.decode(tcString.trim());
    // The decoder accepts some truncated inputs without a core segment; require TCF v2.
    if (Number(model.version) !== 2) return invalid();
  } catch {
    return invalid();
  }
  const purposeConsents = ids(model.purposeConsents, 11);
  const legitimateInterests = ids(model.purposeLegitimateInterests, 11);
  const consented = new Set(purposeConsents);
  const li = new Set(legitimateInterests);
  const out: TcfSignal = {
    ...emptySignal(),
    valid: true,
    purposeConsents,
    legitimateInterests,
    specialFeatureOptins: ids(model.specialFeatureOptins),
    vendorConsents: ids(model.vendorConsents),
  };
  for (const [purpose, required] of Object.entries(TCF_PURPOSE_MAP) as [Purpose, readonly number[]][]) {
    const missing = required.find((n) => !(consented.has(n) || (LI_ALLOWED.has(n) && li.has(n))));
    out.purposes[purpose] =
      missing === undefined
        ? { value: 'granted', reason: 'consent.tcf_purposes_granted' }
        : { value: 'denied', reason: `consent.tcf_purpose_missing:${missing}` };
  }
  return out;
}
