/**
 * @module Tracking plan checks: an event against its planned params and items → violations → pass, warn, drop or quarantine.
 */
import type { Event, Scalar } from '../event.js';
import type { ErrorCode } from '../errors.js';
import { namingProblem, plannedName } from './naming.js';
import { boundedTest, MAX_MATCH_LENGTH } from './patterns.js';
import type { EventPlan, ParamRule, TrackingPlanConfig } from './plan-config.js';
import { BUILT_IN_PLANS } from './plan-ga4.js';

/** What kind of rule an event broke; each is a reason code with words in src/reasons/plan.ts. */
export type ViolationCode =
  | 'plan.required'
  | 'plan.type'
  | 'plan.enum'
  | 'plan.range'
  | 'plan.pattern'
  | 'plan.item_id'
  | 'plan.unplanned'
  | 'plan.naming';

/**
 * One broken rule. `expected` and `got` describe types and shapes only — never the value, which
 * can be personal data.
 */
export interface Violation {
  /** The event name. */
  event: string;
  /** `params.items[2].price`, `params.currency`, or `name`. */
  path: string;
  /** `number ≥ 0`, `ISO 4217 currency code`, `one of: card, paypal`. */
  expected: string;
  /** `string`, `missing`, `number below the minimum`, `camelCase`. */
  got: string;
  code: ViolationCode;
  /** A planned or conventional event name to use instead (naming and unplanned violations). */
  suggestion?: string;
}

/** What the plan decides for one event. */
export type PlanOutcome = 'pass' | 'warn' | 'drop' | 'quarantine';

/** A rule ready to check: the config rule with its regex compiled. */
interface CheckRule extends ParamRule {
  regex?: RegExp;
}

interface CompiledEvent {
  params: [string, CheckRule][];
  items?: { required: boolean; one_of?: string[]; fields: [string, CheckRule][] };
}

/** A tracking plan ready to check events against (built once from config by {@link compilePlan}). */
export interface Plan {
  mode: TrackingPlanConfig['mode'];
  unplanned: TrackingPlanConfig['unplanned'];
  naming: TrackingPlanConfig['naming'];
  events: ReadonlyMap<string, CompiledEvent>;
  /** Every planned name, sorted (for suggestions). */
  names: readonly string[];
}

/** At most this many violations are reported per event (an event with 200 broken items stays small). */
export const MAX_VIOLATIONS = 50;

const compileRule = (rule: ParamRule): CheckRule => (rule.pattern === undefined ? rule : { ...rule, regex: new RegExp(rule.pattern) });

function mergeRules(base: Record<string, ParamRule> = {}, over: Record<string, ParamRule> = {}): Record<string, ParamRule> {
  const out = { ...base };
  for (const [name, rule] of Object.entries(over)) out[name] = { ...base[name], ...rule };
  return out;
}

/** A site's entry for an event merged over the built-in one: params and item fields rule by rule. */
function mergeEvent(base: EventPlan | undefined, over: EventPlan): EventPlan {
  if (!base) return over;
  const items = base.items || over.items ? { ...base.items, ...over.items, fields: mergeRules(base.items?.fields, over.items?.fields) } : undefined;
  return { params: mergeRules(base.params, over.params), ...(items ? { items } : {}) };
}

/**
 * Build the plan once from config: built-in plans in `extends` order, then the site's events merged
 * over them (a site's rule for a param overrides the built-in rule's keys it names).
 *
 * @example
 * const plan = compilePlan(config.tracking_plan)
 */
export function compilePlan(config: TrackingPlanConfig): Plan {
  const merged = new Map<string, EventPlan>();
  for (const name of config.extends) for (const [event, spec] of Object.entries(BUILT_IN_PLANS[name])) merged.set(event, mergeEvent(merged.get(event), spec));
  for (const [event, spec] of Object.entries(config.events)) merged.set(event, mergeEvent(merged.get(event), spec ?? {}));
  const events = new Map<string, CompiledEvent>();
  for (const [event, spec] of merged) {
    const compiled: CompiledEvent = { params: Object.entries(spec.params ?? {}).map(([k, r]) => [k, compileRule(r)]) };
    if (spec.items) {
      compiled.items = {
        required: spec.items.required ?? false,
        ...(spec.items.one_of ? { one_of: spec.items.one_of } : {}),
        fields: Object.entries(spec.items.fields ?? {}).map(([k, r]) => [k, compileRule(r)]),
      };
    }
    events.set(event, compiled);
  }
  return { mode: config.mode, unplanned: config.unplanned, naming: config.naming, events, names: [...events.keys()].sort() };
}

