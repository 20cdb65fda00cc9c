/**
 * @module Global Privacy Control: the `Sec-GPC: 1` request header (https://privacycg.github.io/gpc-spec/).
 *
 * Under the CCPA/CPRA (11 CCR § 7025) and Colorado's rules a GPC signal is a valid request to opt
 * out of the sale and sharing of personal data. Whether it applies depends on the region's policy,
 * which the resolver decides; this decoder only reads the header.
 */
import { SALE_SHARE_PURPOSES, emptySignal, type DecodedSignal } from './types.js';

/** True when the request carries `Sec-GPC: 1` (header names lower-cased). */
export function hasGpc(headers: Record<string, string>): boolean {
  const value = headers['sec-gpc'] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === 'sec-gpc')?.[1];
  return value?.trim() === '1';
}

/** The GPC opt-out as decisions: ad_user_data and ad_personalization denied (`consent.gpc_opt_out`). */
export function decodeGpc(headers: Record<string, string>): DecodedSignal {
  const out = emptySignal();
  if (!hasGpc(headers)) return out;
  for (const p of SALE_SHARE_PURPOSES) out.purposes[p] = { value: 'denied', reason: 'consent.gpc_opt_out' };
  return out;
}
