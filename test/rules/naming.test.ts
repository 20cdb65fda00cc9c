import { describe, expect, it } from 'vitest';
import { editDistance, namingProblem, nearestName, suggestName, toSnakeCase } from '../../src/rules/naming.js';

describe('toSnakeCase', () => {
  it.each([
    ['addToCart', 'add_to_cart'],
    ['Purchase', 'purchase'],
    ['AddToCart', 'add_to_cart'],
    ['viewHTMLPage', 'view_html_page'],
    ['add-to-cart', 'add_to_cart'],
    ['sign up', 'sign_up'],
    ['add__to_cart_', 'add_to_cart'],
    ['already_snake', 'already_snake'],
  ])('%s → %s', (input, output) => {
    expect(toSnakeCase(input)).toBe(output);
  });
});

describe('editDistance', () => {
  it.each([
    ['purchase', 'purchase', 0],
    ['purchse', 'purchase', 1],
    ['add_to_crat', 'add_to_cart', 1],
    ['kitten', 'sitting', 3],
    ['', 'abc', 3],
  ])('%s ↔ %s = %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });

  it('stops early past the limit', () => {
    expect(editDistance('aaaaaaaa', 'bbbbbbbb', 2)).toBe(3);
  });
});

describe('namingProblem', () => {
  const planned = ['add_to_cart', 'purchase', 'view_item', 'begin_checkout'];
  it.each([
    ['addToCart', 'camelCase', 'add_to_cart'],
    ['Purchase', 'PascalCase', 'purchase'],
    ['ViewItem', 'PascalCase', 'view_item'],
    ['BEGIN_CHECKOUT', 'upper-case letters', 'begin_checkout'],
    ['add__to_cart', 'a doubled or trailing underscore', 'add_to_cart'],
    ['newsletterSignup', 'camelCase', 'newsletter_signup'],
    ['google_signup', 'the prefix google_ GA4 reserves', undefined],
    ['a'.repeat(41), 'longer than 40 characters', undefined],
  ])('%s: %s, suggests %s', (name, problem, suggestion) => {
    const found = namingProblem(name, planned);
    expect(found?.problem).toBe(problem);
    expect(found?.suggestion).toBe(suggestion);
  });

  it.each(['add_to_cart', 'purchase', 'newsletter_signup', 'step2_done'])('%s follows the convention', (name) => {
    expect(namingProblem(name, planned)).toBeUndefined();
  });
});

describe('suggestions for near misses', () => {
  const planned = ['add_to_cart', 'add_to_wishlist', 'purchase', 'refund'];
  it('the nearest planned name within one edit per five characters', () => {
    expect(nearestName('purchse', planned)).toBe('purchase');
    expect(nearestName('add_to_crat', planned)).toBe('add_to_cart');
    expect(nearestName('refnud', planned)).toBe('refund');
    expect(nearestName('checkout', planned)).toBeUndefined();
  });

  it('the snake_case form when it is planned, or nothing to say', () => {
    expect(suggestName('AddToWishlist', planned)).toBe('add_to_wishlist');
    expect(suggestName('purchase', planned)).toBeUndefined();
    expect(suggestName('totally_new', planned)).toBeUndefined();
  });
});
