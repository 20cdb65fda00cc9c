/**
 * The `triggers` config key: defaults, both forms, and every refusal with file:line:col.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { configIssues, yaml } from './helpers.js';

const dests = ['destinations:', '  - { id: lake, type: sqlite }'];

describe('triggers in config', () => {
  it('default to none; a timed trigger parses with per: client, no cancel and no required purpose', () => {
    expect(parseConfig('dev_mode: true\n', 'site.yaml', {}).triggers).toEqual([]);
    const config = parseConfig(yaml(...dests, 'triggers:', '  - { id: cart, start: add_to_cart, after: 30m, emit: { name: cart_abandoned }, destinations: [lake] }'), 'site.yaml', {});
    expect(config.triggers).toEqual([{ id: 'cart', start: 'add_to_cart', cancel: [], after: 1_800_000, per: 'client', emit: { name: 'cart_abandoned' }, requires: [], destinations: ['lake'] }]);
  });

  it('the count form takes count and within', () => {
    const config = parseConfig(
      yaml(...dests, 'triggers:', '  - { id: browse, start: view_item, count: 3, within: 1h, cancel: [add_to_cart], emit: { name: browse_abandoned }, destinations: [lake] }'),
      'site.yaml',
      {},
    );
    expect(config.triggers[0]).toMatchObject({ count: 3, within: 3_600_000 });
  });

  it('refuses a destination that is not configured', () => {
    expect(configIssues(yaml(...dests, 'triggers:', '  - id: cart', '    start: add_to_cart', '    after: 30m', '    emit: { name: cart_abandoned }', '    destinations: [crm]'))).toEqual([
      "triggers[0].destinations[0] @8:20: no destination has the id 'crm'",
    ]);
  });

  it('refuses a trigger without after (or count and within), and one mixing the forms', () => {
    expect(configIssues(yaml(...dests, 'triggers:', '  - { id: t, start: add_to_cart, emit: { name: x_y }, destinations: [lake] }'))[0]).toMatch(/triggers\[0\].* a trigger needs after/);
    expect(configIssues(yaml(...dests, 'triggers:', '  - { id: t, start: view_item, count: 3, within: 1h, after: 5m, emit: { name: x_y }, destinations: [lake] }'))[0]).toMatch(
      /triggers\[0\]\.after .*give count and within, not after/,
    );
    expect(configIssues(yaml(...dests, 'triggers:', '  - { id: t, start: view_item, count: 3, emit: { name: x_y }, destinations: [lake] }'))[0]).toMatch(/triggers\[0\]\.within .*count needs within/);
  });

  it('refuses a trigger that emits its own start or cancel event, and duplicate ids', () => {
    expect(configIssues(yaml(...dests, 'triggers:', '  - { id: t, start: add_to_cart, after: 1m, emit: { name: add_to_cart }, destinations: [lake] }'))[0]).toMatch(
      /triggers\[0\]\.emit\.name .*loops are refused/,
    );
    const dup = '  - { id: t, start: add_to_cart, after: 1m, emit: { name: cart_abandoned }, destinations: [lake] }';
    expect(configIssues(yaml(...dests, 'triggers:', dup, dup))).toEqual(["triggers[1].id @5:11: duplicate trigger id 't'"]);
  });

  it('refuses an unknown purpose and an unknown key', () => {
    const issues = configIssues(yaml(...dests, 'triggers:', '  - { id: t, start: add_to_cart, after: 1m, emit: { name: c_a }, requires: [email_marketing], destinations: [lake], when: {} }'));
    expect(issues.join('\n')).toMatch(/triggers\[0\]\.requires\[0\]/);
    expect(issues.join('\n')).toMatch(/when/);
  });
});
