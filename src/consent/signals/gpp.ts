/**
 * @module IAB Global Privacy Platform string (`consent.gpp` + `gpp_sid`): header, US sections, embedded TCF and USP.
 *
 * Spec: https://github.com/InteractiveAdvertisingBureau/Global-Privacy-Platform (Core/Consent String
 * Specification; Sections/US-National and Sections/US-States). A GPP string is
 * `<header>~<section>~<section>…`; the header lists the section ids in order. Each US section's
 * core segment starts with Version int(6) and a run of int(2) fields; the opt-out fields use
 * `1` = opted out, `2` = did not opt out, `0` = not applicable. An optional second segment
 * (after `.`) is the GPC sub-section: SubsectionType int(2) = 1, then Gpc bool.
 */
import type { Purpose } from '../purposes.js';
import { BitReader } from './gpp-bits.js';
import { decodeTcf, type TcfSignal } from './tcf.js';
import { SALE_SHARE_PURPOSES, emptySignal, type DecodedSignal } from './types.js';
import { decodeUsPrivacy } from './us-privacy.js';

/** Bit offsets (from the start of the core segment) of the opt-out fields per US section. */
interface UsSectionLayout {
  name: string;
  versions: readonly number[];
  sale?: number;
  sharing?: number;
  targeted?: number;
}

const US_SECTIONS: Readonly<Record<number, UsSectionLayout>> = {
  // usnat v1 and v2 share the leading fields: 6 notices after Version, then the three opt-outs.
  7: { name: 'usnat', versions: [1, 2], sale: 18, sharing: 20, targeted: 22 },
  8: { name: 'usca', versions: [1], sale: 12, sharing: 14 },
  9: { name: 'usva', versions: [1], sale: 12, targeted: 14 },
  10: { name: 'usco', versions: [1], sale: 12, targeted: 14 },
  11: { name: 'usut', versions: [1], sale: 14, targeted: 16 },
  12: { name: 'usct', versions: [1], sale: 12, targeted: 14 },
};

const TCF_EU_V2 = 2;
const USP_V1 = 6;

/** What a GPP string says. Opt-outs appear as denials of ad_user_data and ad_personalization. */
export interface GppSignal extends DecodedSignal {
  valid: boolean;
  /** Section ids listed in the header. */
  sectionIds: number[];
  /** Section ids that were read (header ∩ `gpp_sid`, when given). */
  applied: number[];
  /** The embedded TCF EU v2 section, decoded, when present and applicable. */
  tcf?: TcfSignal;
  /** A US section's GPC sub-section says the browser sent Global Privacy Control. */
  gpc: boolean;
}

function denySaleShare(out: DecodedSignal, reason: string): void {
  for (const p of SALE_SHARE_PURPOSES) {
    // Keep the first reason: it names the signal that opted the user out.
    out.purposes[p] ??= { value: 'denied', reason };
  }
}

function invalid(header: number[] = []): GppSignal {
  const out: GppSignal = { ...emptySignal(['consent.gpp_invalid']), valid: false, sectionIds: header, applied: [], gpc: false };
  // An unreadable string may hide an opt-out: treat it as one, like an unreadable TC string.
  denySaleShare(out, 'consent.gpp_invalid');
  return out;
}

function parseSid(sid: string | undefined): number[] | undefined {
  if (sid === undefined || sid.trim() === '') return undefined;
  return sid
    .split(/[,_]/)
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n));
}

function readUsSection(id: number, text: string, out: GppSignal): void {
  const layout = US_SECTIONS[id]!;
  const [core = '', gpcSegment] = text.split('.');
  const reader = new BitReader(core);
  const version = reader.int(6);
  if (!layout.versions.includes(version)) {
    out.notes.push(`consent.gpp_section_unsupported:${id}`);
    denySaleShare(out, `consent.gpp_section_unsupported:${id}`);
    return;
  }
  const fields: [keyof UsSectionLayout, string][] = [
    ['sale', 'consent.gpp_sale_opt_out'],
    ['sharing', 'consent.gpp_sharing_opt_out'],
    ['targeted', 'consent.gpp_targeted_ads_opt_out'],
  ];
  for (const [field, reason] of fields) {
    const offset = layout[field] as number | undefined;
    if (offset === undefined) continue;
    const r = new BitReader(core);
    r.skip(offset);
    if (r.int(2) === 1) denySaleShare(out, reason);
  }
  if (gpcSegment) {
    const g = new BitReader(gpcSegment);
    if (g.int(2) === 1 && g.bool()) out.gpc = true;
  }
}

/**
 * Decode a GPP string. Never throws. An unreadable string (bad header, section count mismatch,
 * bad base64url) denies ad_user_data and ad_personalization with `consent.gpp_invalid`.
 *
 * @param gpp the GPP string
 * @param gppSid the applicable section ids (`gpp_sid`, comma-separated); `-1` means GPP does not apply
 */
export function decodeGpp(gpp: string | undefined, gppSid?: string): GppSignal {
  const base: GppSignal = { ...emptySignal(), valid: true, sectionIds: [], applied: [], gpc: false };
  if (gpp === undefined || gpp.trim() === '') return base;
  const sid = parseSid(gppSid);
  if (sid?.includes(-1)) return { ...base, notes: ['consent.gpp_not_applicable'] };

  const [headerText = '', ...sections] = gpp.trim().split('~');
  let sectionIds: number[];
  try {
    const header = new BitReader(headerText);
    if (header.int(6) !== 3 || header.int(6) !== 1) return invalid();
    sectionIds = header.fibonacciRange();
  } catch {
    return invalid();
  }
  if (sectionIds.length !== sections.length || sectionIds.length === 0) return invalid(sectionIds);

  const out: GppSignal = { ...base, sectionIds };
  try {
    sectionIds.forEach((id, i) => {
      if (sid && !sid.includes(id)) return;
      const text = sections[i]!;
      out.applied.push(id);
      if (id === TCF_EU_V2) {
        out.tcf = decodeTcf(text);
      } else if (id === USP_V1) {
        const usp = decodeUsPrivacy(text);
        out.notes.push(...usp.notes);
        for (const [p, d] of Object.entries(usp.purposes)) out.purposes[p as Purpose] ??= d;
      } else if (US_SECTIONS[id]) {
        readUsSection(id, text, out);
      } else {
        out.notes.push(`consent.gpp_section_ignored:${id}`);
      }
    });
  } catch {
    return invalid(sectionIds);
  }
  for (const id of sid ?? []) {
    if (!sectionIds.includes(id)) out.notes.push(`consent.gpp_sid_missing:${id}`);
  }
  return out;
}