const TYPE_WORDS: Record<string, string> = {
  currency: 'ISO 4217 currency code',
  date: 'ISO 8601 date (YYYY-MM-DD)',
};

/** The rule in words: `number ≥ 0`, `integer between 1 and 10`, `string matching ^SKU_`. */
export function describeRule(rule: ParamRule): string {
  let words = rule.type ? (TYPE_WORDS[rule.type] ?? rule.type) : 'a value';
  if (rule.min !== undefined && rule.max !== undefined) words += ` between ${rule.min} and ${rule.max}`;
  else if (rule.min !== undefined) words += ` ≥ ${rule.min}`;
  else if (rule.max !== undefined) words += ` ≤ ${rule.max}`;
  if (rule.pattern !== undefined) words += ` matching ${rule.pattern}`;
  if (rule.enum) words += `, one of: ${rule.enum.slice(0, 10).join(', ')}${rule.enum.length > 10 ? ', …' : ''}`;
  return words;
}

/** The shape of a value in words, never the value. */
export function shapeOf(value: Scalar | undefined): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return value === '' ? 'empty string' : value.trim() !== '' && Number.isFinite(Number(value)) ? 'numeric string' : 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number with a fraction';
  return typeof value;
}

let currencies: ReadonlySet<string> | undefined;
/** ISO 4217 codes the runtime's Intl knows; shape-only (three upper-case letters) where Intl cannot list them. */
function isCurrency(v: string): boolean {
  if (!/^[A-Z]{3}$/.test(v)) return false;
  if (typeof Intl.supportedValuesOf !== 'function') return true;
  currencies ??= new Set(Intl.supportedValuesOf('currency'));
  return currencies.has(v);
}

function isDate(v: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(v);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.getUTCFullYear() === Number(m[1]) && d.getUTCMonth() === Number(m[2]) - 1 && d.getUTCDate() === Number(m[3]);
}

const TYPE_CHECKS: Record<string, (v: Scalar) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => typeof v === 'number' && Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  currency: (v) => typeof v === 'string' && isCurrency(v),
  date: (v) => typeof v === 'string' && isDate(v),
};

/** What came instead of the type: its shape, or for a near-miss currency (`eur`, `XYZ`) why it is not one. */
function wrongType(rule: CheckRule, value: Scalar): string {
  return rule.type === 'currency' && typeof value === 'string' && /^[A-Za-z]{3}$/.test(value) ? 'string of three letters, not a known upper-case code' : shapeOf(value);
}

/** Check one value against its rule; push what it breaks (one violation per value at most). */
function checkValue(event: string, path: string, value: Scalar | undefined, rule: CheckRule, siblings: Readonly<Record<string, unknown>>, out: Violation[]): void {
  const fail = (code: ViolationCode, got: string, expected = describeRule(rule)) => void out.push({ event, path, expected, got, code });
  if (value === undefined) {
    const with_ = rule.required_with?.find((p) => siblings[p] !== undefined);
    if (rule.required) fail('plan.required', 'missing');
    else if (with_) fail('plan.required', 'missing', `${describeRule(rule)} (required with ${with_})`);
    return;
  }
  if (rule.type && !TYPE_CHECKS[rule.type]!(value)) return fail('plan.type', wrongType(rule, value));
  if (rule.enum && !rule.enum.includes(value)) return fail('plan.enum', `${shapeOf(value)} not in the list`);
  if (typeof value === 'number' && rule.min !== undefined && value < rule.min) return fail('plan.range', 'number below the minimum');
  if (typeof value === 'number' && rule.max !== undefined && value > rule.max) return fail('plan.range', 'number above the maximum');
  if (rule.regex && typeof value === 'string' && !boundedTest(rule.regex, value)) {
    fail('plan.pattern', value.length > MAX_MATCH_LENGTH ? `string longer than ${MAX_MATCH_LENGTH} characters` : 'string not matching');
  }
}

/** Violations of an event whose name is not in the plan: unplanned, and naming. */
function unplannedViolations(name: string, plan: Plan): Violation[] {
  const out: Violation[] = [];
  if (plan.unplanned !== 'allow') {
    const near = plannedName(name, plan.names);
    out.push({ event: name, path: 'name', expected: 'an event in the tracking plan', got: 'unplanned event', code: 'plan.unplanned', ...(near ? { suggestion: near } : {}) });
  }
  if (plan.naming !== 'off') {
    const naming = namingProblem(name, plan.names);
    if (naming) out.push({ event: name, path: 'name', expected: 'snake_case of at most 40 characters', got: naming.problem, code: 'plan.naming', ...(naming.suggestion ? { suggestion: naming.suggestion } : {}) });
  }
  return out;
}

