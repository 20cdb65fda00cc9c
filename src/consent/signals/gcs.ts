/**
 * @module Google Consent Mode `gcs` (`G1xy`): x = ad_storage, y = analytics_storage.
 *
 * Each position is `1` granted, `0` denied, `-` not set. gcs carries the state after any update,
 * without telling a default from a user's update (gcd does that).
 */
import type { Purpose } from '../purposes.js';
import { emptySignal, type DecodedSignal } from './types.js';

const PATTERN = /^G1([01-])([01-])$/;
const ORDER: readonly Purpose[] = ['ad_storage', 'analytics_storage'];

/** Decode a gcs value; an invalid one yields the note `consent.gcs_invalid` and no decisions. */
export function decodeGcs(gcs: string | undefined): DecodedSignal {
  if (gcs === undefined || gcs === '') return emptySignal();
  const m = PATTERN.exec(gcs.trim());
  if (!m) return emptySignal(['consent.gcs_invalid']);
  const out = emptySignal();
  ORDER.forEach((purpose, i) => {
    const c = m[i + 1];
    if (c === '1') out.purposes[purpose] = { value: 'granted', reason: 'consent.gcs_granted' };
    else if (c === '0') out.purposes[purpose] = { value: 'denied', reason: 'consent.gcs_denied' };
  });
  return out;
}
