import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configIssues, yaml } from './helpers.js';

describe('tracking_plan in config', () => {
  it('is off by default', () => {
    expect(parseConfig('dev_mode: true\n', 'site.yaml', {}).tracking_plan).toBeUndefined();
  });

  it('takes type shorthands, empty entries and defaults', () => {
    const config = parseConfig(
      yaml('tracking_plan:', '  extends: [ga4_ecommerce]', '  events:', '    page_view:', '    newsletter_signup:', '      params:', '        list: string', '        consent_date: { type: date, required: true }'),
      'site.yaml',
      {},
    );
    expect(config.tracking_plan).toEqual({
      mode: 'warn',
      unplanned: 'allow',
      naming: 'warn',
      extends: ['ga4_ecommerce'],
      events: { page_view: null, newsletter_signup: { params: { list: { type: 'string' }, consent_date: { type: 'date', required: true } } } },
    });
  });

  it.each([
    [
      'a catastrophic pattern',
      yaml('tracking_plan:', '  events:', '    signup:', '      params:', "        code: { type: string, pattern: '(a+)+$' }"),
      /^tracking_plan\.events\.signup\.params\.code\.pattern @5:\d+: nested repetition/,
    ],
    [
      'a pattern with too many open-ended repetitions',
      yaml('tracking_plan:', '  events:', '    signup:', '      params:', '        code:', '          type: string', "          pattern: '.*.*@.*'"),
      /^tracking_plan\.events\.signup\.params\.code\.pattern @7:20: pattern could take too long/,
    ],
    ['an unknown type', yaml('tracking_plan:', '  events:', '    e:', '      params:', '        p: { type: float }'), /^tracking_plan\.events\.e\.params\.p(\.type)? @5:/],
    ['min above max', yaml('tracking_plan:', '  events:', '    e:', '      params:', '        p: { type: number, min: 5, max: 1 }'), /^tracking_plan\.events\.e\.params\.p\.min @5:\d+: min is greater than max/],
    ['a range on a string', yaml('tracking_plan:', '  events:', '    e:', '      params:', '        p: { type: string, max: 3 }'), /params\.p\.max @5:\d+: min\/max apply to numbers/],
    ['a pattern on a number', yaml('tracking_plan:', '  events:', '    e:', '      params:', "        p: { type: integer, pattern: '^1' }"), /params\.p\.pattern @5:\d+: pattern applies to strings/],
    ['an enum of the wrong type', yaml('tracking_plan:', '  events:', '    e:', '      params:', '        p: { type: number, enum: [1, two] }'), /params\.p\.enum\[1\] @5:\d+: enum value is not a number/],
    ['items described as a param', yaml('tracking_plan:', '  events:', '    e:', '      params:', '        items: string'), /params\.items @5:\d+: describe items under/],
    ['an unknown built-in plan', yaml('tracking_plan:', '  extends: [ga4_everything]'), /^tracking_plan\.extends\[0\] @2:\d+:/],
    ['an invalid event name', yaml('tracking_plan:', '  events:', '    "add to cart": {}'), /^tracking_plan\.events\.add to cart @3:\d+: an event name is/],
    ['an unknown mode', yaml('tracking_plan:', '  mode: block'), /^tracking_plan\.mode @2:9:/],
    ['an unknown key in a rule', yaml('tracking_plan:', '  events:', '    e:', '      params:', '        p: { type: string, requried: true }'), /params\.p @5:\d+: unknown key\(s\) 'requried'/],
  ])('refuses %s with file:line:col', (_, text, message) => {
    const issues = configIssues(text);
    expect(issues.some((i) => message.test(i)), issues.join('\n')).toBe(true);
  });

  it('the error message names the file, line and column', () => {
    expect(() => parseConfig(yaml('tracking_plan:', '  events:', '    e:', '      params:', "        p: { type: string, pattern: '(x|xy)*' }"), 'conf/site.yaml', {})).toThrow(
      /conf\/site\.yaml:5:\d+ tracking_plan\.events\.e\.params\.p\.pattern: a repeated group with alternatives/,
    );
  });
});