/**
 * Check one event against the plan. A planned event is checked param by param and item by item
 * (params not in the plan are allowed); an unplanned one gets `plan.unplanned` (unless
 * `unplanned: allow`) and `plan.naming` when its name breaks the convention (unless `naming: off`).
 * Pure; at most {@link MAX_VIOLATIONS} violations.
 *
 * @example
 * checkEvent({ ...event, name: 'purchase', params: { value: '9.99' } }, plan)
 * // [{ event: 'purchase', path: 'params.transaction_id', expected: 'string', got: 'missing', code: 'plan.required' },
 * //  { event: 'purchase', path: 'params.currency', … }, { event: 'purchase', path: 'params.value', expected: 'number ≥ 0', got: 'numeric string', code: 'plan.type' }, …]
 */
export function checkEvent(event: Pick<Event, 'name' | 'params' | 'items'>, plan: Plan): Violation[] {
  const spec = plan.events.get(event.name);
  if (!spec) return unplannedViolations(event.name, plan);
  const out: Violation[] = [];
  const base = { event: event.name };
  for (const [name, rule] of spec.params) checkValue(event.name, `params.${name}`, event.params[name], rule, event.params, out);
  const items = spec.items;
  if (items) {
    const list = event.items ?? [];
    if (items.required && list.length === 0) {
      out.push({ ...base, path: 'params.items', expected: 'at least one item', got: event.items ? 'empty list' : 'missing', code: 'plan.required' });
    }
    for (let i = 0; i < list.length && out.length < MAX_VIOLATIONS; i++) {
      const item = list[i]!;
      const path = `params.items[${i}]`;
      if (items.one_of && !items.one_of.some((f) => item[f] !== undefined && item[f] !== '')) {
        out.push({ ...base, path, expected: `an item with ${items.one_of.join(' or ')}`, got: 'none of them', code: 'plan.item_id' });
      }
      for (const [field, rule] of items.fields) checkValue(event.name, `${path}.${field}`, item[field], rule, item, out);
    }
  }
  return out.slice(0, MAX_VIOLATIONS);
}

const SEVERITY: Record<PlanOutcome, number> = { pass: 0, warn: 1, quarantine: 2, drop: 3 };

/** The action a violation asks for under the plan's settings. */
export function actionFor(violation: Pick<Violation, 'code'>, plan: Pick<Plan, 'mode' | 'unplanned' | 'naming'>): PlanOutcome {
  const setting = violation.code === 'plan.unplanned' ? plan.unplanned : violation.code === 'plan.naming' ? plan.naming : plan.mode;
  return setting === 'allow' || setting === 'off' ? 'pass' : setting;
}

/**
 * What happens to an event with these violations: the most severe action any of them asks for
 * (drop > quarantine > warn > pass). `plan.unplanned` follows `unplanned`, `plan.naming` follows
 * `naming`, everything else follows `mode`.
 *
 * @example
 * decidePlan(checkEvent(event, plan), plan) // 'quarantine'
 */
export function decidePlan(violations: readonly Pick<Violation, 'code'>[], plan: Pick<Plan, 'mode' | 'unplanned' | 'naming'>): PlanOutcome {
  let outcome: PlanOutcome = 'pass';
  for (const v of violations) {
    const action = actionFor(v, plan);
    if (SEVERITY[action] > SEVERITY[outcome]) outcome = action;
  }
  return outcome;
}

/** The dead-letter reason of a quarantined event: `plan.violation:<path of the first violation>`. */
export function quarantineReason(violations: readonly Violation[]): string {
  return `plan.violation:${violations[0]?.path ?? 'name'}`;
}

/**
 * The 202's `rejected` entry for a dropped event (the caller adds its `index`); the message names the
 * path and the expectation, never the value.
 */
export function planRejection(violations: readonly Violation[]): { code: ErrorCode; message: string; field: string } {
  const v = violations[0];
  if (!v) return { code: 'ERR_PLAN_VIOLATION', message: 'the event breaks the tracking plan', field: 'name' };
  const more = violations.length > 1 ? ` (and ${violations.length - 1} more)` : '';
  const hint = v.suggestion ? `; did you mean ${v.suggestion}?` : '';
  return { code: 'ERR_PLAN_VIOLATION', message: `${v.path}: expected ${v.expected}, got ${v.got}${hint}${more}`, field: v.path };
}
