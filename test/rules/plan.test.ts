import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { trackingPlanSchema } from '../../src/rules/plan-config.js';
import { checkEvent, compilePlan, decidePlan, planRejection, quarantineReason, type Plan, type Violation } from '../../src/rules/plan.js';
import type { Event, Item, Scalar } from '../../src/event.js';
import { describeReason, isKnownReason } from '../../src/reasons/catalog.js';
import { makeEvent } from './helpers.js';

const planOf = (input: unknown): Plan => compilePlan(trackingPlanSchema.parse(input));
const check = (plan: Plan, name: string, params: Record<string, Scalar> = {}, items?: Item[]) =>
  checkEvent(makeEvent({ name, params, ...(items ? { items } : {}) }), plan);
const brief = (vs: Violation[]) => vs.map((v) => `${v.code} ${v.path}: expected ${v.expected}, got ${v.got}`);

describe('param types', () => {
  const plan = planOf({
    events: {
      e: {
        params: {
          s: 'string',
          n: 'number',
          i: 'integer',
          b: 'boolean',
          c: 'currency',
          d: 'date',
        },
      },
    },
  });
  it.each([
    ['s', 'text', true],
    ['s', 5, false, 'integer'],
    ['n', 9.99, true],
    ['n', '9.99', false, 'numeric string'],
    ['n', true, false, 'boolean'],
    ['i', 3, true],
    ['i', 3.5, false, 'number with a fraction'],
    ['b', false, true],
    ['b', 'true', false, 'string'],
    ['c', 'EUR', true],
    ['c', 'USD', true],
    ['c', 'eur', false, 'string of three letters, not a known upper-case code'],
    ['c', 'XYZ', false, 'string of three letters, not a known upper-case code'],
    ['c', 'EURO', false, 'string'],
    ['c', 978, false, 'integer'],
    ['d', '2024-02-29', true],
    ['d', '2023-02-29', false, 'string'],
    ['d', '2024-13-01', false, 'string'],
    ['d', '2024-01-01T10:00:00Z', false, 'string'],
    ['d', '', false, 'empty string'],
  ] as [string, Scalar, boolean, string?][])('%s = %j → ok %s', (param, value, ok, got) => {
    const vs = check(plan, 'e', { [param]: value });
    if (ok) expect(vs).toEqual([]);
    else expect(vs).toEqual([expect.objectContaining({ code: 'plan.type', path: `params.${param}`, got })]);
  });

  it('params not in the plan are allowed; absent optional params are fine', () => {
    expect(check(plan, 'e', { other: 'x' })).toEqual([]);
  });
});

describe('required, enums, ranges and patterns', () => {
  const plan = planOf({
    events: {
      signup: {
        params: {
          method: { type: 'string', required: true, enum: ['email', 'google'] },
          age_band: { type: 'integer', min: 18, max: 99 },
          score: { type: 'number', min: 0 },
          code: { type: 'string', pattern: '^[A-Z]{2}-\\d{3}$' },
          value: 'number',
          currency: { type: 'currency', required_with: ['value'] },
        },
      },
    },
  });
  it.each([
    [{ method: 'email' }, []],
    [{}, ['plan.required params.method: expected string, one of: email, google, got missing']],
    [{ method: 'facebook' }, ['plan.enum params.method: expected string, one of: email, google, got string not in the list']],
    [{ method: 'email', age_band: 17 }, ['plan.range params.age_band: expected integer between 18 and 99, got number below the minimum']],
    [{ method: 'email', age_band: 100 }, ['plan.range params.age_band: expected integer between 18 and 99, got number above the maximum']],
    [{ method: 'email', age_band: 18, score: 0 }, []],
    [{ method: 'email', score: -1 }, ['plan.range params.score: expected number ≥ 0, got number below the minimum']],
    [{ method: 'email', code: 'AB-123' }, []],
    [{ method: 'email', code: 'ab-123' }, ['plan.pattern params.code: expected string matching ^[A-Z]{2}-\\d{3}$, got string not matching']],
    [{ method: 'email', code: `AB-123${'x'.repeat(600)}` }, ['plan.pattern params.code: expected string matching ^[A-Z]{2}-\\d{3}$, got string longer than 512 characters']],
    [{ method: 'email', value: 5 }, ['plan.required params.currency: expected ISO 4217 currency code (required with value), got missing']],
    [{ method: 'email', value: 5, currency: 'EUR' }, []],
    [{ method: 'email', currency: 'EUR' }, []],
  ] as [Record<string, Scalar>, string[]][])('%j', (params, expected) => {
    expect(brief(check(plan, 'signup', params))).toEqual(expected);
  });
});

