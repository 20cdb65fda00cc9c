import { describe, expect, it } from 'vitest';
import { hashUser } from '../../src/privacy/hash.js';
import type { UserData } from '../../src/event.js';
import { nodeHasher, sha256 } from './fixtures.js';

const hasher = nodeHasher;
const now = Date.UTC(2025, 0, 1);

describe('hashUser, meta flavour', () => {
  it("hashes Meta's documented examples to Meta's documented digests", async () => {
    const { hashed, dropped } = await hashUser(
      { email: 'John_Smith@gmail.com', phone: '(650)555-1212', first_name: 'Valéry', last_name: '정', date_of_birth: '2/16/1997', country: 'United States' },
      { flavor: 'meta', hasher, now },
    );
    expect(dropped).toEqual([]);
    expect(hashed).toEqual({
      em: '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f',
      ph: 'e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176',
      fn: '08e1996b5dd49e62a4b4c010d44e4345592a863bb9f8e3976219bac29417149c',
      ln: '8fa8cd9c440be61d0151429310034083132b35975c4bea67fdd74158eb51db14',
      db: '01acdbf6ec7b4f478a225f1a246e5d6767eeab1a7ffa17f025265b5b94f40f0c',
      country: '79adb2a2fce5c6ba215fe5f27f532d4e7edbac4b6a5e09e1ef3a08084a904621',
    });
  });

  it('hashes every field, address parts included, after normalization', async () => {
    const { hashed } = await hashUser(
      { gender: 'Female', city: 'New York', region: 'New York', postal_code: '10001-1234', external_id: ' crm-77 ' },
      { flavor: 'meta', hasher, now, defaultCountry: 'us' },
    );
    expect(hashed).toEqual({
      ge: sha256('f'),
      ct: sha256('newyork'),
      st: sha256('ny'),
      zp: sha256('10001'),
      external_id: sha256('crm-77'),
    });
  });

  it("reads the phone in the user's own country before the default", async () => {
    const de = await hashUser({ phone: '030 1234567', country: 'DE' }, { flavor: 'meta', hasher, defaultCountry: 'US' });
    expect(de.hashed.ph).toBe(sha256('49301234567'));
    const fallback = await hashUser({ phone: '030 1234567' }, { flavor: 'meta', hasher, defaultCountry: 'DE' });
    expect(fallback.hashed.ph).toBe(sha256('49301234567'));
  });

  it('passes pre-hashed values through, lower-cased', async () => {
    const digest = sha256('someone@example.com');
    const { hashed } = await hashUser({ email: digest.toUpperCase(), phone: ` ${digest} ` }, { flavor: 'meta', hasher });
    expect(hashed).toEqual({ em: digest, ph: digest });
  });

  it.each<[UserData, { field: string; reason: string }]>([
    [{ email: 'not-an-email' }, { field: 'email', reason: 'privacy.invalid_email' }],
    [{ phone: '12345' }, { field: 'phone', reason: 'privacy.invalid_phone' }],
    [{ phone: '(650)555-1212' }, { field: 'phone', reason: 'privacy.invalid_phone' }], // no country anywhere
    [{ first_name: '!!!' }, { field: 'first_name', reason: 'privacy.invalid_name' }],
    [{ gender: 'x' }, { field: 'gender', reason: 'privacy.invalid_gender' }],
    [{ date_of_birth: '31/31/1990' }, { field: 'date_of_birth', reason: 'privacy.invalid_date_of_birth' }],
    [{ country: 'Atlantis' }, { field: 'country', reason: 'privacy.invalid_country' }],
  ])('drops %j with a reason and hashes nothing for it', async (user, drop) => {
    const { hashed, dropped } = await hashUser(user, { flavor: 'meta', hasher, now });
    expect(dropped).toEqual([drop]);
    expect(hashed).toEqual({});
  });

  it('ignores empty values and user_id', async () => {
    const { hashed, dropped } = await hashUser({ user_id: 'u1', email: '  ', phone: '' }, { flavor: 'meta', hasher });
    expect(hashed).toEqual({});
    expect(dropped).toEqual([]);
  });
});

describe('hashUser, google flavour', () => {
  it('hashes contact fields with Google rules and keeps address parts normalized in clear', async () => {
    const { hashed, dropped } = await hashUser(
      {
        email: 'Jane.Doe@GMail.com',
        phone: '(650)555-1212',
        first_name: 'Mary Ann',
        last_name: "O'Brien",
        city: 'New York',
        region: 'New York',
        postal_code: '10001',
        country: 'us',
        gender: 'f',
        date_of_birth: '1990-01-01',
        external_id: 'crm-1',
      },
      { flavor: 'google', hasher, now },
    );
    expect(hashed).toEqual({
      em: sha256('janedoe@gmail.com'),
      ph: sha256('+16505551212'),
      fn: sha256('mary ann'),
      ln: sha256('obrien'),
      ct: 'new york',
      st: 'ny',
      zp: '10001',
      country: 'US',
    });
    expect(dropped).toEqual([
      { field: 'gender', reason: 'privacy.not_used_by_vendor' },
      { field: 'date_of_birth', reason: 'privacy.not_used_by_vendor' },
      { field: 'external_id', reason: 'privacy.not_used_by_vendor' },
    ]);
  });

  it('refuses a hash where Google wants clear text', async () => {
    const { hashed, dropped } = await hashUser({ city: sha256('paris') }, { flavor: 'google', hasher });
    expect(hashed).toEqual({});
    expect(dropped).toEqual([{ field: 'city', reason: 'privacy.prehashed_not_accepted' }]);
  });
});
