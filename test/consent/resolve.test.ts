import { describe, expect, it } from 'vitest';
import { PURPOSES, type Purpose } from '../../src/consent/purposes.js';
import { resolveConsent, type ResolveInput } from '../../src/consent/resolve.js';
import { gppHeader, makeConfig, makeTcString, usSection } from './helpers.js';

const config = makeConfig({
  geo_headers: ['cf-ipcountry', 'cf-region-code'],
  regions: { EEA: 'opt_in', US: 'opt_out', 'US-CA': 'opt_out', CH: 'notice', default: 'opt_in' },
  policy_version: '2024-06',
});

const DE = { 'cf-ipcountry': 'DE' };
const CA = { 'cf-ipcountry': 'US', 'cf-region-code': 'CA' };
const CH = { 'cf-ipcountry': 'CH' };

function resolve(input: Partial<ResolveInput>) {
  return resolveConsent({ signals: {}, headers: {}, ...input }, config);
}

function summary(state: ReturnType<typeof resolve>, purposes: readonly Purpose[] = PURPOSES) {
  return Object.fromEntries(purposes.map((p) => [p, `${state.purposes[p].value}/${state.purposes[p].source}/${state.purposes[p].reason}`]));
}

describe('region defaults', () => {
  it('opt_in: everything denied except strictly necessary storage', () => {
    const s = resolve({ headers: DE });
    expect(s.region).toBe('DE');
    expect(s.policy).toBe('opt_in');
    expect(s.policy_key).toBe('EEA');
    expect(s.policy_version).toBe('2024-06');
    expect(s.limited_data_use).toBe(false);
    expect(s.tcf_vendor_consents).toBeUndefined();
    for (const p of PURPOSES) {
      expect(s.purposes[p]).toEqual(
        p === 'security_storage'
          ? { value: 'granted', source: 'region_default', reason: 'consent.strictly_necessary' }
          : { value: 'denied', source: 'region_default', reason: 'consent.region_default_opt_in' },
      );
    }
  });

  it('opt_out: everything granted', () => {
    const s = resolve({ headers: CA });
    expect(s.region).toBe('US-CA');
    expect(s.policy).toBe('opt_out');
    for (const p of PURPOSES) expect(s.purposes[p].value).toBe('granted');
    expect(s.purposes.ad_storage.reason).toBe('consent.region_default_opt_out');
  });

  it('notice: own-site storage granted, advertising denied', () => {
    const s = resolve({ headers: CH });
    expect(s.policy).toBe('notice');
    const granted = PURPOSES.filter((p) => s.purposes[p].value === 'granted');
    expect(granted).toEqual(['analytics_storage', 'functionality_storage', 'personalization_storage', 'security_storage']);
    expect(s.purposes.ad_user_data.reason).toBe('consent.region_default_notice');
  });

  it('unknown region: the strictest configured policy', () => {
    const s = resolve({ headers: { 'cf-ipcountry': 'XX' } });
    expect(s.region).toBe('unknown');
    expect(s.policy).toBe('opt_in');
    expect(s.policy_key).toBe('strictest');
    expect(s.purposes.analytics_storage.value).toBe('denied');
  });

  it('unknown region when only permissive policies exist is still the strictest of them', () => {
    const c = makeConfig({ regions: { US: 'opt_out', CH: 'notice', default: 'opt_out' } });
    const s = resolveConsent({ signals: {}, headers: {} }, c);
    expect(s.policy).toBe('notice');
  });
});