describe('items', () => {
  const plan = planOf({
    events: {
      cart: { items: { required: true, one_of: ['item_id', 'item_name'], fields: { price: { type: 'number', min: 0 }, quantity: { type: 'integer', min: 1 } } } },
    },
  });
  it('every item needs item_id or item_name; fields are checked per item with its index in the path', () => {
    const vs = check(plan, 'cart', {}, [{ item_id: 'A', price: 5 }, { item_name: 'B', quantity: 0 }, { price: 3 }, { item_id: '', price: -1 }]);
    expect(brief(vs)).toEqual([
      'plan.range params.items[1].quantity: expected integer ≥ 1, got number below the minimum',
      'plan.item_id params.items[2]: expected an item with item_id or item_name, got none of them',
      'plan.item_id params.items[3]: expected an item with item_id or item_name, got none of them',
      'plan.range params.items[3].price: expected number ≥ 0, got number below the minimum',
    ]);
  });

  it('required items: missing and empty lists are violations', () => {
    expect(brief(check(plan, 'cart'))).toEqual(['plan.required params.items: expected at least one item, got missing']);
    expect(brief(check(plan, 'cart', {}, []))).toEqual(['plan.required params.items: expected at least one item, got empty list']);
  });

  it('at most 50 violations per event, however many items are broken', () => {
    const items = Array.from({ length: 200 }, () => ({ price: -1 }));
    expect(check(plan, 'cart', {}, items)).toHaveLength(50);
  });
});

