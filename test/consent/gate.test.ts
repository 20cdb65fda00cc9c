import { describe, expect, it } from 'vitest';
import { cookieAllowed, gate, storageAllowed, type GateRule } from '../../src/consent/gate.js';
import type { ConsentState } from '../../src/consent/purposes.js';
import { resolveConsent } from '../../src/consent/resolve.js';
import { makeConfig, makeTcString } from './helpers.js';

const config = makeConfig({ regions: { EEA: 'opt_in', US: 'opt_out', default: 'opt_in' } });

function state(signals: Record<string, string>, country = 'DE'): ConsentState {
  return resolveConsent({ signals, headers: { 'cf-ipcountry': country } }, config);
}

describe('gate', () => {
  const allGranted = state({ ad_storage: 'granted', analytics_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' });
  const nothing = state({});

  it.each<[string, ConsentState, GateRule, ReturnType<typeof gate>]>([
    ['all granted → full', allGranted, { requires: ['analytics_storage'], whenDenied: 'drop' }, { action: 'send', reasons: [] }],
    ['no requirements → full', nothing, { requires: [], whenDenied: 'drop' }, { action: 'send', reasons: [] }],
    ['denied → drop', nothing, { requires: ['ad_user_data'], whenDenied: 'drop' },
      { action: 'drop', reasons: ['consent.purpose_denied:ad_user_data', 'consent.region_default_opt_in'] }],
    ['denied → anonymize', nothing, { requires: ['analytics_storage'], whenDenied: 'anonymize' },
      { action: 'anonymize', reasons: ['consent.purpose_denied:analytics_storage', 'consent.region_default_opt_in'] }],
    ['denied → cookieless', state({ analytics_storage: 'denied' }), { requires: ['analytics_storage'], whenDenied: 'cookieless' },
      { action: 'cookieless', reasons: ['consent.purpose_denied:analytics_storage', 'consent.explicit_denied'] }],
    ['one of two denied', state({ ad_storage: 'granted' }), { requires: ['ad_storage', 'ad_user_data'], whenDenied: 'drop' },
      { action: 'drop', reasons: ['consent.purpose_denied:ad_user_data', 'consent.region_default_opt_in'] }],
    ['shared reasons are listed once', nothing, { requires: ['ad_user_data', 'ad_personalization'], whenDenied: 'drop' },
      { action: 'drop', reasons: ['consent.purpose_denied:ad_user_data', 'consent.region_default_opt_in', 'consent.purpose_denied:ad_personalization'] }],
  ])('%s', (_name, s, rule, expected) => {
    expect(gate(s, rule)).toEqual(expected);
  });

  describe('TCF vendor consent', () => {
    const tcAll = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
    it.each([
      ['vendor has consent → full', [755], 755, 'send', []],
      ['vendor lacks consent → denied', [10], 755, 'drop', ['consent.tcf_vendor_missing:755']],
      ['no vendor id named → purposes only', [10], undefined, 'send', []],
    ] as const)('%s', (_name, vendors, vendorId, mode, reasons) => {
      const s = state({ tcf: makeTcString({ purposes: tcAll, vendors: [...vendors] }) });
      expect(gate(s, { requires: ['ad_storage'], whenDenied: 'drop', tcfVendorId: vendorId })).toEqual({ action: mode, reasons });
    });

    it('no TC string → the vendor id is not checked', () => {
      expect(gate(allGranted, { requires: ['ad_storage'], whenDenied: 'drop', tcfVendorId: 755 }).action).toBe('send');
    });

    it('invalid TC string → the vendor is denied too', () => {
      const s = state({ tcf: 'garbage', ad_storage: 'granted' });
      expect(gate(s, { requires: ['ad_storage'], whenDenied: 'anonymize', tcfVendorId: 755 })).toEqual({
        action: 'anonymize',
        reasons: ['consent.tcf_vendor_missing:755'],
      });
    });
  });
});

describe('storageAllowed', () => {
  it.each([
    [{}, { analytics: false, ads: false, any: false }],
    [{ analytics_storage: 'granted' }, { analytics: true, ads: false, any: true }],
    [{ ad_storage: 'granted' }, { analytics: false, ads: true, any: true }],
    [{ ad_storage: 'granted', analytics_storage: 'granted' }, { analytics: true, ads: true, any: true }],
  ])('%j', (signals, expected) => {
    expect(storageAllowed(state(signals))).toEqual(expected);
  });

  it('opt-out region default allows both', () => {
    expect(storageAllowed(state({}, 'US'))).toEqual({ analytics: true, ads: true, any: true });
  });

  it.each([
    ['_ga', { analytics_storage: 'granted' }, true],
    ['_ga', { ad_storage: 'granted' }, false],
    ['session', { analytics_storage: 'granted' }, true],
    ['_fbp', { analytics_storage: 'granted' }, false],
    ['_fbp', { ad_storage: 'granted' }, true],
    ['_fbc', { ad_storage: 'granted' }, true],
  ] as const)('cookie %s with %j → %s', (cookie, signals, allowed) => {
    expect(cookieAllowed(state(signals), cookie)).toBe(allowed);
  });
});
