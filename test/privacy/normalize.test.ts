import { describe, expect, it } from 'vitest';
import {
  isSha256Hex,
  normalizeCity,
  normalizeCountry,
  normalizeDateOfBirth,
  normalizeEmail,
  normalizeExternalId,
  normalizeGender,
  normalizeName,
  normalizePhone,
  normalizePostalCode,
  normalizeState,
  type Flavor,
  type Normalized,
} from '../../src/privacy/normalize.js';
import { sha256 } from './fixtures.js';

const ok = (value: string): Normalized => ({ ok: true, value });
const bad = (reason: string): Normalized => ({ ok: false, reason });

// Meta's worked examples, customer-information-parameters page (input → normalized → SHA-256).
describe("Meta's published examples", () => {
  it.each([
    ['email', normalizeEmail('John_Smith@gmail.com', 'meta'), 'john_smith@gmail.com', '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'],
    ['phone', normalizePhone('(650)555-1212', 'meta', 'US'), '16505551212', 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176'],
    ['first name', normalizeName('Mary', 'meta'), 'mary', '6915771be1c5aa0c886870b6951b03d7eafc121fea0e80a5ea83beb7c449f4ec'],
    ['korean name', normalizeName('정', 'meta'), '정', '8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14'],
    ['accented name', normalizeName('Valéry', 'meta'), 'valéry', '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c'],
    ['date of birth', normalizeDateOfBirth('2/16/1997', Date.UTC(2025, 0, 1)), '19970216', '01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c'],
    ['country', normalizeCountry('United States', 'meta'), 'us', '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621'],
  ])('%s', async (_label, result, normalized, digest) => {
    expect(await result).toEqual(ok(normalized));
    expect(sha256(normalized)).toBe(digest);
  });

  it('accepts a decomposed é the same as a composed one (NFC)', () => {
    expect(normalizeName('Vale\u0301ry', 'meta')).toEqual(ok('valéry'));
  });

  it.each([
    ['ct', normalizeCity('New York', 'meta'), 'newyork'],
    ['ct', normalizeCity('Paris', 'meta'), 'paris'],
    ['st', normalizeState('AZ', 'meta', 'US'), 'az'],
    ['zp', normalizePostalCode('94035', 'meta', 'US'), '94035'],
    ['zp UK', normalizePostalCode('M1 1AE', 'meta', 'GB'), 'm11ae'],
    ['zp FR', normalizePostalCode('75018', 'meta', 'FR'), '75018'],
    ['ge', normalizeGender('f'), 'f'],
  ])('Meta example %s', (_label, result, normalized) => {
    expect(result).toEqual(ok(normalized));
  });
});

describe('email', () => {
  it.each<[string, Flavor, Normalized]>([
    ['  Jane.Doe@Example.COM ', 'meta', ok('jane.doe@example.com')],
    ['mailto:a@b.co', 'meta', ok('a@b.co')],
    ['jane+promo@gmail.com', 'meta', ok('jane+promo@gmail.com')],
    ['J.a.n.e@Gmail.com', 'meta', ok('j.a.n.e@gmail.com')],
    ['J.a.n.e@Gmail.com', 'google', ok('jane@gmail.com')],
    ['first.last@googlemail.com', 'google', ok('firstlast@googlemail.com')],
    ['first.last@example.com', 'google', ok('first.last@example.com')],
    ['no-at-sign.example.com', 'meta', bad('privacy.invalid_email')],
    ['@example.com', 'meta', bad('privacy.invalid_email')],
    ['jane@', 'google', bad('privacy.invalid_email')],
    ['a@b@c.com', 'meta', bad('privacy.invalid_email')],
    ['jane doe@example.com', 'meta', bad('privacy.invalid_email')],
  ])('%j (%s)', (raw, flavor, expected) => {
    expect(normalizeEmail(raw, flavor)).toEqual(expected);
  });
});

describe('phone', () => {
  it.each<[string, Flavor, string | undefined, Normalized]>([
    ['(650)555-1212', 'meta', 'US', ok('16505551212')],
    ['(650)555-1212', 'google', 'US', ok('+16505551212')],
    ['+1 650 555 1212', 'meta', undefined, ok('16505551212')],
    ['16505551212', 'meta', undefined, ok('16505551212')],
    ['+44 844 412 4653', 'meta', 'DE', ok('448444124653')],
    ['0044 844 412 4653', 'google', undefined, ok('+448444124653')],
    ['030 1234567', 'meta', 'DE', ok('49301234567')],
    ['030 1234567', 'google', 'DE', ok('+49301234567')],
    ['12345', 'meta', 'US', bad('privacy.invalid_phone')],
    ['(650)555-1212', 'meta', undefined, bad('privacy.invalid_phone')],
    ['call me', 'meta', 'US', bad('privacy.invalid_phone')],
  ])('%j (%s, %s)', async (raw, flavor, country, expected) => {
    expect(await normalizePhone(raw, flavor, country)).toEqual(expected);
  });
});

describe('names, city, state, postal code', () => {
  it.each<[string, Normalized, Normalized]>([
    // input, meta, google
    ["  O'Brien ", ok('obrien'), ok('obrien')],
    ['Mary-Ann', ok('maryann'), ok('maryann')],
    ['Mary Ann', ok('maryann'), ok('mary ann')],
    ['Jean-Luc2', ok('jeanluc'), ok('jeanluc')],
    ['Zoë', ok('zoë'), ok('zoë')],
    ['123', bad('privacy.invalid_name'), bad('privacy.invalid_name')],
  ])('name %j', (raw, meta, google) => {
    expect(normalizeName(raw, 'meta')).toEqual(meta);
    expect(normalizeName(raw, 'google')).toEqual(google);
  });

  it.each<[string, Normalized, Normalized]>([
    ['New York', ok('newyork'), ok('new york')],
    ['St. Louis', ok('stlouis'), ok('st louis')],
    ['München', ok('münchen'), ok('münchen')],
    ['75018', bad('privacy.invalid_city'), bad('privacy.invalid_city')],
  ])('city %j', (raw, meta, google) => {
    expect(normalizeCity(raw, 'meta')).toEqual(meta);
    expect(normalizeCity(raw, 'google')).toEqual(google);
  });

  it.each<[string, Flavor, string | undefined, Normalized]>([
    ['California', 'meta', 'US', ok('ca')],
    ['CA', 'google', 'US', ok('ca')],
    ['new york', 'meta', undefined, ok('ny')],
    ['District of Columbia', 'meta', 'US', ok('dc')],
    ['Narnia', 'meta', 'US', bad('privacy.invalid_state')],
    ['Bayern', 'meta', 'DE', ok('bayern')],
    ['Île-de-France', 'meta', 'FR', ok('îledefrance')],
    ['Île-de-France', 'google', 'FR', ok('îledefrance')],
    ['Nova Scotia', 'google', 'CA', ok('nova scotia')],
    ['Georgia', 'meta', 'GE', ok('georgia')],
  ])('state %j (%s, %s)', (raw, flavor, country, expected) => {
    expect(normalizeState(raw, flavor, country)).toEqual(expected);
  });

  it.each<[string, Flavor, string | undefined, Normalized]>([
    ['94035-1234', 'meta', 'US', ok('94035')],
    ['940351234', 'meta', 'US', ok('94035')],
    ['94035-1234', 'meta', undefined, ok('94035')],
    [' 10115 ', 'meta', 'DE', ok('10115')],
    ['SW1A 1AA', 'meta', 'GB', ok('sw1a1aa')],
    ['1234-567', 'meta', 'PT', ok('1234567')],
    ['ABCDE', 'meta', 'US', bad('privacy.invalid_postal_code')],
    ['SW1A 1AA', 'google', 'GB', ok('SW1A 1AA')],
    [' 94.035~ ', 'google', 'US', ok('94035')],
    ['94035-1234', 'google', 'US', ok('94035')],
    ['1234-567', 'google', 'PT', ok('1234-567')],
    ['~.', 'google', undefined, bad('privacy.invalid_postal_code')],
  ])('postal code %j (%s, %s)', (raw, flavor, country, expected) => {
    expect(normalizePostalCode(raw, flavor, country)).toEqual(expected);
  });
});

describe('gender, date of birth, country, external id', () => {
  it.each<[string, Normalized]>([
    ['female', ok('f')],
    ['Female', ok('f')],
    ['F', ok('f')],
    ['w', ok('f')],
    ['weiblich', ok('f')],
    ['Male', ok('m')],
    ['M.', ok('m')],
    ['männlich', ok('m')],
    ['d', bad('privacy.invalid_gender')],
    ['unknown', bad('privacy.invalid_gender')],
  ])('gender %j', (raw, expected) => {
    expect(normalizeGender(raw)).toEqual(expected);
  });

  const now = Date.UTC(2025, 5, 1);
  it.each<[string, Normalized]>([
    ['1997-02-16', ok('19970216')],
    ['1997-02-16T10:00:00Z', ok('19970216')],
    ['19970216', ok('19970216')],
    ['1997/2/6', ok('19970206')],
    ['2/16/1997', ok('19970216')],
    ['02/03/1997', ok('19970203')], // slashes: month first (US, as Meta's example)
    ['16/02/1997', ok('19970216')], // first number > 12: day first
    ['03.02.1997', ok('19970203')], // dots: day first (European)
    ['03-02-1997', ok('19970203')],
    ['02.16.1997', ok('19970216')], // second number > 12: month first
    ['2000-02-29', ok('20000229')],
    ['1999-02-29', bad('privacy.invalid_date_of_birth')],
    ['1997-13-01', bad('privacy.invalid_date_of_birth')],
    ['1899-12-31', bad('privacy.invalid_date_of_birth')],
    ['2026-01-01', bad('privacy.invalid_date_of_birth')],
    ['Feb 16 1997', bad('privacy.invalid_date_of_birth')],
  ])('date of birth %j', (raw, expected) => {
    expect(normalizeDateOfBirth(raw, now)).toEqual(expected);
  });

  it.each<[string, Normalized, Normalized]>([
    ['US', ok('us'), ok('US')],
    [' de ', ok('de'), ok('DE')],
    ['Germany', ok('de'), ok('DE')],
    ['united kingdom', ok('gb'), ok('GB')],
    ['UK', ok('gb'), ok('GB')],
    ['USA', ok('us'), ok('US')],
    ['XX', bad('privacy.invalid_country'), bad('privacy.invalid_country')],
    ['EU', bad('privacy.invalid_country'), bad('privacy.invalid_country')],
    ['Atlantis', bad('privacy.invalid_country'), bad('privacy.invalid_country')],
  ])('country %j', (raw, meta, google) => {
    expect(normalizeCountry(raw, 'meta')).toEqual(meta);
    expect(normalizeCountry(raw, 'google')).toEqual(google);
  });

  it('external id is trimmed, empty is invalid', () => {
    expect(normalizeExternalId('  crm-77 ')).toEqual(ok('crm-77'));
    expect(normalizeExternalId('   ')).toEqual(bad('privacy.invalid_external_id'));
  });

  it.each([
    ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f', true],
    ['62A14E44F765419D10FEA99367361A727C12365E2520F32218D505ED9AA0F62F', true],
    ['62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62', false],
    ['z2a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f', false],
  ])('isSha256Hex(%s) = %s', (v, expected) => {
    expect(isSha256Hex(v)).toBe(expected);
  });
});
