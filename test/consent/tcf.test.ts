import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { TCString } from '@iabtcf/core';
import { decodeTcf } from '../../src/consent/signals/tcf.js';
import { int, makeTcString, toB64 } from './helpers.js';

const ALL = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

describe('decodeTcf: strings encoded with @iabtcf/core', () => {
  it.each([
    // purposes consented, LI, → [ad_storage, analytics_storage, ad_user_data, ad_personalization] reasons
    [ALL, [], ['consent.tcf_purposes_granted', 'consent.tcf_purposes_granted', 'consent.tcf_purposes_granted', 'consent.tcf_purposes_granted']],
    [[], [], ['consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:3']],
    [[1], [], ['consent.tcf_purposes_granted', 'consent.tcf_purpose_missing:8', 'consent.tcf_purpose_missing:7', 'consent.tcf_purpose_missing:3']],
    [[1, 7, 8], [], ['consent.tcf_purposes_granted', 'consent.tcf_purposes_granted', 'consent.tcf_purposes_granted', 'consent.tcf_purpose_missing:3']],
    [[1, 3], [], ['consent.tcf_purposes_granted', 'consent.tcf_purpose_missing:8', 'consent.tcf_purpose_missing:7', 'consent.tcf_purpose_missing:4']],
    [[3, 4], [], ['consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:1', 'consent.tcf_purposes_granted']],
    // Legitimate interest satisfies 7 and 8, never 1, 3 or 4.
    [[1], [7, 8], ['consent.tcf_purposes_granted', 'consent.tcf_purposes_granted', 'consent.tcf_purposes_granted', 'consent.tcf_purpose_missing:3']],
    [[], [1, 3, 4, 7, 8], ['consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:1', 'consent.tcf_purpose_missing:3']],
  ])('consent %j, LI %j', (purposes, li, reasons) => {
    const out = decodeTcf(makeTcString({ purposes, li, vendors: [755] }));
    expect(out.valid).toBe(true);
    expect(out.purposeConsents).toEqual(purposes);
    const order = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;
    expect(order.map((p) => out.purposes[p]?.reason)).toEqual(reasons);
    for (const p of order) {
      expect(out.purposes[p]?.value).toBe(out.purposes[p]?.reason === 'consent.tcf_purposes_granted' ? 'granted' : 'denied');
    }
    expect(out.purposes.functionality_storage).toBeUndefined();
  });

  it('exposes vendor consents', () => {
    const out = decodeTcf(makeTcString({ purposes: ALL, vendors: [10, 755, 1024] }));
    expect(out.vendorConsents).toEqual([10, 755, 1024]);
  });
});

describe('decodeTcf: real TC strings', () => {
  it.each([
    // Source: IAB Tech Lab, "Consent string and vendor list formats v2" (TCFv2 spec, GitHub
    // InteractiveAdvertisingBureau/GDPR-Transparency-and-Consent-Framework), URL macro example.
    {
      tc: 'COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw',
      purposes: [1, 2, 3],
      vendors: [2, 6, 8],
      granted: ['ad_storage'],
    },
    // Source: the same spec, sample string updated in 2025 (CMP 880): no purposes, vendors 1–4.
    {
      tc: 'CQSbk4AQSbk4ANwAAAENAwCgAAAAAAAAAAYgACPAAAAA.IDKQA4AAgAKAGQAygAAA',
      purposes: [],
      vendors: [1, 2, 3, 4],
      granted: [],
    },
    // Source: a public test suite for a TCF `isPurposeConsentSet` helper (GitHub code search),
    // which asserts purposes 1, 3, 5, 7, 9 consented and 2, 4, 6, 8, 10 not.
    {
      tc: 'CPh7_cXPh7_cXKMAAAENCZCAAKqAAAAAAAAAAAAAAAAA.II7Nd_X__bX9n-_7_6ft0eY1f9_r37uQzDhfNs-8F3L_W_LwX32E7NF36tq4KmR4ku1bBIQNtHMnUDUmxaolVrzHsak2cpyNKJ_JkknsZe2dYGF9Pn9lD-YKZ7_5_9_f52T_9_9_-39z3_9f___dv_-__-vjf_599n_v9fV_78_Kf9______-____________8A',
      purposes: [1, 3, 5, 7, 9],
      granted: ['ad_storage', 'ad_user_data'],
    },
    // Same suite: every purpose 1–10 consented.
    {
      tc: 'CPh8CoIPh8CoINYAAAENCZCAAP_AAAAAAAAAAAAAAAAA.II7Nd_X__bX9n-_7_6ft0eY1f9_r37uQzDhfNs-8F3L_W_LwX32E7NF36tq4KmR4ku1bBIQNtHMnUDUmxaolVrzHsak2cpyNKJ_JkknsZe2dYGF9Pn9lD-YKZ7_5_9_f52T_9_9_-39z3_9f___dv_-__-vjf_599n_v9fV_78_Kf9______-____________8A',
      purposes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      granted: ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'],
    },
  ])('$tc', ({ tc, purposes, vendors, granted }) => {
    const out = decodeTcf(tc);
    expect(out.valid).toBe(true);
    expect(out.purposeConsents).toEqual(purposes);
    if (vendors) expect(out.vendorConsents).toEqual(vendors);
    const actual = Object.entries(out.purposes).filter(([, d]) => d.value === 'granted').map(([p]) => p);
    expect(actual.sort()).toEqual([...granted].sort());
  });
});

