import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REASON_CODES, describeReason, isKnownReason } from '../../src/consent/explain.js';
import { gate } from '../../src/consent/gate.js';
import { PURPOSES } from '../../src/consent/purposes.js';
import { verifyReceipt, generateSigningKey, importSigningKey } from '../../src/consent/receipts.js';
import { resolveConsent, type ResolveInput } from '../../src/consent/resolve.js';
import { decodeExplicit } from '../../src/consent/signals/explicit.js';
import { decodeGcd } from '../../src/consent/signals/gcd.js';
import { decodeGcs } from '../../src/consent/signals/gcs.js';
import { decodeGpp } from '../../src/consent/signals/gpp.js';
import type { DecodedSignal } from '../../src/consent/signals/types.js';
import { gppHeader, int, makeConfig, makeTcString, toB64, usSection } from './helpers.js';

const config = makeConfig({ regions: { EEA: 'opt_in', US: 'opt_out', CH: 'notice', default: 'opt_in' }, geo_headers: ['cf-ipcountry'] });
const us = { 'cf-ipcountry': 'US' };
const notices = [1, 1, 1, 1, 1, 1];

/** Inputs chosen to make every decoder emit every code it has. */
const inputs: Partial<ResolveInput>[] = [
  { headers: { 'cf-ipcountry': 'DE' } },
  { headers: us },
  { headers: { 'cf-ipcountry': 'CH' } },
  { headers: { 'cf-ipcountry': 'DE', 'sec-gpc': '1' } },
  { headers: { ...us, 'sec-gpc': '1' } },
  { signals: { ad_storage: 'granted', analytics_storage: 'denied', foo: 'x', ad_user_data: 'maybe' } },
  { receipt: { ad_storage: 'granted', analytics_storage: 'denied' } },
  { signals: { gcd: '13u3r3r3r5', gcs: 'G110' } },
  { signals: { gcd: 'x', gcs: 'x' } },
  { headers: us, signals: { gcd: '11p1p1p1p5' } },
  { signals: { tcf: makeTcString({ purposes: [1, 3], vendors: [755] }) } },
  { signals: { tcf: 'garbage' } },
  { headers: us, signals: { us_privacy: '1YYN' } },
  { signals: { us_privacy: 'bad' } },
  ...[[1, 2, 2], [2, 1, 2], [2, 2, 1]].map((f) => ({ headers: us, signals: { gpp: `${gppHeader([7])}~${usSection(1, [...notices, ...f])}` } })),
  { headers: us, signals: { gpp: `${gppHeader([7])}~${usSection(9, [...notices, 2, 2, 2])}` } },
  { headers: us, signals: { gpp: `${gppHeader([5, 7])}~${toB64(int(1, 6))}~${usSection(1, [...notices, 2, 2, 2])}`, gpp_sid: '5,7,8' } },
  { headers: us, signals: { gpp: 'garbage~x' } },
  { headers: us, signals: { gpp: `${gppHeader([7])}~x`, gpp_sid: '-1' } },
];

async function emittedCodes(): Promise<Set<string>> {
  const codes = new Set<string>();
  const add = (s: DecodedSignal) => {
    s.notes.forEach((n) => codes.add(n));
    Object.values(s.purposes).forEach((d) => codes.add(d.reason));
  };
  for (const input of inputs) {
    const state = resolveConsent({ signals: {}, headers: {}, ...input }, config);
    state.notes.forEach((n) => codes.add(n));
    for (const p of PURPOSES) codes.add(state.purposes[p].reason);
    gate(state, { requires: [...PURPOSES], whenDenied: 'drop', tcfVendorId: 1 }).reasons.forEach((r) => codes.add(r));
    const s = input.signals ?? {};
    add(decodeExplicit(s));
    add(decodeGcs(s.gcs));
    const gcd = decodeGcd(s.gcd);
    add(gcd.update);
    add(gcd.defaults);
    add(decodeGpp(s.gpp, s.gpp_sid));
  }
  const key = await importSigningKey(JSON.stringify((await generateSigningKey()).privateJwk));
  const bad = await verifyReceipt('not.a.token', key, Date.now());
  if (!bad.ok) codes.add(bad.reason);
  return codes;
}

/** Reason-code literals written anywhere in src/consent (string and template literals). */
function codesInSource(): Set<string> {
  const dir = new URL('../../src/consent/', import.meta.url).pathname;
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));
  const found = new Set<string>();
  for (const f of files) {
    const code = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((line) => !/^\s*(\*|\/\/|\/\*\*)/.test(line))
      .join('\n');
    for (const m of code.matchAll(/['`](consent\.[a-z_]+)(?=['`:$])/g)) found.add(m[1]!);
  }
  return found;
}

describe('describeReason', () => {
  it('describes every code the engine emits', async () => {
    const codes = await emittedCodes();
    for (const code of codes) {
      expect(isKnownReason(code), code).toBe(true);
      expect(describeReason(code)).not.toMatch(/^Unrecognised/);
    }
  });

  it('every described code is emitted by some input (the table has no dead entries)', async () => {
    const emitted = new Set([...(await emittedCodes())].map((c) => c.split(':')[0]!));
    expect(REASON_CODES.filter((c) => !emitted.has(c))).toEqual([]);
  });

  it('every reason-code literal in src/consent is described', () => {
    // Template prefixes such as `consent.explicit_${value}` end in `_`; the emitted codes are checked above.
    const literals = [...codesInSource()].filter((c) => !c.endsWith('_'));
    expect(literals.length).toBeGreaterThan(20);
    for (const code of literals) expect(isKnownReason(code), code).toBe(true);
  });

  it.each([
    ['consent.tcf_purpose_missing:7', /Purpose 7 \(Measure advertising performance\)/],
    ['consent.tcf_vendor_missing:755', /vendor id 755/],
    ['consent.purpose_denied:ad_user_data', /needs ad_user_data/],
    ['consent.gpp_section_ignored:8', /California/],
    ['consent.region_default_opt_in', /opt-in/],
  ])('%s', (code, pattern) => {
    expect(describeReason(code)).toMatch(pattern);
  });

  it('unknown codes are named safely', () => {
    expect(describeReason('consent.nope<script>')).toBe('Unrecognised reason code "consent.nope_script_".');
    expect(isKnownReason('consent.nope')).toBe(false);
  });
});
