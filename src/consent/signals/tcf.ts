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
 *
 * The string is read here, with the GPP bit reader, per IAB Tech Lab "Transparency and Consent String
 * with Global Vendor & CMP List Formats" v2.2 (github.com/InteractiveAdvertisingBureau/
 * GDPR-Transparency-and-Consent-Framework, TCFv2/IAB Tech Lab - Consent string and vendor list formats v2.md):
 * synchronous (consent resolution is) and with nothing to load at start, where @iabtcf/core costs ~55
 * modules. It accepts what @iabtcf/core's decoder accepts, with one exception: a second core segment
 * after the first, which the library decodes over the first, is refused. test/consent/tcf.test.ts
 * checks it against that library on generated and real strings.
 */
import type { Purpose } from '../purposes.js';
import { BitReader } from './gpp-bits.js';
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

/** Thrown inside the decoder for a string @iabtcf/core would refuse too; decodeTcf turns it into `tcf_invalid`. */
class TcfFormatError extends Error {}

/** Bits that name purposes 1…n in order, as ids. */
function bitIds(r: BitReader, n: number): number[] {
  const out: number[] = [];
  for (let id = 1; id <= n; id++) if (r.bool()) out.push(id);
  return out;
}

/**
 * Range entries (NumEntries(12), then per entry IsARange(1), StartOrOnlyVendorId(16), EndVendorId(16)):
 * the sorted ids they name. Ranges are merged first, so a hostile string of 4095 overlapping ranges
 * costs no more than the 65535 ids they can name.
 */
function rangeIds(r: BitReader): number[] {
  const ranges: [number, number][] = [];
  const entries = r.int(12);
  for (let i = 0; i < entries; i++) {
    const isRange = r.bool();
    const start = r.int(16);
    const end = isRange ? r.int(16) : start;
    // @iabtcf/core refuses vendor id 0 (and ignores an empty range, end < start).
    if (start === 0 && end >= start) throw new TcfFormatError('vendor id 0');
    if (end >= start) ranges.push([start, end]);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let next = 1;
  for (const [start, end] of ranges) {
    for (let id = Math.max(start, next); id <= end; id++) out.push(id);
    next = Math.max(next, end + 1);
  }
  return out;
}

/** A vendor section: MaxVendorId(16), IsRangeEncoding(1), then a bit field of MaxVendorId bits or range entries. */
function vendorIds(r: BitReader): number[] {
  const maxId = r.int(16);
  return r.bool() ? rangeIds(r) : bitIds(r, maxId);
}

/** Publisher restrictions: read to check the structure; tagrelay does not act on them. */
function skipPublisherRestrictions(r: BitReader): void {
  const count = r.int(12);
  for (let i = 0; i < count; i++) {
    const purposeId = r.int(6);
    const restrictionType = r.int(2);
    const entries = r.int(12);
    // @iabtcf/core refuses a restriction on purpose 0 or of the undefined type 3 once it names a vendor.
    if (entries > 0 && (purposeId === 0 || restrictionType === 3)) throw new TcfFormatError('invalid publisher restriction');
    for (let j = 0; j < entries; j++) {
      const isRange = r.bool();
      const start = r.int(16);
      if (isRange && r.int(16) < start) throw new TcfFormatError('publisher restriction range ends before it starts');
    }
  }
}

/** The core segment's fields that tagrelay uses; the rest are read past (and checked where the library checks them). */
interface CoreSegment {
  purposeConsents: number[];
  legitimateInterests: number[];
  specialFeatureOptins: number[];
  vendorConsents: number[];
}

function readCore(r: BitReader): CoreSegment {
  if (r.int(6) !== 2) throw new TcfFormatError('not TCF v2');
  r.skip(36 + 36); // Created, LastUpdated
  if (r.int(12) <= 1) throw new TcfFormatError('CmpId must be greater than 1');
  r.skip(12 + 6 + 12 + 12 + 6 + 1 + 1); // CmpVersion … UseNonStandardTexts
  const specialFeatureOptins = bitIds(r, 12);
  const purposeConsents = bitIds(r, 24);
  const legitimateInterests = bitIds(r, 24);
  r.skip(1); // PurposeOneTreatment
  // PublisherCC: two letters, 6 bits each from 'A'; @iabtcf/core wants them within /[A-z]/.
  if (r.int(6) > 57 || r.int(6) > 57) throw new TcfFormatError('invalid PublisherCC');
  const vendorConsents = vendorIds(r);
  vendorIds(r); // vendor legitimate interests
  skipPublisherRestrictions(r);
  return { purposeConsents, legitimateInterests, specialFeatureOptins, vendorConsents };
}

/** The optional segments after the core one, each led by SegmentType(3): read to check their structure. */
function checkSegment(r: BitReader): void {
  const type = r.int(3);
  if (type === 1 || type === 2) {
    vendorIds(r); // disclosed vendors, allowed vendors
  } else if (type === 3) {
    r.skip(24 + 24); // publisher purposes consent and legitimate interest
    const custom = r.int(6);
    r.skip(custom * 2);
  } else {
    throw new TcfFormatError(`unknown segment type ${type}`);
  }
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
  let core: CoreSegment;
  try {
    const [first = '', ...rest] = tcString.trim().split('.');
    core = readCore(new BitReader(first));
    for (const segment of rest) checkSegment(new BitReader(segment));
  } catch {
    return invalid();
  }
  const purposeConsents = core.purposeConsents.filter((id) => id <= 11);
  const legitimateInterests = core.legitimateInterests.filter((id) => id <= 11);
  const consented = new Set(purposeConsents);
  const li = new Set(legitimateInterests);
  const out: TcfSignal = {
    ...emptySignal(),
    valid: true,
    purposeConsents,
    legitimateInterests,
    specialFeatureOptins: core.specialFeatureOptins,
    vendorConsents: core.vendorConsents,
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