describe('decodeTcf: invalid strings never throw and deny every TCF purpose', () => {
  it.each(['', 'garbage', 'AAAA', 'CQSbk4AQ', '!!!', 'BOVeoB_OVeoFxC-AHAFRBtAAAAAhGAEAD4AXAA2YCEQ', 'CPh7_cXPh7_cXKMAAAENCZCA??????????AAAAAAAAAAAAAAA'])(
    '%j',
    (tc) => {
      const out = decodeTcf(tc);
      expect(out.valid).toBe(false);
      expect(out.notes).toEqual(['consent.tcf_invalid']);
      expect(out.vendorConsents).toEqual([]);
      for (const p of ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const) {
        expect(out.purposes[p]).toEqual({ value: 'denied', reason: 'consent.tcf_invalid' });
      }
    },
  );
});

/** decodeTcf as it was when it called @iabtcf/core: the oracle the in-house reader is held to. */
function reference(tcString: string): { valid: boolean; purposeConsents: number[]; legitimateInterests: number[]; specialFeatureOptins: number[]; vendorConsents: number[] } {
  const ids = (vector: { forEach(fn: (value: boolean, id: number) => void): void }, max = Number.MAX_SAFE_INTEGER) => {
    const out: number[] = [];
    vector.forEach((value, id) => {
      if (value && id <= max) out.push(id);
    });
    return out;
  };
  try {
    const model = TCString.decode(tcString.trim());
    if (Number(model.version) !== 2) throw new Error('not v2');
    return {
      valid: true,
      purposeConsents: ids(model.purposeConsents, 11),
      legitimateInterests: ids(model.purposeLegitimateInterests, 11),
      specialFeatureOptins: ids(model.specialFeatureOptins),
      vendorConsents: ids(model.vendorConsents),
    };
  } catch {
    return { valid: false, purposeConsents: [], legitimateInterests: [], specialFeatureOptins: [], vendorConsents: [] };
  }
}

const bits = (n: number) => fc.array(fc.boolean(), { minLength: n, maxLength: n }).map((b) => b.map((x) => (x ? '1' : '0')).join(''));
/** Vendor ids small enough to collide, and 0, which the spec does not allow. */
const vendorId = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 40 }), weight: 30 }, { arbitrary: fc.constant(0), weight: 1 });
const rangeEntries = fc
  .array(fc.tuple(fc.boolean(), vendorId, vendorId), { maxLength: 5 })
  .map((es) => int(es.length, 12) + es.map(([isRange, start, end]) => (isRange ? `1${int(start, 16)}${int(end, 16)}` : `0${int(start, 16)}`)).join(''));
/** A vendor section: a bit field of MaxVendorId bits, or range entries (overlapping, empty and reversed ones too). */
const vendorSection = fc.oneof(
  fc.integer({ min: 0, max: 40 }).chain((max) => bits(max).map((field) => `${int(max, 16)}0${field}`)),
  fc.tuple(fc.integer({ min: 0, max: 40 }), rangeEntries).map(([max, entries]) => `${int(max, 16)}1${entries}`),
);
const publisherRestrictions = fc
  .array(fc.tuple(fc.constantFrom(1, 2, 7, 11, 12, 0), fc.constantFrom(0, 1, 2, 0, 1, 2, 3), rangeEntries), { maxLength: 2 })
  .map((rs) => int(rs.length, 12) + rs.map(([purpose, type, entries]) => int(purpose, 6) + int(type, 2) + entries).join(''));
