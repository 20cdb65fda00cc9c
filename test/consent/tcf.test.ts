import { describe, expect, it } from 'vitest';
import { decodeTcf } from '../../src/consent/signals/tcf.js';
import { makeTcString } from './helpers.js';

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
