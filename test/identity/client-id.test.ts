import { describe, expect, it } from 'vitest';
import {
  clientIdFromGa,
  clientIdFromServerId,
  fbclidOfFbc,
  gaCookieValue,
  gaDomainLevel,
  isValidFbc,
  isValidFbp,
  newClientId,
  newFbp,
  randomDigits,
  rawQueryParam,
  resolveFbc,
  serverIdValue,
} from '../../src/identity/client-id.js';

const hexOf = (h: string) => (n: number) => h.repeat(n * 2).slice(0, n * 2);
const NOW = 1_700_000_123_456;

describe('randomDigits', () => {
  it.each(['00', 'ff', '7f', '80', '12', 'a5'])('gives 9-10 digits for bytes %s', (b) => {
    expect(randomDigits(hexOf(b))).toMatch(/^[1-9]\d{8,9}$/);
    expect(Number(randomDigits(hexOf(b)))).toBeLessThanOrEqual(2_147_483_646);
  });
  it('differs for different randomness', () => {
    expect(randomDigits(hexOf('01'))).not.toBe(randomDigits(hexOf('02')));
  });
});

describe('_ga', () => {
  it.each<[string | undefined, number]>([
    [undefined, 1],
    ['.example.com', 1],
    ['.example.co.uk', 2],
    ['.shop.example.com.au', 3],
    ['example.com', 1],
  ])('domain level of %s is %d', (domain, level) => expect(gaDomainLevel(domain)).toBe(level));

  it('builds GA1.<n>.<random>.<seconds>', () => {
    const id = newClientId(NOW, hexOf('ab'));
    expect(id).toMatch(/^\d{9,10}\.1700000123$/);
    expect(gaCookieValue(id, '.example.co.uk')).toBe(`GA1.2.${id}`);
    expect(gaCookieValue(id, undefined)).toBe(`GA1.1.${id}`);
  });

  it('does not put a non-GA id into _ga', () => {
    expect(gaCookieValue('3f2b7c1e-uuid', '.example.com')).toBeUndefined();
  });

  it.each<[string | undefined, string | undefined]>([
    ['GA1.2.123.456', '123.456'],
    ['GA1.1.1197596843.1673515099', '1197596843.1673515099'],
    ['GA1.4-2.123.456', '123.456'],
    ['GA2.1.9.8', '9.8'],
    ['GA1.2.123', undefined],
    ['GS2.1.s1747323152$o28', undefined],
    ['GA1.2.12a.456', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('clientIdFromGa(%j) → %j', (value, expected) => expect(clientIdFromGa(value)).toBe(expected));
});

describe('server id', () => {
  it('round-trips a client id', () => {
    expect(clientIdFromServerId(serverIdValue('123.456'))).toBe('123.456');
  });
  it.each(['123.456', 'TR1.', 'TR1.a;b', 'XX1.123.456'])('rejects %j', (v) => {
    expect(clientIdFromServerId(v)).toBeUndefined();
  });
});

describe('Meta ids', () => {
  it('creates _fbp as fb.1.<ms>.<random>', () => {
    const fbp = newFbp(NOW, hexOf('cd'));
    expect(fbp).toMatch(/^fb\.1\.1700000123456\.\d{9,10}$/);
    expect(isValidFbp(fbp)).toBe(true);
  });

  it.each<[string | undefined, string | undefined, string | undefined, string]>([
    [undefined, 'IwAR2F4-dbP0l7Mn1IawQQ', 'fb.1.1700000123456.IwAR2F4-dbP0l7Mn1IawQQ', 'new from fbclid'],
    ['fb.1.1600000000000.OldClick', 'NewClick', 'fb.1.1700000123456.NewClick', 'a new fbclid replaces'],
    ['fb.1.1600000000000.SameClick', 'SameClick', 'fb.1.1600000000000.SameClick', 'same fbclid keeps creation time'],
    ['fb.1.1600000000000.Kept', undefined, 'fb.1.1600000000000.Kept', 'kept without fbclid'],
    ['garbage', undefined, undefined, 'invalid existing dropped'],
    [undefined, undefined, undefined, 'nothing'],
    [undefined, 'AbC%2Fx', 'fb.1.1700000123456.AbC%2Fx', 'fbclid kept exactly (no decoding)'],
    [undefined, 'has space', undefined, 'unsafe fbclid ignored'],
  ])('resolveFbc(%j, %j) → %j (%s)', (existing, fbclid, expected) => {
    expect(resolveFbc(existing, fbclid, NOW)).toBe(expected);
  });

  it('keeps case and dots of the click id', () => {
    const fbc = resolveFbc(undefined, 'AbC.dEf', NOW)!;
    expect(isValidFbc(fbc)).toBe(true);
    expect(fbclidOfFbc(fbc)).toBe('AbC.dEf');
  });
});

describe('rawQueryParam', () => {
  it.each<[string | undefined, string, string | undefined]>([
    ['https://shop.example.com/p?fbclid=IwAR2F4-dbP0&x=1', 'fbclid', 'IwAR2F4-dbP0'],
    ['https://shop.example.com/p?x=1&fbclid=AbC%2Fx#frag', 'fbclid', 'AbC%2Fx'],
    ['https://shop.example.com/p?fbclid=a+b', 'fbclid', 'a+b'],
    ['https://shop.example.com/p?xfbclid=1', 'fbclid', undefined],
    ['https://shop.example.com/p#?fbclid=1', 'fbclid', undefined],
    ['https://shop.example.com/p?fbclid=', 'fbclid', undefined],
    [undefined, 'fbclid', undefined],
  ])('%s', (url, name, expected) => expect(rawQueryParam(url, name)).toBe(expected));
});
