import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { boundedTest, globMatch, MAX_MATCH_LENGTH, regexProblem } from '../../src/rules/patterns.js';

describe('regexProblem: patterns that could run away are refused', () => {
  it.each([
    ['(a+)+$', /nested repetition/],
    ['((ab)*c)+', /nested repetition/],
    ['(\\d+)*x', /nested repetition/],
    ['^(a|ab)*c', /alternatives/],
    ['(?:x|y){2,}', /alternatives/],
    ['(x)\\1', /backreferences/],
    ['(?<n>x)\\k<n>', /backreferences/],
    ['.*.*x', /too long/],
    ['^.*.*.*x', /too long/],
    ['.{0,500}.{0,500}x', /too long/],
    ['^a?.*.*x', /too long/],
    ['.{0,3}.*x', /too long/],
    ['\\w\\w{2,}.x{2,}\\..', /too long/],
    ['[', /not a valid/],
    ['a'.repeat(300), /longer than 256/],
  ])('%s is refused', (source, message) => {
    expect(regexProblem(source)).toMatch(message);
  });

  it.each([
    '^[A-Z]{3}$',
    '^\\d{4}-\\d{2}-\\d{2}$',
    '^SKU_[0-9]+$',
    '^[a-z]+_[a-z]+_[a-z]+$',
    '^https?://[^/]+/brochures/[^?#]+\\.pdf$',
    '\\.pdf$',
    '^/products/.*',
    '(jpg|png)?$',
    '(?<year>\\d{4})',
    '(?=x)y',
    'a|b|c',
  ])('%s is accepted', (source) => {
    expect(regexProblem(source)).toBeUndefined();
  });

  it('every accepted pattern stays fast on adversarial values of the longest tested length', () => {
    const accepted = ['^.*.*x', '.*x', '^[a-z]+[a-z]+x', '[a-z]+_.*x', '^\\w+\\w{0,15}x', '^(?:ab)+x', '^[a-z]+_[a-z]+_[a-z]+$'];
    const values = ['a', 'ab', '1', 'a_', '-'].map((unit) => unit.repeat(MAX_MATCH_LENGTH).slice(0, MAX_MATCH_LENGTH));
    for (const source of accepted) {
      expect(regexProblem(source), source).toBeUndefined();
      const re = new RegExp(source);
      const started = performance.now();
      for (const v of values) boundedTest(re, v);
      // Quadratic at most: about a millisecond per value on V8; the refused `.*.*x` needs ~0.3 s on one.
      expect(performance.now() - started, source).toBeLessThan(250);
    }
  });

  it('random patterns: whatever is accepted stays fast on adversarial values', () => {
    const parts = ['a', 'b', '.', '\\d', '\\w', '[ab]', '[^b]', '(', ')', '(?:', '|', '*', '+', '?', '{2,}', '{0,5}', '^', '$', '\\.', 'x'];
    const values = ['a', 'ab', '1', 'a.', 'x'].map((unit) => `${unit.repeat(MAX_MATCH_LENGTH).slice(0, MAX_MATCH_LENGTH - 1)}!`);
    let accepted = 0;
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...parts), { maxLength: 12 }), (picked) => {
        const source = picked.join('');
        if (regexProblem(source) !== undefined) return;
        accepted++;
        const re = new RegExp(source);
        const started = performance.now();
        for (const v of values) boundedTest(re, v);
        expect(performance.now() - started, source).toBeLessThan(250);
      }),
      { numRuns: 1500, seed: 14 },
    );
    expect(accepted).toBeGreaterThan(300);
  });
});

describe('boundedTest', () => {
  it('never matches a value longer than the bound', () => {
    const re = /a$/;
    expect(boundedTest(re, 'a'.repeat(MAX_MATCH_LENGTH))).toBe(true);
    expect(boundedTest(re, 'a'.repeat(MAX_MATCH_LENGTH + 1))).toBe(false);
  });
});

describe('globMatch', () => {
  it.each([
    ['/pricing*', '/pricing', true],
    ['/pricing*', '/pricing/teams', true],
    ['/pricing*', '/about/pricing', false],
    ['/products/*', '/products/red-shoe', true],
    ['/products/*', '/products', false],
    ['*/brochures/*.pdf', 'https://shop.example/brochures/2024/catalog.pdf', true],
    ['*/brochures/*.pdf', 'https://shop.example/brochures/catalog.pdf?x=1', false],
    ['*/brochures/*.pdf', 'https://shop.example/files/catalog.pdf', false],
    ['*.pdf', 'a.PDF', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*', '', true],
    ['', '', true],
    ['a*b*c', 'aXbYc', true],
    ['a*b*c', 'aXbY', false],
  ])('%s against %s → %s', (glob, value, expected) => {
    expect(globMatch(glob, value)).toBe(expected);
  });

  it('stays fast on many stars and a long non-matching value', () => {
    const started = performance.now();
    expect(globMatch('*a*a*a*a*a*a*b', 'a'.repeat(2048))).toBe(false);
    expect(performance.now() - started).toBeLessThan(100);
  });
});
