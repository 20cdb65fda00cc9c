import { describe, expect, it } from 'vitest';
import { decodeExplicit } from '../../src/consent/signals/explicit.js';
import { decodeGcd } from '../../src/consent/signals/gcd.js';
import { decodeGcs } from '../../src/consent/signals/gcs.js';
import { decodeGpc, hasGpc } from '../../src/consent/signals/gpc.js';
import { decodeUsPrivacy } from '../../src/consent/signals/us-privacy.js';

describe('decodeExplicit', () => {
  it.each([
    [{ ad_storage: 'granted' }, { ad_storage: 'granted' }, []],
    [{ analytics_storage: 'DENIED ' }, { analytics_storage: 'denied' }, []],
    [{ ad_user_data: 'yes' }, {}, ['consent.invalid_value:ad_user_data']],
    [{ ad_storage: 'granted', foo: 'granted' }, { ad_storage: 'granted' }, ['consent.unknown_purpose:foo']],
    [{ 'Evil Key\n': 'granted' }, {}, ['consent.unknown_purpose:evil_key_']],
    [{ gcs: 'G111', tcf: 'x', gpp_sid: '7' }, {}, []],
    [{ ad_storage: undefined }, {}, []],
  ])('%j', (signals, expected, notes) => {
    const out = decodeExplicit(signals as Record<string, string>);
    const values = Object.fromEntries(Object.entries(out.purposes).map(([k, d]) => [k, d.value]));
    expect(values).toEqual(expected);
    expect(out.notes).toEqual(notes);
    for (const d of Object.values(out.purposes)) expect(d.reason).toBe(`consent.explicit_${d.value}`);
  });
});

describe('decodeGcs', () => {
  it.each([
    ['G111', 'granted', 'granted'],
    ['G100', 'denied', 'denied'],
    ['G110', 'granted', 'denied'],
    ['G101', 'denied', 'granted'],
    ['G1--', undefined, undefined],
    ['G1-1', undefined, 'granted'],
  ])('%s → ad_storage %s, analytics_storage %s', (gcs, ad, analytics) => {
    const out = decodeGcs(gcs);
    expect(out.purposes.ad_storage?.value).toBe(ad);
    expect(out.purposes.analytics_storage?.value).toBe(analytics);
    expect(out.notes).toEqual([]);
  });

  it.each(['G2', 'G1111', 'g111', 'G1x1', 'G011', 'nonsense'])('invalid %s', (gcs) => {
    const out = decodeGcs(gcs);
    expect(out.purposes).toEqual({});
    expect(out.notes).toEqual(['consent.gcs_invalid']);
  });

  it('absent → nothing', () => {
    expect(decodeGcs(undefined)).toEqual({ purposes: {}, notes: [] });
  });
});

describe('decodeGcd', () => {
  // Purpose order: ad_storage, analytics_storage, ad_user_data, ad_personalization.
  it.each([
    ['13r3r3r2r5l1', ['granted', 'granted', 'granted', 'granted'], ['denied', 'denied', 'denied', 'denied']],
    ['11t1t1t1t5', [undefined, undefined, undefined, undefined], ['granted', 'granted', 'granted', 'granted']],
    ['11p1p1p1p5', [undefined, undefined, undefined, undefined], ['denied', 'denied', 'denied', 'denied']],
    ['13q3q3q3q5', ['denied', 'denied', 'denied', 'denied'], ['denied', 'denied', 'denied', 'denied']],
    ['13u3v3r3q5', ['denied', 'granted', 'granted', 'denied'], ['granted', 'granted', 'denied', 'denied']],
    ['11l1l1m1n5', [undefined, undefined, 'denied', 'granted'], [undefined, undefined, undefined, undefined]],
  ])('%s', (gcd, updates, defaults) => {
    const out = decodeGcd(gcd);
    const order = ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization'] as const;
    expect(order.map((p) => out.update.purposes[p]?.value)).toEqual(updates);
    expect(order.map((p) => out.defaults.purposes[p]?.value)).toEqual(defaults);
    for (const p of order) {
      const u = out.update.purposes[p];
      if (u) expect(u.reason).toBe(`consent.gcd_update_${u.value}`);
      const d = out.defaults.purposes[p];
      if (d) expect(d.reason).toBe(`consent.gcd_default_${d.value}`);
    }
  });

  it.each(['', 'abc', '23r3r3r3r5', '13r3r3r', '13r3r3r3r5!', '1 3r3r3r3r5'])('invalid %j', (gcd) => {
    const out = decodeGcd(gcd);
    expect(out.update.purposes).toEqual({});
    expect(out.defaults.purposes).toEqual({});
    expect(out.update.notes).toEqual(gcd === '' ? [] : ['consent.gcd_invalid']);
  });
});

describe('decodeUsPrivacy', () => {
  it.each([
    ['1YYN', true],
    ['1NYY', true],
    ['1yyn', true],
    ['1YNN', false],
    ['1---', false],
    ['1Y-N', false],
  ])('%s → opted out %s', (usp, optedOut) => {
    const out = decodeUsPrivacy(usp);
    expect(out.notes).toEqual([]);
    if (optedOut) {
      expect(out.purposes.ad_user_data).toEqual({ value: 'denied', reason: 'consent.us_privacy_opt_out' });
      expect(out.purposes.ad_personalization).toEqual({ value: 'denied', reason: 'consent.us_privacy_opt_out' });
      expect(out.purposes.ad_storage).toBeUndefined();
    } else {
      expect(out.purposes).toEqual({});
    }
  });

  it.each(['2YYN', '1YY', '1YYNN', 'YYYY', '1XYN'])('invalid %s', (usp) => {
    expect(decodeUsPrivacy(usp)).toEqual({ purposes: {}, notes: ['consent.us_privacy_invalid'] });
  });
});

describe('GPC', () => {
  it.each([
    [{ 'sec-gpc': '1' }, true],
    [{ 'Sec-GPC': '1' }, true],
    [{ 'sec-gpc': '0' }, false],
    [{ 'sec-gpc': 'true' }, false],
    [{}, false],
  ])('%j → %s', (headers, present) => {
    expect(hasGpc(headers)).toBe(present);
    const out = decodeGpc(headers);
    expect(out.purposes.ad_user_data?.reason).toBe(present ? 'consent.gpc_opt_out' : undefined);
    expect(out.purposes.ad_personalization?.value).toBe(present ? 'denied' : undefined);
    expect(out.purposes.analytics_storage).toBeUndefined();
  });
});
