/**
 * @module Conversion rules: derive micro- and macro-conversions from an event, with ids deterministic under replay.
 */
import type { Event, Item, Scalar } from '../event.js';
import { regionGroups } from '../consent/regions.js';
import { EVENT_ID_PATTERN } from '../ingest/native.js';
import { boundedTest, globMatch, MAX_MATCH_LENGTH } from './patterns.js';
import { asList, type Condition, type ConversionRule } from './conversions-config.js';

/**
 * An event a rule derived. It is an ordinary {@link Event} (same consent, identity and context as its
 * source) plus the link to its source and its kind; the rule's value is in `params.value`.
 */
export interface DerivedEvent extends Event {
  derived_from: { event_id: string; rule_id: string };
  kind: 'micro' | 'macro';
}

type Test = (event: Event) => boolean;

/** A rule ready to match (regexes compiled once). */
export interface CompiledRule {
  id: string;
  kind: 'micro' | 'macro';
  events: ReadonlySet<string>;
  tests: Test[];
  emit: ConversionRule['emit'];
}

/** Longest value a glob is matched against; a longer one never matches. */
const MAX_GLOB_LENGTH = 4 * MAX_MATCH_LENGTH;
/** At most this many events are derived from one source event (rules may chain, never loop). */
export const MAX_DERIVED = 32;

function toNumber(v: Scalar): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

/** Equality across the wire's types: gtag sends every `ep.` param as text, so `'10'` equals `10`. */
function same(v: Scalar, x: Scalar): boolean {
  if (typeof x === 'number') return toNumber(v) === x;
  if (typeof x === 'boolean') return v === x || String(v) === String(x);
  return String(v) === x;
}

/** One param condition as a predicate on the param's value. */
function compileCondition(c: Condition): (v: Scalar | undefined) => boolean {
  const regex = c.matches === undefined ? undefined : new RegExp(c.matches);
  return (v) => {
    if (c.exists !== undefined && (v !== undefined && v !== '') !== c.exists) return false;
    if (v === undefined) return c.exists === false || (c.ne !== undefined && Object.keys(c).every((k) => k === 'ne' || k === 'exists'));
    if (c.eq !== undefined && !same(v, c.eq)) return false;
    if (c.ne !== undefined && same(v, c.ne)) return false;
    if (c.in !== undefined && !c.in.some((x) => same(v, x))) return false;
    const n = toNumber(v);
    if (c.gt !== undefined && !(n > c.gt)) return false;
    if (c.gte !== undefined && !(n >= c.gte)) return false;
    if (c.lt !== undefined && !(n < c.lt)) return false;
    if (c.lte !== undefined && !(n <= c.lte)) return false;
    if (regex && !boundedTest(regex, String(v))) return false;
    if (c.glob !== undefined && !(String(v).length <= MAX_GLOB_LENGTH && globMatch(c.glob, String(v)))) return false;
    return true;
  };
}

/** A param by name; `engagement_time_msec` also from the client section, where gtag's `_et` lands. */
function paramOf(event: Event, name: string): Scalar | undefined {
  const v = event.params[name];
  if (v === undefined && name === 'engagement_time_msec') return event.client.engagement_time_msec;
  return v;
}