describe('the built-in ga4_ecommerce plan', () => {
  const plan = planOf({ extends: ['ga4_ecommerce'] });
  const item = { item_id: 'SKU_1', item_name: 'Tee', price: 9.99, quantity: 1 };
  it('covers GA4 recommended events', () => {
    for (const name of ['view_item', 'view_item_list', 'select_item', 'add_to_cart', 'remove_from_cart', 'add_to_wishlist', 'view_cart', 'begin_checkout', 'add_shipping_info', 'add_payment_info', 'purchase', 'refund', 'sign_up', 'login', 'generate_lead', 'search', 'share', 'view_promotion', 'select_promotion']) {
      expect(plan.events.has(name), name).toBe(true);
    }
  });

  it.each([
    ['a complete purchase', 'purchase', { transaction_id: 'T1', value: 9.99, currency: 'EUR', tax: 1.5 }, [item], []],
    ['purchase needs transaction_id, value, currency and items', 'purchase', {}, undefined, [
      'plan.required params.transaction_id',
      'plan.required params.currency',
      'plan.required params.value',
      'plan.required params.items',
    ]],
    ['a value sent as text', 'purchase', { transaction_id: 'T1', value: '9.99', currency: 'EUR' }, [item], ['plan.type params.value']],
    ['a lower-case currency', 'add_to_cart', { value: 9.99, currency: 'eur' }, [item], ['plan.type params.currency']],
    ['a value without currency', 'add_to_cart', { value: 9.99 }, [item], ['plan.required params.currency']],
    ['an item with neither id nor name', 'view_item', {}, [{ price: 3 }], ['plan.item_id params.items[0]']],
    ['a negative price and a fractional quantity', 'add_to_cart', {}, [{ item_id: 'A', price: -1, quantity: 1.5 }], ['plan.range params.items[0].price', 'plan.type params.items[0].quantity']],
    ['a full refund without items', 'refund', { transaction_id: 'T1', value: 5, currency: 'USD' }, undefined, []],
    ['search needs its term', 'search', {}, undefined, ['plan.required params.search_term']],
    ['login with a method', 'login', { method: 'Google' }, undefined, []],
    ['view_promotion needs items', 'view_promotion', { promotion_id: 'P1' }, undefined, ['plan.required params.items']],
    ['select_promotion does not', 'select_promotion', { promotion_id: 'P1' }, undefined, []],
  ] as [string, string, Record<string, Scalar>, Item[] | undefined, string[]][])('%s', (_, name, params, items, expected) => {
    expect(check(plan, name, params, items).map((v) => `${v.code} ${v.path}`)).toEqual(expected);
  });

  it('a site entry adds params and overrides built-in rules key by key', () => {
    const site = planOf({
      extends: ['ga4_ecommerce'],
      events: {
        purchase: { params: { payment_type: { type: 'string', enum: ['card', 'paypal'] }, tax: { required: true } }, items: { fields: { item_brand: { type: 'string', required: true } } } },
      },
    });
    const vs = check(site, 'purchase', { transaction_id: 'T', value: 1, currency: 'EUR', payment_type: 'cash' }, [{ item_id: 'A', price: 'x' as never }]);
    expect(vs.map((v) => `${v.code} ${v.path}`)).toEqual([
      'plan.required params.tax',
      'plan.enum params.payment_type',
      'plan.required params.items[0].item_brand',
      'plan.type params.items[0].price',
    ]);
    // The built-in tax rule (number ≥ 0) is kept under the override.
    expect(vs[0]!.expected).toBe('number ≥ 0');
  });

  it('ga4_automatic plans the events gtag sends on its own', () => {
    const auto = planOf({ extends: ['ga4_automatic'], unplanned: 'warn' });
    for (const name of ['page_view', 'session_start', 'first_visit', 'user_engagement', 'scroll', 'file_download', 'video_complete']) expect(check(auto, name), name).toEqual([]);
    expect(brief(check(auto, 'scroll', { percent_scrolled: 120 }))).toEqual(['plan.range params.percent_scrolled: expected number between 0 and 100, got number above the maximum']);
  });
});

describe('unplanned events and naming', () => {
  const events = { add_to_cart: {}, purchase: {} };
  it.each([
    ['allow', 'off', 'addToCart', []],
    ['allow', 'warn', 'addToCart', ['plan.naming name: camelCase → add_to_cart']],
    ['warn', 'warn', 'addToCart', ['plan.unplanned name: unplanned event → add_to_cart', 'plan.naming name: camelCase → add_to_cart']],
    ['warn', 'warn', 'Purchase', ['plan.unplanned name: unplanned event → purchase', 'plan.naming name: PascalCase → purchase']],
    ['warn', 'off', 'purchse', ['plan.unplanned name: unplanned event → purchase']],
    ['drop', 'warn', 'newsletter_signup', ['plan.unplanned name: unplanned event']],
    ['warn', 'warn', 'purchase', []],
  ])('unplanned %s, naming %s: %s', (unplanned, naming, name, expected) => {
    const plan = planOf({ unplanned, naming, events });
    expect(check(plan, name).map((v) => `${v.code} ${v.path}: ${v.got}${v.suggestion ? ` → ${v.suggestion}` : ''}`)).toEqual(expected);
  });

  it('a planned name is not checked against the convention (the plan chose it)', () => {
    expect(check(planOf({ events: { legacyEvent: {} } }), 'legacyEvent')).toEqual([]);
  });
});