describe('precedence', () => {
  const all = makeTcString({ purposes: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11], vendors: [755] });
  const none = makeTcString({ purposes: [], vendors: [] });
  it.each<[string, Partial<ResolveInput>, string]>([
    ['explicit beats everything', { signals: { ad_storage: 'denied', gcd: '13r3r3r3r5', gcs: 'G111', tcf: all }, receipt: { ad_storage: 'granted' } }, 'denied/explicit/consent.explicit_denied'],
    ['receipt beats gcd update', { signals: { gcd: '13q3q3q3q5', gcs: 'G111' }, receipt: { ad_storage: 'granted' } }, 'granted/receipt/consent.receipt_granted'],
    ['gcd update beats gcs', { signals: { gcd: '13r3r3r3r5', gcs: 'G100' } }, 'granted/gcd/consent.gcd_update_granted'],
    ['gcs beats TCF', { signals: { gcs: 'G111', tcf: none } }, 'granted/gcs/consent.gcs_granted'],
    ['gcs with ad_storage unset falls to TCF', { signals: { gcs: 'G1-1', tcf: all } }, 'granted/tcf/consent.tcf_purposes_granted'],
    ['TCF beats region default', { signals: { tcf: all } }, 'granted/tcf/consent.tcf_purposes_granted'],
    ['TCF missing purpose denies', { signals: { tcf: none } }, 'denied/tcf/consent.tcf_purpose_missing:1'],
    ['invalid TCF denies', { signals: { tcf: 'garbage' } }, 'denied/tcf/consent.tcf_invalid'],
    ['gcd default granted is not consent in opt_in', { signals: { gcd: '11t1t1t1t5' } }, 'denied/region_default/consent.region_default_opt_in'],
    ['invalid gcs falls through', { signals: { gcs: 'G9' } }, 'denied/region_default/consent.region_default_opt_in'],
  ])('%s (DE)', (_name, input, expected) => {
    expect(summary(resolve({ headers: DE, ...input }), ['ad_storage']).ad_storage).toBe(expected);
  });

  it('gcd default denied overrides an opt_out region default', () => {
    const s = resolve({ headers: CA, signals: { gcd: '11p1p1p1p5' } });
    expect(summary(s, ['ad_storage']).ad_storage).toBe('denied/gcd/consent.gcd_default_denied');
    expect(s.purposes.functionality_storage.value).toBe('granted');
  });

  it('purposes are decided independently', () => {
    const s = resolve({ headers: DE, signals: { analytics_storage: 'granted', gcs: 'G110' } });
    expect(summary(s, ['ad_storage', 'analytics_storage', 'ad_user_data'])).toEqual({
      ad_storage: 'granted/gcs/consent.gcs_granted',
      analytics_storage: 'granted/explicit/consent.explicit_granted',
      ad_user_data: 'denied/region_default/consent.region_default_opt_in',
    });
  });
});

