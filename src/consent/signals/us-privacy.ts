/**
 * @module IAB US Privacy string (CCPA), e.g. `1YYN`: version, notice given, opted out of sale, LSPA covered.
 *
 * Spec: https://github.com/InteractiveAdvertisingBureau/USPrivacy (each of the last three
 * characters is `Y`, `N` or `-` for not applicable). The format is deprecated in favour of GPP but
 * still widely sent.
 */
import { SALE_SHARE_PURPOSES, emptySignal, type DecodedSignal } from './types.js';

const PATTERN = /^1[YN-][YN-][YN-]$/;

/** Decode a US Privacy string. Opt-out `Y` denies ad_user_data and ad_personalization (`consent.us_privacy_opt_out`). */
export function decodeUsPrivacy(usp: string | undefined): DecodedSignal {
  if (usp === undefined || usp === '') return emptySignal();
  const text = usp.trim().toUpperCase();
  if (!PATTERN.test(text)) return emptySignal(['consent.us_privacy_invalid']);
  const out = emptySignal();
  if (text.charAt(2) === 'Y') {
    for (const p of SALE_SHARE_PURPOSES) out.purposes[p] = { value: 'denied', reason: 'consent.us_privacy_opt_out' };
  }
  return out;
}
