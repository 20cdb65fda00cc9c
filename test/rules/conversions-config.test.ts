import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configIssues, yaml } from './helpers.js';

describe('conversions in config', () => {
  it('default to none; kind defaults to micro', () => {
    expect(parseConfig('dev_mode: true\n', 'site.yaml', {}).conversions).toEqual([]);
    const config = parseConfig(yaml('conversions:', '  - id: pricing', "    when: { event: page_view, page: '/pricing*' }", '    emit: { name: view_pricing }'), 'site.yaml', {});
    expect(config.conversions).toEqual([{ id: 'pricing', when: { event: 'page_view', page: '/pricing*' }, emit: { name: 'view_pricing' }, kind: 'micro' }]);
  });

  it('refuses a rule that derives from its own output', () => {
    const issues = configIssues(yaml('conversions:', '  - id: echo', '    when: { event: [page_view, scroll] }', '    emit:', '      name: scroll'));
    expect(issues).toEqual(["conversions[0].emit.name @5:13: rule 'echo' would derive 'scroll' from its own output (it is in when.event): loops are refused"]);
  });

  it('refuses a loop across two rules, naming both and the path of names', () => {
    const issues = configIssues(
      yaml(
        'conversions:',
        '  - id: a',
        '    when: { event: page_view }',
        '    emit: { name: view_pricing }',
        '  - id: b',
        '    when: { event: view_pricing }',
        '    emit: { name: page_view }',
      ),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^conversions\[1\]\.emit\.name @7:\d+: rules 'a', 'b' form a loop \(page_view → view_pricing → page_view\)/);
  });

  it('refuses a loop across three rules among rules that chain without looping', () => {
    const issues = configIssues(
      yaml(
        'conversions:',
        '  - { id: ok1, when: { event: page_view }, emit: { name: step_a } }',
        '  - { id: ok2, when: { event: step_a }, emit: { name: step_b } }',
        '  - { id: x, when: { event: scroll }, emit: { name: one } }',
        '  - { id: y, when: { event: one }, emit: { name: two } }',
        '  - { id: z, when: { event: [two, page_view] }, emit: { name: scroll } }',
      ),
    );
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^conversions\[4\]\.emit\.name @6:\d+: rules 'x', 'y', 'z' form a loop \(scroll → one → two → scroll\)/);
  });

  it('accepts chains and diamonds (no loop)', () => {
    const text = yaml(
      'conversions:',
      '  - { id: a, when: { event: page_view }, emit: { name: x } }',
      '  - { id: b, when: { event: page_view }, emit: { name: y } }',
      '  - { id: c, when: { event: [x, y] }, emit: { name: z } }',
    );
    expect(parseConfig(text, 'site.yaml', {}).conversions).toHaveLength(3);
  });

  it.each([
    ['a nested quantifier in matches', "  - { id: r, when: { event: e, params: { p: { matches: '(a+)+$' } } }, emit: { name: o } }", /conversions\[0\]\.when\.params\.p\.matches @2:\d+: nested repetition/],
    ['a runaway page regex', "  - { id: r, when: { event: e, page: { regex: '.*.*x' } }, emit: { name: o } }", /conversions\[0\]\.when\.page\.regex @2:\d+: pattern could take too long/],
    ['a backreference', "  - { id: r, when: { event: e, params: { p: { matches: '(x)\\1' } } }, emit: { name: o } }", /matches @2:\d+: backreferences/],
    ['an empty condition', '  - { id: r, when: { event: e, params: { p: {} } }, emit: { name: o } }', /conversions\[0\]\.when\.params\.p @2:\d+: a condition needs at least one of/],
    ['an unknown operator', '  - { id: r, when: { event: e, params: { p: { between: [1, 2] } } }, emit: { name: o } }', /params\.p @2:\d+: unknown key\(s\) 'between'/],
    ['a rule without event', '  - { id: r, when: { page: /x }, emit: { name: o } }', /conversions\[0\]\.when\.event @2:\d+/],
    ['a bad emitted name', "  - { id: r, when: { event: e }, emit: { name: 'view pricing' } }", /conversions\[0\]\.emit\.name @2:\d+: an event name is/],
    ['a bad rule id', "  - { id: 'my rule', when: { event: e }, emit: { name: o } }", /conversions\[0\]\.id @2:\d+: a rule id is/],
    ['an unknown kind', '  - { id: r, when: { event: e }, emit: { name: o }, kind: mega }', /conversions\[0\]\.kind @2:\d+/],
  ])('refuses %s with file:line:col', (_, line, message) => {
    const issues = configIssues(yaml('conversions:', line));
    expect(issues.some((i) => message.test(i)), issues.join('\n')).toBe(true);
  });

  it('refuses duplicate rule ids', () => {
    const issues = configIssues(yaml('conversions:', '  - { id: r, when: { event: a }, emit: { name: b } }', '  - { id: r, when: { event: c }, emit: { name: d } }'));
    expect(issues).toEqual(["conversions[1].id @3:11: duplicate rule id 'r'"]);
  });

  it('the error message names the file, line and column', () => {
    expect(() => parseConfig(yaml('conversions:', '  - id: r', '    when:', '      event: e', '      page:', "        regex: '(a|aa)+'", '    emit: { name: o }'), 'conf/site.yaml', {})).toThrow(
      /conf\/site\.yaml:6:16 conversions\[0\]\.when\.page\.regex: a repeated group with alternatives/,
    );
  });
});