/** An optional segment: disclosed or allowed vendors, publisher purposes, or an unknown type. (Type 0, a second core segment, is left out: the library decodes it over the first, this reader refuses it.) */
const segment = fc.oneof(
  { arbitrary: fc.tuple(fc.constantFrom(1, 2), vendorSection).map(([type, v]) => int(type, 3) + v), weight: 5 },
  { arbitrary: fc.integer({ min: 0, max: 4 }).chain((n) => bits(48 + 2 * n).map((b) => int(3, 3) + b.slice(0, 48) + int(n, 6) + b.slice(48))), weight: 5 },
  { arbitrary: fc.integer({ min: 4, max: 7 }).map((type) => int(type, 3) + '0'.repeat(20)), weight: 1 },
);
const core = fc
  .record({
    version: fc.oneof({ arbitrary: fc.constant(2), weight: 20 }, { arbitrary: fc.constantFrom(1, 3), weight: 1 }),
    head: bits(72),
    cmpId: fc.oneof({ arbitrary: fc.constantFrom(2, 300, 4095), weight: 20 }, { arbitrary: fc.constantFrom(0, 1), weight: 1 }),
    middle: bits(50),
    special: bits(12),
    purposes: bits(24),
    li: bits(24),
    oneTreatment: bits(1),
    country: fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 })),
    consents: vendorSection,
    interests: vendorSection,
    restrictions: publisherRestrictions,
  })
  .map((c) => int(c.version, 6) + c.head + int(c.cmpId, 12) + c.middle + c.special + c.purposes + c.li + c.oneTreatment + int(c.country[0], 6) + int(c.country[1], 6) + c.consents + c.interests + c.restrictions);
/** Whole strings, sometimes cut short inside a field. */
const tcStrings = fc
  .tuple(core, fc.array(segment, { maxLength: 2 }), fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, { arbitrary: fc.integer({ min: 0, max: 400 }), weight: 1 }))
  .map(([c, segments, cut]) => [cut === undefined ? c : c.slice(0, cut), ...segments].map(toB64).join('.'));

describe('decodeTcf reads what @iabtcf/core decodes, the same way', () => {
  it('on strings @iabtcf/core encodes', () => {
    const ids = (max: number) => fc.uniqueArray(fc.integer({ min: 1, max }), { maxLength: max });
    fc.assert(
      fc.property(ids(11), ids(11), fc.uniqueArray(fc.integer({ min: 1, max: 3000 }), { maxLength: 60 }), (purposes, li, vendors) => {
        const tc = makeTcString({ purposes, li, vendors });
        expect(decodeTcf(tc)).toMatchObject(reference(tc));
        expect(decodeTcf(tc).valid).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('on generated bit strings: every field, range encodings, publisher restrictions, extra segments, truncations', () => {
    let valid = 0;
    fc.assert(
      fc.property(tcStrings, (tc) => {
        const expected = reference(tc);
        if (expected.valid) valid++;
        expect(decodeTcf(tc)).toMatchObject(expected);
      }),
      { numRuns: 2000 },
    );
    // The generator must reach both outcomes often, or the comparison proves little.
    expect(valid).toBeGreaterThan(400);
    expect(valid).toBeLessThan(1600);
  });

  it('reads 4095 overlapping ranges that together name every vendor id', () => {
    const entries = int(4095, 12) + `1${int(1, 16)}${int(65535, 16)}`.repeat(4095);
    const head = int(2, 6) + '0'.repeat(72) + int(300, 12) + '0'.repeat(50) + '0'.repeat(12) + '1'.repeat(24) + '0'.repeat(24) + '0' + int(3, 6) + int(4, 6);
    const tc = toB64(head + int(65535, 16) + '1' + entries + int(0, 16) + '0' + int(0, 12));
    const out = decodeTcf(tc);
    expect(out.valid).toBe(true);
    expect(out.vendorConsents).toHaveLength(65535);
    expect(out.vendorConsents.at(-1)).toBe(65535);
  });
});
