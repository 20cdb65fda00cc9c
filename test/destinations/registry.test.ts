/**
 * A destination is one file: this suite fails the build when a registered destination lacks words for
 * a reason code it writes, identity keys erasure can find it by, an example config, or its docs page.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DESTINATION_LIST, HASHING_RULES, destinationConfigSchema, destinations } from '../../src/destinations/index.js';
import { payloadMentions, storedForms } from '../../src/admin/dsr-subject.js';
import { decide } from '../../src/delivery/decide.js';
import { toRecord } from '../../src/delivery/record.js';
import { prepareIdentity } from '../../src/privacy/identity.js';
import { privacyConfigSchema } from '../../src/privacy/config.js';
import { describeReason, isKnownReason } from '../../src/reasons/catalog.js';
import { scanSource } from '../reasons/scan.js';
import { nodeHasher } from '../privacy/fixtures.js';
import { T0, consent, event } from './fixtures.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const SRC = `${ROOT}src/destinations/`;
const privacy = privacyConfigSchema.parse({ pseudonymization: { salt: 'registry-salt-0123456789', salt_id: 'r1' } });

/** Codes written by src/destinations/ (every file), by area. */
const emitted = (() => {
  const codes = new Set<string>();
  const prefixes = new Set<string>();
  for (const f of readdirSync(SRC).filter((f) => f.endsWith('.ts'))) {
    const found = scanSource(readFileSync(`${SRC}${f}`, 'utf8'), f);
    found.codes.forEach((c) => codes.add(c));
    found.prefixes.forEach((p) => prefixes.add(p));
  }
  return { codes, prefixes };
})();

const SUBJECT = { email: 'Jane.Doe@Example.com', phone: '+1 650 555 1212' };

/** A fully consented record of a purchase with the subject's email and phone, as the accept path stores it. */
async function subjectRecord() {
  const e = event({
    name: 'purchase',
    params: { value: 25, currency: 'EUR', transaction_id: 'T-1' },
    items: [{ item_id: 'SKU-1', item_name: 'Mug', price: 25, quantity: 1 }],
    user: { email: SUBJECT.email, phone: SUBJECT.phone, user_id: 'u-1' },
    page: { url: 'https://shop.example/checkout/done' },
    request: { source: 'native', headers: {}, cookies: {}, ip: '203.0.113.7', user_agent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/120.0 Safari/537.36' },
    consent_state: consent(),
  });
  const identity = await prepareIdentity(e, { global: privacy, hasher: nodeHasher, now: T0, rules: HASHING_RULES });
  e.user = {};
  return toRecord(e, identity, [], 'test');
}

describe('the registry is one list', () => {
  it('kinds are unique, and the registry, the config union and the list agree', () => {
    const kinds = DESTINATION_LIST.map((d) => d.type);
    expect(new Set(kinds).size).toBe(kinds.length);
    expect(Object.keys(destinations).sort()).toEqual([...kinds].sort());
    for (const d of DESTINATION_LIST) expect(destinationConfigSchema.parse(d.example).type).toBe(d.type);
    expect(() => destinationConfigSchema.parse({ id: 'x', type: 'not_a_kind' })).toThrow();
  });

  it('hashing rules in use have unique ids, one object per id', () => {
    const byId = new Map<string, unknown>();
    for (const d of DESTINATION_LIST) {
      const seen = byId.get(d.privacy.hashing.id);
      if (seen) expect(seen, d.type).toBe(d.privacy.hashing);
      byId.set(d.privacy.hashing.id, d.privacy.hashing);
    }
    expect(HASHING_RULES.map((r) => r.id).sort()).toEqual([...byId.keys()].sort());
  });
});

describe.each(DESTINATION_LIST.map((d) => [d.type, d] as const))('%s', (kind, d) => {
  const area = d.reasons.area;

  it('has a reason area, a vendor name, and only codes of its area, each in words', () => {
    expect(area).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(d.reasons.vendor.length).toBeGreaterThan(2);
    for (const code of [...Object.keys(d.reasons.codes), ...Object.keys(d.reasons.prefixes ?? {}), ...(d.reasons.detailCodes ?? [])]) {
      expect(code.startsWith(`${area}.`), code).toBe(true);
    }
    for (const code of Object.keys(d.reasons.codes)) expect(describeReason(code), code).toMatch(/^\S.{20,}[.)]$/s);
    // No two kinds share an area: a code names one destination kind.
    expect(DESTINATION_LIST.filter((o) => o.reasons.area === area)).toHaveLength(1);
  });

  it('describes every code of its area that src/destinations writes', () => {
    const own = [...emitted.codes].filter((c) => c.startsWith(`${area}.`));
    expect(own.filter((c) => !(c in d.reasons.codes))).toEqual([]);
    const prefixes = [...emitted.prefixes].filter((p) => p.startsWith(`${area}.`));
    expect(prefixes.filter((p) => !(p in (d.reasons.prefixes ?? {})) && !Object.keys(d.reasons.codes).some((c) => c.startsWith(p)))).toEqual([]);
    for (const c of own) expect(isKnownReason(c), c).toBe(true);
  });

  it('names identity keys under which erasure finds the subject in what it sends', async () => {
    expect(d.identityKeys.length).toBeGreaterThan(0);
    const config = destinationConfigSchema.parse(d.example);
    const decision = decide(await subjectRecord(), { config, kind: destinations[kind] });
    expect(decision.action, decision.reasons.join()).toBe('send');
    for (const [field, subject] of [['em', { kind: 'email', value: SUBJECT.email }], ['ph', { kind: 'phone', value: SUBJECT.phone }]] as const) {
      const forms = await storedForms(subject, field, { db: undefined as never, hasher: nodeHasher, privacy });
      const needles = new Set(forms.map((f) => f.value));
      const text = JSON.stringify(decision.payload);
      const carried = [...needles].some((n) => text.includes(n));
      // What it carries of the subject, erasure must find under its identity keys.
      if (carried) expect(payloadMentions(decision.payload, needles), `${kind} carries the ${field} hash outside its identity keys`).toBe(true);
      if (field === 'em') expect(carried, `${kind} sends no email hash, yet declares identity keys`).toBe(true);
    }
  });

  it(`has its docs page docs/destinations/${kind}.md citing the vendor reference and every reason code`, () => {
    expect(d.docs.page).toBe(`docs/destinations/${kind}.md`);
    expect(d.docs.vendor).toMatch(/^https:\/\//);
    const path = `${ROOT}${d.docs.page}`;
    expect(existsSync(path), path).toBe(true);
    const page = readFileSync(path, 'utf8');
    expect(page).toContain(d.docs.vendor);
    for (const code of [...Object.keys(d.reasons.codes), ...Object.keys(d.reasons.prefixes ?? {})]) expect(page, code).toContain(`\`${code}`);
  });
});

describe('a destination missing its parts is caught', () => {
  it('a code written without words is not a known reason', () => {
    expect(isKnownReason('tiktok.brand_new_code')).toBe(false);
    expect(scanSource("const x = 'tiktok.brand_new_code';").codes.has('tiktok.brand_new_code')).toBe(true);
  });

  it('a payload key not declared as an identity key is not searched', () => {
    expect(payloadMentions({ undeclared_email_hash: 'h'.repeat(64) }, new Set(['h'.repeat(64)]))).toBe(false);
  });
});
