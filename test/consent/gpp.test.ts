import { describe, expect, it } from 'vitest';
import { BitReader } from '../../src/consent/signals/gpp-bits.js';
import { decodeGpp } from '../../src/consent/signals/gpp.js';
import { fib, gppHeader, int, makeTcString, toB64, usSection } from './helpers.js';

describe('BitReader', () => {
  // Code words from the GPP spec's Fibonacci table.
  it.each([
    ['11', 1],
    ['011', 2],
    ['0011', 3],
    ['1011', 4],
    ['00011', 5],
    ['10011', 6],
    ['01011', 7],
  ])('fibonacci %s = %i', (bits, n) => {
    expect(fib(n)).toBe(bits);
    expect(new BitReader(toB64(bits)).fibonacci()).toBe(n);
  });

  it('round-trips larger Fibonacci integers', () => {
    for (const n of [8, 12, 21, 100, 755, 4000]) expect(new BitReader(toB64(fib(n))).fibonacci()).toBe(n);
  });

  it('reads the spec example range [3,5,6,7,8]', () => {
    // From the spec: int(12)=2, single 3, group offset 2 length 3.
    const bits = '000000000010' + '0' + '0011' + '1' + '011' + '0011';
    expect(new BitReader(toB64(bits)).fibonacciRange()).toEqual([3, 5, 6, 7, 8]);
  });

  it('rejects reads past the end and bad characters', () => {
    expect(() => new BitReader('A').int(7)).toThrow();
    expect(() => new BitReader('A=')).toThrow();
  });
});

describe('decodeGpp: header', () => {
  // Header examples from the GPP Consent String Specification.
  it.each([
    ['DBABM~x', [2]],
    ['DBACNY~x~1YNN', [2, 6]],
    ['DBABjw~x~1YNN', [5, 6]],
    ['DBACNYA~x~1YNN', [2, 6]],
    ['DBABLA~x', [7]],
  ])('%s', (gpp, ids) => {
    expect(decodeGpp(gpp).sectionIds).toEqual(ids);
  });

  it('test helper encodes headers like the spec', () => {
    expect(gppHeader([2])).toBe('DBABM');
    expect(gppHeader([2, 6])).toBe('DBACNY');
    // Real encoders (iabgpp-es, OneTrust) pad further: `DBABLA` and `DBACNYA` carry one extra `A`.
    expect(gppHeader([7])).toBe('DBABL');
  });
});

describe('decodeGpp: real strings', () => {
  it.each([
    // OneTrust OTGPPConsent cookie seen on espn.com with us_privacy 1YNY: notices given, no opt-out.
    ['DBABLA~BVQqAAAAAAJY.QA', '7', false],
    // The same cookie with OneTrust's browserGpcFlag=1: the usnat GPC sub-section is set.
    ['DBABLA~BVQqAAAAAAJY.YA', '7', true],
  ])('%s', (gpp, sid, gpc) => {
    const out = decodeGpp(gpp, sid);
    expect(out.valid).toBe(true);
    expect(out.sectionIds).toEqual([7]);
    expect(out.applied).toEqual([7]);
    expect(out.purposes).toEqual({});
    expect(out.gpc).toBe(gpc);
    expect(out.notes).toEqual([]);
  });

  it('GPP spec example 2: TCF EU v2 + USP v1 sections', () => {
    const out = decodeGpp('DBACNYA~CPXxRfAPXxRfAAfKABENB-CgAAAAAAAAAAYgAAAAAAAA~1YNN', '2,6');
    expect(out.sectionIds).toEqual([2, 6]);
    expect(out.tcf?.valid).toBe(true);
    expect(out.tcf?.purposeConsents).toEqual([]);
    expect(out.purposes).toEqual({});
  });
});

