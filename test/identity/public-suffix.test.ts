import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parse as packageEntry } from 'tldts';
import { parse } from '../../src/identity/public-suffix.js';

describe('public-suffix parse: the ES module build of tldts answers as its package entry', () => {
  const OPTIONS = { allowPrivateDomains: true };

  it.each([
    'shop.example.com',
    'www.example.co.uk',
    'a.b.c.example.com.au',
    't.example.github.io',
    'example.blogspot.com',
    'localhost',
    '127.0.0.1',
    '[::1]',
    'xn--bcher-kva.example',
    'bücher.example',
    'EXAMPLE.COM.',
    'com',
    'not a host',
    '',
    'https://www.example.org/path?q=1',
  ])('%j', (host) => {
    expect(parse(host, OPTIONS)).toEqual(packageEntry(host, OPTIONS));
    expect(parse(host)).toEqual(packageEntry(host));
  });

  it('on generated hostnames', () => {
    const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
    const suffix = fc.constantFrom('com', 'co.uk', 'de', 'github.io', 'blogspot.com', 'appspot.com', 'jp', 'kyoto.jp', 'unknowntld');
    const host = fc.tuple(fc.array(label, { minLength: 0, maxLength: 3 }), suffix).map(([labels, s]) => [...labels, s].join('.'));
    fc.assert(
      fc.property(host, (h) => {
        expect(parse(h, OPTIONS)).toEqual(packageEntry(h, OPTIONS));
      }),
      { numRuns: 300 },
    );
  });
});
