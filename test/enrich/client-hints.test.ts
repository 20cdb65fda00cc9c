import { describe, expect, it } from 'vitest';
import { ACCEPT_CH, isGreaseBrand, parseClientHints, parseStructuredItem, parseStructuredList } from '../../src/enrich/client-hints.js';

describe('RFC 8941 parsing', () => {
  it.each<[string, ReturnType<typeof parseStructuredList>]>([
    ['"Chromium";v="124", "Google Chrome";v="124"', [
      { value: 'Chromium', params: { v: '124' } },
      { value: 'Google Chrome', params: { v: '124' } },
    ]],
    ['" Not A;Brand";v="99", "Chromium";v="96"', [
      { value: ' Not A;Brand', params: { v: '99' } },
      { value: 'Chromium', params: { v: '96' } },
    ]],
    ['"a\\"b\\\\c";x;y=?0', [{ value: 'a"b\\c', params: { x: true, y: false } }]],
    ['token/1.0, 42, -1.5, ?1', [
      { value: 'token/1.0', params: {} },
      { value: 42, params: {} },
      { value: -1.5, params: {} },
      { value: true, params: {} },
    ]],
    ['', []],
    ['"unterminated', []],
    ['"a", ', []],
    ['"a" "b"', []],
    ['("inner" "list")', []],
    ['"a";V="1"', []],
  ])('%j', (text, expected) => expect(parseStructuredList(text)).toEqual(expected));

  it.each<[string, unknown]>([
    ['"Windows"', 'Windows'],
    ['?1', true],
    ['?0', false],
    ['""', ''],
    ['?2', undefined],
    ['"a" x', undefined],
  ])('item %j', (text, value) => expect(parseStructuredItem(text)?.value).toEqual(value));
});

describe('GREASE brands', () => {
  it.each([' Not A;Brand', 'Not A(Brand', 'Not/A)Brand', 'Not-A.Brand', ';Not A Brand', 'Not_A Brand', 'Not.A/Brand', 'Not)A;Brand'])(
    '%j is GREASE',
    (b) => expect(isGreaseBrand(b)).toBe(true),
  );
  it.each(['Chromium', 'Google Chrome', 'Microsoft Edge', 'Brave', 'Samsung Internet', 'Notabrowser'])('%j is a real brand', (b) =>
    expect(isGreaseBrand(b)).toBe(false),
  );
});

describe('parseClientHints', () => {
  it('is undefined without hint headers', () => {
    expect(parseClientHints({ 'user-agent': 'x', accept: '*/*' })).toBeUndefined();
  });

  it('decodes a full set and drops GREASE', () => {
    expect(
      parseClientHints({
        'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
        'sec-ch-ua-full-version-list': '"Chromium";v="124.0.6367.91", "Google Chrome";v="124.0.6367.91", "Not-A.Brand";v="99.0.0.0"',
        'sec-ch-ua-mobile': '?0',
        'sec-ch-ua-platform': '"Windows"',
        'sec-ch-ua-platform-version': '"15.0.0"',
        'sec-ch-ua-model': '""',
      }),
    ).toEqual({
      brands: [{ brand: 'Chromium', version: '124' }, { brand: 'Google Chrome', version: '124' }],
      fullVersionList: [{ brand: 'Chromium', version: '124.0.6367.91' }, { brand: 'Google Chrome', version: '124.0.6367.91' }],
      mobile: false,
      platform: 'Windows',
      platformVersion: '15.0.0',
    });
  });

  it('ignores malformed fields one by one', () => {
    expect(parseClientHints({ 'sec-ch-ua': 'not a list (', 'sec-ch-ua-mobile': 'yes', 'sec-ch-ua-platform': '"Android"' })).toEqual({
      platform: 'Android',
    });
  });

  it('asks for the high-entropy hints', () => {
    expect(ACCEPT_CH.split(', ').sort()).toEqual(['Sec-CH-UA-Full-Version-List', 'Sec-CH-UA-Model', 'Sec-CH-UA-Platform-Version']);
  });
});