describe('decidePlan: the three modes, unplanned and naming', () => {
  const v = (code: Violation['code']) => ({ code });
  it.each([
    ['warn', 'allow', 'warn', [], 'pass'],
    ['warn', 'allow', 'warn', [v('plan.type')], 'warn'],
    ['drop', 'allow', 'warn', [v('plan.type')], 'drop'],
    ['quarantine', 'allow', 'warn', [v('plan.required'), v('plan.range')], 'quarantine'],
    ['quarantine', 'allow', 'off', [v('plan.unplanned'), v('plan.naming')], 'pass'],
    ['quarantine', 'warn', 'off', [v('plan.unplanned')], 'warn'],
    ['warn', 'drop', 'warn', [v('plan.unplanned'), v('plan.naming')], 'drop'],
    ['warn', 'allow', 'drop', [v('plan.naming')], 'drop'],
    ['quarantine', 'drop', 'warn', [v('plan.type'), v('plan.unplanned')], 'drop'],
  ] as const)('mode %s, unplanned %s, naming %s, %j → %s', (mode, unplanned, naming, violations, outcome) => {
    expect(decidePlan(violations, { mode, unplanned, naming })).toBe(outcome);
  });
});

describe('a quarantined event is replayed after the plan is fixed', () => {
  it('fails plan v1, passes plan v2, and its reason and rejection name the path', () => {
    const event = makeEvent({ name: 'purchase', params: { transaction_id: 'T1', value: 10, currency: 'EUR', payment_type: 'klarna' } });
    const v1 = planOf({ mode: 'quarantine', events: { purchase: { params: { payment_type: { type: 'string', enum: ['card', 'paypal'] } } } } });
    const violations = checkEvent(event, v1);
    expect(decidePlan(violations, v1)).toBe('quarantine');
    expect(quarantineReason(violations)).toBe('plan.violation:params.payment_type');
    expect(isKnownReason(quarantineReason(violations))).toBe(true);
    expect(describeReason(quarantineReason(violations))).toMatch(/quarantined.*replayed/);
    expect(planRejection(violations)).toEqual({ code: 'ERR_PLAN_VIOLATION', field: 'params.payment_type', message: 'params.payment_type: expected string, one of: card, paypal, got string not in the list' });
    const v2 = planOf({ mode: 'quarantine', events: { purchase: { params: { payment_type: { type: 'string', enum: ['card', 'paypal', 'klarna'] } } } } });
    const replayed = checkEvent(event, v2);
    expect(replayed).toEqual([]);
    expect(decidePlan(replayed, v2)).toBe('pass');
  });

  it('a rejection for an unplanned name suggests the planned one', () => {
    const plan = planOf({ unplanned: 'drop', events: { add_to_cart: {} } });
    expect(planRejection(checkEvent(makeEvent({ name: 'addToCart' }), plan)).message).toBe(
      'name: expected an event in the tracking plan, got unplanned event; did you mean add_to_cart? (and 1 more)',
    );
  });
});

describe('violations never carry values', () => {
  const plan = planOf({
    extends: ['ga4_ecommerce'],
    events: { lead: { params: { email_domain: { type: 'string', pattern: '^[a-z.]+$', enum: ['a.com'] }, n: { type: 'integer', min: 0, max: 5 }, d: 'date', c: 'currency' } } },
  });
  it('whatever the params and items hold, no value appears in the violations', () => {
    const secret = fc.string({ minLength: 3, maxLength: 30 }).map((s) => `SECRET${s}`);
    const value = fc.oneof(secret, fc.integer().map((n) => 9_000_000 + Math.abs(n)), fc.double({ noNaN: true, noDefaultInfinity: true, min: 1e7 }));
    fc.assert(
      fc.property(fc.constantFrom('lead', 'purchase', 'add_to_cart', 'unknown_one'), fc.dictionary(fc.constantFrom('email_domain', 'n', 'd', 'c', 'value', 'currency', 'transaction_id'), value), fc.array(fc.dictionary(fc.constantFrom('item_id', 'price', 'quantity', 'item_brand'), value), { maxLength: 3 }), (name, params, items) => {
        const text = JSON.stringify(checkEvent({ name, params, items } as Pick<Event, 'name' | 'params' | 'items'>, plan));
        for (const v of [...Object.values(params), ...items.flatMap((i) => Object.values(i))]) {
          expect(text.includes(String(v))).toBe(false);
        }
      }),
      { numRuns: 300 },
    );
  });
});