describe('decodeGpp: US opt-out fields (1 = opted out)', () => {
  const notices = [1, 1, 1, 1, 1, 1];
  it.each([
    // section id, core fields after Version, expected reason
    [7, [...notices, 1, 2, 2], 'consent.gpp_sale_opt_out'],
    [7, [...notices, 2, 1, 2], 'consent.gpp_sharing_opt_out'],
    [7, [...notices, 2, 2, 1], 'consent.gpp_targeted_ads_opt_out'],
    [7, [...notices, 2, 2, 2], undefined],
    [7, [...notices, 0, 0, 0], undefined],
    [8, [1, 1, 1, 1, 2], 'consent.gpp_sale_opt_out'],
    [8, [1, 1, 1, 2, 1], 'consent.gpp_sharing_opt_out'],
    [8, [1, 1, 1, 2, 2], undefined],
    [9, [1, 1, 1, 1, 2], 'consent.gpp_sale_opt_out'],
    [9, [1, 1, 1, 2, 1], 'consent.gpp_targeted_ads_opt_out'],
    [10, [1, 1, 1, 2, 1], 'consent.gpp_targeted_ads_opt_out'],
    [11, [1, 1, 1, 1, 1, 2], 'consent.gpp_sale_opt_out'],
    [11, [1, 1, 1, 1, 2, 1], 'consent.gpp_targeted_ads_opt_out'],
    // Utah's SensitiveDataProcessingOptOutNotice sits before SaleOptOut: a 1 there is not an opt-out.
    [11, [1, 1, 1, 1, 2, 2], undefined],
    [12, [1, 1, 1, 1, 2], 'consent.gpp_sale_opt_out'],
    [12, [1, 1, 1, 2, 1], 'consent.gpp_targeted_ads_opt_out'],
  ])('section %i fields %j → %s', (id, fields, reason) => {
    const gpp = `${gppHeader([id])}~${usSection(1, [...fields, 0, 0, 0, 0, 0, 0])}`;
    const out = decodeGpp(gpp, String(id));
    expect(out.valid).toBe(true);
    if (reason) {
      expect(out.purposes.ad_user_data).toEqual({ value: 'denied', reason });
      expect(out.purposes.ad_personalization).toEqual({ value: 'denied', reason });
    } else {
      expect(out.purposes).toEqual({});
    }
    expect(out.purposes.analytics_storage).toBeUndefined();
  });

  it('usnat version 2 is read; an unknown version counts as an opt-out', () => {
    const v2 = decodeGpp(`${gppHeader([7])}~${usSection(2, [...notices, 1, 2, 2, 0, 0])}`);
    expect(v2.purposes.ad_user_data?.reason).toBe('consent.gpp_sale_opt_out');
    const v9 = decodeGpp(`${gppHeader([7])}~${usSection(9, [...notices, 2, 2, 2, 0, 0])}`);
    expect(v9.notes).toEqual(['consent.gpp_section_unsupported:7']);
    expect(v9.purposes.ad_user_data?.value).toBe('denied');
  });
});

describe('decodeGpp: sections and gpp_sid', () => {
  const optedOut = usSection(1, [1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  const tc = makeTcString({ purposes: [1, 3, 4, 7, 8], vendors: [755] });

  it('embedded TCF EU v2 section is decoded', () => {
    const out = decodeGpp(`${gppHeader([2, 7])}~${tc}~${optedOut}`);
    expect(out.tcf?.purposes.ad_personalization?.value).toBe('granted');
    expect(out.tcf?.vendorConsents).toEqual([755]);
    expect(out.purposes.ad_personalization?.reason).toBe('consent.gpp_sale_opt_out');
  });

  it('gpp_sid limits which sections apply', () => {
    const out = decodeGpp(`${gppHeader([2, 7])}~${tc}~${optedOut}`, '2');
    expect(out.applied).toEqual([2]);
    expect(out.tcf).toBeDefined();
    expect(out.purposes).toEqual({});
  });

  it('gpp_sid -1 means not applicable', () => {
    const out = decodeGpp(`${gppHeader([7])}~${optedOut}`, '-1');
    expect(out.purposes).toEqual({});
    expect(out.notes).toEqual(['consent.gpp_not_applicable']);
  });

  it('a gpp_sid id absent from the string is noted', () => {
    const out = decodeGpp(`${gppHeader([7])}~${optedOut}`, '7,8');
    expect(out.notes).toEqual(['consent.gpp_sid_missing:8']);
  });

  it('USP v1 section opt-out applies', () => {
    const out = decodeGpp(`${gppHeader([6])}~1YYN`);
    expect(out.purposes.ad_user_data?.reason).toBe('consent.us_privacy_opt_out');
  });

  it('sections tagrelay does not read are noted', () => {
    const out = decodeGpp(`${gppHeader([5])}~${toB64(int(1, 6))}`);
    expect(out.notes).toEqual(['consent.gpp_section_ignored:5']);
    expect(out.purposes).toEqual({});
  });
});

describe('decodeGpp: invalid strings never throw and count as an opt-out', () => {
  it.each([
    ['not base64 header', '!!!~x'],
    ['wrong header type', `${toB64(int(4, 6) + int(1, 6) + int(1, 12) + '0011')}~x`],
    ['wrong version', `${toB64(int(3, 6) + int(2, 6) + int(1, 12) + '0011')}~x`],
    ['fewer sections than the header lists', `${gppHeader([7, 8])}~BVQqAAAAAAJY`],
    ['truncated header', 'DB'],
    ['bad section characters', `${gppHeader([7])}~BVQ*`],
    ['truncated US section', `${gppHeader([7])}~B`],
    ['no sections', gppHeader([])],
  ])('%s', (_name, gpp) => {
    const out = decodeGpp(gpp, undefined);
    expect(out.valid).toBe(false);
    expect(out.notes).toEqual(['consent.gpp_invalid']);
    expect(out.purposes.ad_user_data).toEqual({ value: 'denied', reason: 'consent.gpp_invalid' });
    expect(out.purposes.ad_personalization).toEqual({ value: 'denied', reason: 'consent.gpp_invalid' });
  });

  it('absent → nothing', () => {
    expect(decodeGpp(undefined).purposes).toEqual({});
    expect(decodeGpp('').notes).toEqual([]);
  });
});