/** The page path (`/pricing/teams`), or `undefined` without a usable page URL. */
export function pagePath(event: Pick<Event, 'page'>): string | undefined {
  const url = event.page.url;
  if (!url) return undefined;
  try {
    return new URL(url, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/** The visitor's region as consent resolved it (`DE`, `US-CA`), else from the geo section. */
function regionOf(event: Event): string | undefined {
  const r = event.consent_state?.region;
  if (r && r !== 'unknown') return r;
  const country = event.geo?.country?.toUpperCase();
  return country ? (event.geo?.region ? `${country}-${event.geo.region.toUpperCase()}` : country) : undefined;
}

function oneOf(values: string | string[], read: (e: Event) => string | undefined): Test {
  const wanted = new Set(asList(values).map((v) => v.toLowerCase()));
  return (e) => {
    const v = read(e)?.toLowerCase();
    return v !== undefined && wanted.has(v);
  };
}

function compileTests(when: ConversionRule['when']): Test[] {
  const tests: Test[] = [];
  for (const [name, c] of Object.entries(when.params ?? {})) {
    const test = compileCondition(c);
    tests.push((e) => test(paramOf(e, name)));
  }
  const page = when.page;
  if (page !== undefined) {
    const glob = typeof page === 'string' ? page : 'glob' in page ? page.glob : undefined;
    const regex = typeof page === 'object' && 'regex' in page ? new RegExp(page.regex) : undefined;
    tests.push((e) => {
      const path = pagePath(e);
      if (path === undefined) return false;
      return glob !== undefined ? path.length <= MAX_GLOB_LENGTH && globMatch(glob, path) : boundedTest(regex!, path);
    });
  }
  if (when.device_type !== undefined) tests.push(oneOf(when.device_type, (e) => e.device?.device_type));
  if (when.source !== undefined) tests.push(oneOf(when.source, (e) => e.campaign?.source));
  if (when.medium !== undefined) tests.push(oneOf(when.medium, (e) => e.campaign?.medium));
  if (when.region !== undefined) {
    const wanted = asList(when.region).map((r) => r.toUpperCase());
    tests.push((e) => {
      const region = regionOf(e);
      if (!region) return false;
      const names = [region, region.split('-')[0]!, ...regionGroups(region)];
      return wanted.some((w) => names.includes(w));
    });
  }
  return tests;
}

/**
 * Build the rules once from config (`config.conversions`, already checked for loops and unsafe regexes).
 *
 * @example
 * const rules = compileConversions(config.conversions)
 */
export function compileConversions(rules: readonly ConversionRule[]): CompiledRule[] {
  return rules.map((r) => ({ id: r.id, kind: r.kind, events: new Set(asList(r.when.event)), tests: compileTests(r.when), emit: r.emit }));
}

/** True when the event satisfies every condition of the rule. */
export function matchesRule(event: Event, rule: CompiledRule): boolean {
  return rule.events.has(event.name) && rule.tests.every((t) => t(event));
}

/**
 * A 128-bit non-cryptographic hash (cyrb128) as 32 hex digits: the default for long derived ids on
 * runtimes without a synchronous SHA-256 (Workers). Deterministic everywhere.
 */
export function quickHashHex(input: string): string {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < input.length; i++) {
    const k = input.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1, h2, h3, h4].map((h) => (h >>> 0).toString(16).padStart(8, '0')).join('');
}

/**
 * The id of the event `ruleId` derives from `sourceId`: `<source>:<rule>` when that fits the event-id
 * rules (1–128 of `[A-Za-z0-9._:-]`), else `d-` and 32 hex digits of `hashHex(source + '\n' + rule)`
 * (a synchronous hash; {@link quickHashHex} by default, a SHA-256 port's where the runtime has one).
 * The same source and rule always give the same id, so a replayed or duplicated source event derives
 * nothing new (dedupe and the warehouse's primary key see the same id).
 */
export function derivedEventId(sourceId: string, ruleId: string, hashHex: (input: string) => string = quickHashHex): string {
  const id = `${sourceId}:${ruleId}`;
  return EVENT_ID_PATTERN.test(id) ? id : `d-${hashHex(`${sourceId}\n${ruleId}`).slice(0, 32)}`;
}

/** The derived event: a copy of the source's context, the rule's params and value. */
function derive(source: Event, rule: CompiledRule, hashHex: (input: string) => string): DerivedEvent {
  const params: Record<string, Scalar> = {};
  let items: Item[] | undefined;
  for (const name of rule.emit.params?.copy ?? []) {
    if (name === 'items') items = source.items?.map((i) => ({ ...i }));
    else if (source.params[name] !== undefined) params[name] = source.params[name]!;
  }
  Object.assign(params, rule.emit.params?.set);
  if (rule.emit.value !== undefined) params.value = rule.emit.value;
  const { event_id: _id, name: _name, params: _params, items: _items, ...context } = source;
  // Sections are copied, not shared: later stages (privacy) rewrite them per event.
  const derived: DerivedEvent = {
    ...structuredClone(context),
    event_id: derivedEventId(source.event_id, rule.id, hashHex),
    name: rule.emit.name,
    params,
    derived_from: { event_id: source.event_id, rule_id: rule.id },
    kind: rule.kind,
  };
  if (items) derived.items = items;
  return derived;
}

/**
 * The events the rules derive from `event`: one per matching rule, and from those, what rules
 * derive in turn (config refuses loops; at most {@link MAX_DERIVED}). Pure: the same event and rules
 * always give the same events with the same ids. Run after enrichment (rules read device, campaign
 * and region) and before the privacy stage, which then treats derived events like any other.
 *
 * @example
 * deriveEvents(pageView, compileConversions(config.conversions))
 * // [{ event_id: '0190…:pricing', name: 'view_pricing', derived_from: { event_id: '0190…', rule_id: 'pricing' }, kind: 'micro', … }]
 */
export function deriveEvents(event: Event, rules: readonly CompiledRule[], hashHex: (input: string) => string = quickHashHex): DerivedEvent[] {
  const out: DerivedEvent[] = [];
  const queue: Event[] = [event];
  while (queue.length > 0 && out.length < MAX_DERIVED) {
    const source = queue.shift()!;
    for (const rule of rules) {
      if (out.length >= MAX_DERIVED || !matchesRule(source, rule)) continue;
      const derived = derive(source, rule, hashHex);
      out.push(derived);
      queue.push(derived);
    }
  }
  return out;
}