describe('opt-out signals (deny only)', () => {
  const gppOptOut = `${gppHeader([7])}~${usSection(1, [1, 1, 1, 1, 1, 1, 1, 2, 2, 0, 0])}`;
  it.each<[string, Partial<ResolveInput>, string]>([
    ['GPC in an opt-out region', { headers: { ...CA, 'sec-gpc': '1' } }, 'gpc/consent.gpc_opt_out'],
    ['GPC over an explicit grant', { headers: { ...CA, 'sec-gpc': '1' }, signals: { ad_user_data: 'granted', ad_personalization: 'granted' } }, 'gpc/consent.gpc_opt_out'],
    ['GPC over gcd update and gcs', { headers: { ...CA, 'sec-gpc': '1' }, signals: { gcd: '13r3r3r3r5', gcs: 'G111' } }, 'gpc/consent.gpc_opt_out'],
    ['GPC flag inside GPP', { headers: CA, signals: { gpp: 'DBABLA~BVQqAAAAAAJY.YA', gpp_sid: '7' } }, 'gpc/consent.gpc_opt_out'],
    ['US Privacy opt-out', { headers: CA, signals: { us_privacy: '1YYN' } }, 'us_privacy/consent.us_privacy_opt_out'],
    ['GPP sale opt-out', { headers: CA, signals: { gpp: gppOptOut } }, 'gpp/consent.gpp_sale_opt_out'],
    ['invalid GPP', { headers: CA, signals: { gpp: 'DBABLA~!!' } }, 'gpp/consent.gpp_invalid'],
    ['US Privacy opt-out also applies in an opt-in region', { headers: DE, signals: { us_privacy: '1YYN', ad_user_data: 'granted', ad_personalization: 'granted' } }, 'us_privacy/consent.us_privacy_opt_out'],
  ])('%s', (_name, input, expected) => {
    const s = resolve(input);
    for (const p of ['ad_user_data', 'ad_personalization'] as const) {
      expect(s.purposes[p].value).toBe('denied');
      expect(`${s.purposes[p].source}/${s.purposes[p].reason}`).toBe(expected);
    }
    expect(s.limited_data_use).toBe(true);
    // Storage purposes are not what an opt-out of sale/sharing is about.
    expect(['gpc', 'gpp', 'us_privacy']).not.toContain(s.purposes.analytics_storage.source);
    expect(['gpc', 'gpp', 'us_privacy']).not.toContain(s.purposes.ad_storage.source);
  });

  it('an explicit denial keeps its source when an opt-out also denies', () => {
    const s = resolve({ headers: { ...CA, 'sec-gpc': '1' }, signals: { ad_user_data: 'denied' } });
    expect(s.purposes.ad_user_data.source).toBe('explicit');
    expect(s.purposes.ad_personalization.source).toBe('gpc');
    expect(s.limited_data_use).toBe(true);
  });

  it('a receipt grant (confirmed choice) outranks GPC', () => {
    const s = resolve({ headers: { ...CA, 'sec-gpc': '1' }, receipt: { ad_user_data: 'granted', ad_personalization: 'granted' } });
    expect(s.purposes.ad_user_data.source).toBe('receipt');
    expect(s.purposes.ad_user_data.value).toBe('granted');
    expect(s.limited_data_use).toBe(false);
  });

  it('GPC is not applied in an opt-in region, and says so', () => {
    const s = resolve({ headers: { ...DE, 'sec-gpc': '1' }, signals: { ad_user_data: 'granted' } });
    expect(s.purposes.ad_user_data.value).toBe('granted');
    expect(s.limited_data_use).toBe(false);
    expect(s.notes).toContain('consent.gpc_not_applied_opt_in');
  });

  it('no opt-out: limited data use stays off', () => {
    expect(resolve({ headers: CA, signals: { us_privacy: '1YNN' } }).limited_data_use).toBe(false);
  });
});

describe('TCF vendors and notes', () => {
  it('exposes vendor consents from a TC string', () => {
    const s = resolve({ headers: DE, signals: { tcf: makeTcString({ purposes: [1], vendors: [755, 10] }) } });
    expect(s.tcf_vendor_consents).toEqual([10, 755]);
  });

  it('an invalid TC string yields an empty vendor list, so every vendor check fails', () => {
    const s = resolve({ headers: DE, signals: { tcf: 'CQSbk4AQ' } });
    expect(s.tcf_vendor_consents).toEqual([]);
    expect(s.notes).toContain('consent.tcf_invalid');
  });

  it('reads TCF from the GPP EU section when no tcf signal is sent', () => {
    const tc = makeTcString({ purposes: [1, 3, 4, 7, 8], vendors: [755] });
    const s = resolve({ headers: DE, signals: { gpp: `${gppHeader([2])}~${tc}`, gpp_sid: '2' } });
    expect(s.purposes.ad_personalization).toEqual({ value: 'granted', source: 'tcf', reason: 'consent.tcf_purposes_granted' });
    expect(s.tcf_vendor_consents).toEqual([755]);
  });

  it('collects notes from every decoder, once each', () => {
    const s = resolve({ headers: DE, signals: { foo: 'granted', bar: 'x', gcs: 'bad', gcd: 'bad', us_privacy: 'bad', ad_storage: 'maybe' } });
    expect(s.notes.sort()).toEqual(
      ['consent.unknown_purpose:foo', 'consent.unknown_purpose:bar', 'consent.invalid_value:ad_storage', 'consent.gcs_invalid', 'consent.gcd_invalid', 'consent.us_privacy_invalid'].sort(),
    );
  });

  it('is pure: same input, same output, input untouched', () => {
    const input: ResolveInput = { signals: { gcs: 'G101', us_privacy: '1YYN' }, headers: { ...CA }, receipt: { analytics_storage: 'denied' } };
    const copy = structuredClone(input);
    expect(resolveConsent(input, config)).toEqual(resolveConsent(input, config));
    expect(input).toEqual(copy);
  });
});
