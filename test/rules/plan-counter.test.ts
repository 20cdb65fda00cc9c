import { describe, expect, it } from 'vitest';
import { createPlanCounter, foldPath, OTHER_EVENTS } from '../../src/rules/plan-counter.js';
import { trackingPlanSchema } from '../../src/rules/plan-config.js';
import { compilePlan, type Violation } from '../../src/rules/plan.js';
import { formatPlanReport, shadowCheck } from '../../src/rules/plan-report.js';
import { makeEvent } from './helpers.js';

const violation = (event: string, path: string, code: Violation['code'] = 'plan.type'): Violation => ({ event, path, code, expected: 'number', got: 'string' });

describe('the violation counter', () => {
  it('counts outcomes per event name and violations per name and path, items folded', () => {
    const counter = createPlanCounter();
    counter.record('purchase', [violation('purchase', 'params.items[0].price'), violation('purchase', 'params.items[3].price')], 'warn');
    counter.record('purchase', [violation('purchase', 'params.value')], 'warn');
    counter.record('purchase', [], 'pass');
    counter.record('page_view', [], 'pass');
    expect(counter.snapshot()).toEqual({
      events: [
        { event: 'purchase', checked: 3, outcomes: { pass: 1, warn: 2, quarantine: 0, drop: 0 } },
        { event: 'page_view', checked: 1, outcomes: { pass: 1, warn: 0, quarantine: 0, drop: 0 } },
      ],
      violations: [
        { event: 'purchase', path: 'params.items[].price', code: 'plan.type', count: 2, expected: 'number', got: 'string' },
        { event: 'purchase', path: 'params.value', code: 'plan.type', count: 1, expected: 'number', got: 'string' },
      ],
    });
  });

  it('drain hands the counts over and starts from zero', () => {
    const counter = createPlanCounter();
    counter.record('e', [violation('e', 'params.x')], 'drop');
    expect(counter.drain().violations).toHaveLength(1);
    expect(counter.snapshot()).toEqual({ events: [], violations: [] });
  });

  it('bounds the names it keeps: the rest count under (other)', () => {
    const counter = createPlanCounter({ maxNames: 2 });
    for (const name of ['a', 'b', 'c', 'd', 'a']) counter.record(name, [{ ...violation(name, 'name', 'plan.unplanned'), suggestion: 'x' }], 'warn');
    const { events, violations } = counter.snapshot();
    expect(events.map((e) => [e.event, e.checked])).toEqual([[OTHER_EVENTS, 2], ['a', 2], ['b', 1]]);
    expect(violations.find((v) => v.event === OTHER_EVENTS)).toEqual(expect.not.objectContaining({ suggestion: expect.anything() }));
  });

  it('folds every index', () => {
    expect(foldPath('params.items[12].price')).toBe('params.items[].price');
    expect(foldPath('name')).toBe('name');
  });
});

describe('the shadow-check report', () => {
  const plan = compilePlan(trackingPlanSchema.parse({ mode: 'quarantine', unplanned: 'warn', extends: ['ga4_ecommerce'], events: { page_view: null } }));
  const events = [
    makeEvent({ name: 'page_view' }),
    makeEvent({ name: 'purchase', params: { transaction_id: 'T', value: 5, currency: 'EUR' }, items: [{ item_id: 'A' }] }),
    makeEvent({ name: 'purchase', params: { transaction_id: 'T', value: '5', currency: 'eur' }, items: [{ item_id: 'A' }] }),
    makeEvent({ name: 'purchase', params: { transaction_id: 'T', value: '5', currency: 'EUR' }, items: [{ item_id: 'A' }] }),
    makeEvent({ name: 'addToCart' }),
  ];
  const report = shadowCheck(events, plan);

  it('per event name: outcomes and the most frequent violations, rows with something to say first', () => {
    expect(report.checked).toBe(5);
    expect(report.outcomes).toEqual({ pass: 2, warn: 1, quarantine: 2, drop: 0 });
    expect(report.events.map((r) => [r.event, r.outcomes])).toEqual([
      ['purchase', { pass: 1, warn: 0, quarantine: 2, drop: 0 }],
      ['addToCart', { pass: 0, warn: 1, quarantine: 0, drop: 0 }],
      ['page_view', { pass: 1, warn: 0, quarantine: 0, drop: 0 }],
    ]);
    expect(report.events[0]!.top.map((v) => [v.path, v.code, v.count])).toEqual([
      ['params.value', 'plan.type', 2],
      ['params.currency', 'plan.type', 1],
    ]);
  });

  it('as a table', () => {
    const text = formatPlanReport(report);
    expect(text).toContain('plan: mode quarantine, unplanned warn, naming warn');
    expect(text).toMatch(/^purchase\s+3\s+1\s+0\s+2\s+0$/m);
    expect(text).toMatch(/^\s+2× params\.value  plan\.type: expected number ≥ 0, got numeric string$/m);
    expect(text).toMatch(/^\s+1× name  plan\.unplanned: expected an event in the tracking plan, got unplanned event \(suggest add_to_cart\)$/m);
    expect(text).toMatch(/^total\s+5\s+2\s+1\s+2\s+0$/m);
    expect(text).toContain('would warn 1, quarantine 2 and drop 0 of 5 event(s)');
    expect(text).not.toMatch(/'5'|eur\b/);
  });
});
