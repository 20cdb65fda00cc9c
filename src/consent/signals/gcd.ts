/**
 * @module Google Consent Mode `gcd` (e.g. `13r3r3r2r5l1`, `11t1t1t1t5`): default and update state per purpose.
 *
 * Layout: a leading `1`, then four pairs `<x><letter>` for ad_storage, analytics_storage,
 * ad_user_data, ad_personalization (in that order), then `5` and optional trailing fields
 * (ads_data_redaction, container-scoped defaults) that we do not read. Only the letter matters:
 * its index in the alphabet `0-9a-zA-Z-_` holds the default state in bits 2–3 and the update
 * state in bits 0–1, each `1` = not set, `2` = denied, `3` = granted.
 *
 * | letter | default | update  |   | letter | default | update  |
 * |--------|---------|---------|---|--------|---------|---------|
 * | `l`    | –       | –       |   | `t`    | granted | –       |
 * | `p`    | denied  | –       |   | `u`    | granted | denied  |
 * | `q`    | denied  | denied  |   | `v`    | granted | granted |
 * | `r`    | denied  | granted |   | `m`    | –       | denied  |
 * | `n`    | –       | granted |   | `e`    | granted | denied  |
 *
 * Google does not document gcd. Sources: the "Google Consent Parser" server-side GTM template by
 * Analytics Debugger S.L.U. (David Vallejo, 2025; bit layout above) and
 * https://www.perspection.app/library/google-consent-mode-v2-gcs-gcd-parameters-decoded.
 */
import type { ConsentValue, Purpose } from '../purposes.js';
import { emptySignal, type DecodedSignal } from './types.js';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_';
const ORDER: readonly Purpose[] = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'];
const PATTERN = /^1(?:[0-9A-Za-z_-]{2}){4}[0-9A-Za-z_-]*$/;

/** The gcd split into the site's defaults and the (user-driven) updates. */
export interface GcdSignal {
  /** Updates (`gtag('consent', 'update', …)`): reasons `consent.gcd_update_granted|denied`. */
  update: DecodedSignal;
  /** Defaults (`gtag('consent', 'default', …)`): reasons `consent.gcd_default_granted|denied`. */
  defaults: DecodedSignal;
}

function state(bits: number): ConsentValue | undefined {
  if (bits === 3) return 'granted';
  if (bits === 2) return 'denied';
  return undefined;
}

/** Decode a gcd value; an invalid one yields the note `consent.gcd_invalid` and no decisions. */
export function decodeGcd(gcd: string | undefined): GcdSignal {
  const none: GcdSignal = { update: emptySignal(), defaults: emptySignal() };
  if (gcd === undefined || gcd === '') return none;
  const text = gcd.trim();
  if (!PATTERN.test(text)) return { update: emptySignal(['consent.gcd_invalid']), defaults: emptySignal() };
  const out: GcdSignal = { update: emptySignal(), defaults: emptySignal() };
  ORDER.forEach((purpose, i) => {
    const code = ALPHABET.indexOf(text.charAt(2 + i * 2));
    const def = state((code >> 2) & 3);
    const upd = state(code & 3);
    if (def) out.defaults.purposes[purpose] = { value: def, reason: `consent.gcd_default_${def}` };
    if (upd) out.update.purposes[purpose] = { value: upd, reason: `consent.gcd_update_${upd}` };
  });
  return out;
}
