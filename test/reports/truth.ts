/**
 * The expected numbers of every report, derived in plain JS from the generator's model (never from
 * the warehouse rows or the report SQL): the reports must equal these exactly.
 */
import type { Dataset, GenEvent, GenSession, GenVisitor } from './generator.js';

type Dim = 'device' | 'country' | 'channel' | 'source' | 'medium' | 'campaign';

interface Ev extends GenEvent {
  visitor: GenVisitor;
  session: GenSession;
}

const mid = (xs: number[]): number | null => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2;
};
const div = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** In-range events seen in full (stable ids), grouped per unit, each unit's events in time order. */
function unitsOf(ds: Dataset, count: 'sessions' | 'users'): Map<string, Ev[]> {
  const out = new Map<string, Ev[]>();
  for (const visitor of ds.visitors) {
    if (visitor.mode !== 'send') continue;
    for (const session of visitor.sessions) {
      for (const e of session.events) {
        if (e.time < ds.since || e.time >= ds.until) continue;
        const key = count === 'users' ? visitor.client_id : `${visitor.client_id}/${session.session_id}`;
        const list = out.get(key) ?? [];
        list.push({ ...e, visitor, session });
        out.set(key, list);
      }
    }
  }
  for (const list of out.values()) list.sort((a, b) => a.time - b.time);
  return out;
}

function dimOf(e: Ev, by: Dim): string | null {
  if (by === 'device') return e.visitor.device;
  if (by === 'country') return e.visitor.country;
  return e[by];
}

/** In-range events of every visitor, any consent. */
function allEvents(ds: Dataset): Ev[] {
  const out: Ev[] = [];
  for (const visitor of ds.visitors) for (const session of visitor.sessions) for (const e of session.events) if (e.time >= ds.since && e.time < ds.until) out.push({ ...e, visitor, session });
  return out;
}

export interface TruthStep {
  name: string;
  count: number;
  step_conversion: number | null;
  overall_conversion: number | null;
  drop_off: number;
  median_ms_from_previous: number | null;
}

function stepsOf(steps: string[], units: { times: (number | null)[] }[]): TruthStep[] {
  const reached = steps.map((_, k) => units.filter((u) => u.times[k] !== null));
  return steps.map((name, k) => ({
    name,
    count: reached[k]!.length,
    step_conversion: k === 0 ? null : div(reached[k]!.length, reached[k - 1]!.length),
    overall_conversion: div(reached[k]!.length, reached[0]!.length),
    drop_off: k === 0 ? 0 : reached[k - 1]!.length - reached[k]!.length,
    median_ms_from_previous: k === 0 ? null : mid(reached[k]!.map((u) => u.times[k]! - u.times[k - 1]!)),
  }));
}

/** The funnel's truth. */
export function funnelTruth(ds: Dataset, o: { steps: string[]; count: 'sessions' | 'users'; withinDays?: number; by?: Dim }) {
  const perUnit = unitsOf(ds, o.count === 'users' && o.withinDays ? 'users' : 'sessions');
  let units: { client: string; key: string | null; times: (number | null)[] }[] = [];
  for (const events of perUnit.values()) {
    const times: (number | null)[] = [];
    for (let k = 0; k < o.steps.length; k++) {
      const prev = k === 0 ? -Infinity : times[k - 1];
      if (prev === null || prev === undefined) {
        times.push(null);
        continue;
      }
      const strict = k > 0 && o.steps[k] === o.steps[k - 1];
      const hit = events.find(
        (e) => e.name === o.steps[k] && (strict ? e.time > prev : e.time >= prev) && (k === 0 || o.withinDays === undefined || e.time <= times[0]! + o.withinDays * 86_400_000),
      );
      times.push(hit ? hit.time : null);
    }
    if (times[0] === null) continue;
    units.push({ client: events[0]!.visitor.client_id, key: o.by ? dimOf(events[0]!, o.by) : null, times });
  }
  if (o.count === 'users' && !o.withinDays) {
    const best = new Map<string, (typeof units)[number]>();
    const depth = (u: (typeof units)[number]) => u.times.filter((t) => t !== null).length;
    for (const u of units) {
      const b = best.get(u.client);
      if (!b || depth(u) > depth(b) || (depth(u) === depth(b) && u.times[0]! < b.times[0]!)) best.set(u.client, u);
    }
    units = [...best.values()];
  }
  const groups = new Map<string | null, TruthStep[]>();
  if (o.by) for (const key of new Set(units.map((u) => u.key))) groups.set(key, stepsOf(o.steps, units.filter((u) => u.key === key)));
  return { total: stepsOf(o.steps, units), groups };
}

/** Micro-conversion lift truth, per rule id. */
export function microTruth(ds: Dataset, count: 'sessions' | 'users', ruleIds: string[]) {
  const units = [...unitsOf(ds, count).values()];
  const bought = (u: Ev[]) => u.some((e) => e.name === 'purchase');
  const all = units.length;
  const buyers = units.filter(bought).length;
  const lines = ruleIds.map((id) => {
    const withIt = units.filter((u) => u.some((e) => e.kind === 'micro' && e.rule_id === id));
    const w = withIt.length;
    const wb = withIt.filter(bought).length;
    const rateWith = div(wb, w);
    const rateWithout = div(buyers - wb, all - w);
    return {
      rule_id: id,
      with: w,
      rate: div(w, all),
      purchases_with: wb,
      purchases_without: buyers - wb,
      purchase_rate_with: rateWith,
      purchase_rate_without: rateWithout,
      lift: rateWith === null || rateWithout === null || rateWithout === 0 ? null : rateWith / rateWithout,
    };
  });
  return { units: all, purchasing_units: buyers, lines };
}

/** Abandonment truth (total and per group). */
export function abandonmentTruth(ds: Dataset, count: 'sessions' | 'users', by?: Dim) {
  const lines = new Map<string | null, { carts: number; abandoned_carts: number; checkouts: number; abandoned_checkouts: number; value_left: number }>();
  const total = { carts: 0, abandoned_carts: 0, checkouts: 0, abandoned_checkouts: 0, value_left: 0 };
  for (const u of unitsOf(ds, count).values()) {
    const cart = u.some((e) => e.name === 'add_to_cart');
    const checkout = u.some((e) => e.name === 'begin_checkout');
    const bought = u.some((e) => e.name === 'purchase');
    if (!cart && !checkout) continue;
    const key = by ? dimOf(u[0]!, by) : null;
    const line = lines.get(key) ?? { carts: 0, abandoned_carts: 0, checkouts: 0, abandoned_checkouts: 0, value_left: 0 };
    lines.set(key, line);
    for (const l of [line, total]) {
      if (cart) l.carts++;
      if (cart && !bought) {
        l.abandoned_carts++;
        l.value_left += u.filter((e) => e.name === 'add_to_cart').reduce((s, e) => s + (e.value ?? 0), 0);
      }
      if (checkout) l.checkouts++;
      if (checkout && !bought) l.abandoned_checkouts++;
    }
  }
  return { total, lines };
}

const dayOf = (t: number) => new Date(Math.floor(t / 86_400_000) * 86_400_000).toISOString().slice(0, 10);

/** Revenue truth. */
export function revenueTruth(ds: Dataset, by: Dim = 'channel') {
  const events = allEvents(ds);
  const purchases = events.filter((e) => e.name === 'purchase');
  const byDay = new Map<string, { revenue: number; orders: number; sessions: number; converting_sessions: number }>();
  const day = (d: string) => {
    const l = byDay.get(d) ?? { revenue: 0, orders: 0, sessions: 0, converting_sessions: 0 };
    byDay.set(d, l);
    return l;
  };
  for (const p of purchases) {
    const l = day(dayOf(p.time));
    l.orders++;
    l.revenue += p.value ?? 0;
  }
  const groups = new Map<string | null, { revenue: number; orders: number; sessions: number; converting_sessions: number }>();
  const group = (k: string | null) => {
    const l = groups.get(k) ?? { revenue: 0, orders: 0, sessions: 0, converting_sessions: 0 };
    groups.set(k, l);
    return l;
  };
  let sessions = 0;
  let converting = 0;
  for (const s of unitsOf(ds, 'sessions').values()) {
    const converted = s.some((e) => e.name === 'purchase');
    const g = group(dimOf(s[0]!, by));
    for (const l of [day(dayOf(s[0]!.time)), g]) {
      l.sessions++;
      if (converted) l.converting_sessions++;
    }
    sessions++;
    if (converted) converting++;
    for (const e of s) {
      if (e.name !== 'purchase') continue;
      g.orders++;
      g.revenue += e.value ?? 0;
    }
  }
  const full = purchases.filter((p) => p.visitor.mode === 'send');
  const attributed = [...groups.values()].reduce((s, g) => s + g.orders, 0);
  const perUser = new Map<string, Ev[]>();
  for (const e of events) if (e.visitor.mode === 'send') perUser.set(e.visitor.client_id, [...(perUser.get(e.visitor.client_id) ?? []), e]);
  const purchasers = [...perUser.values()].filter((es) => es.some((e) => e.name === 'purchase'));
  const toFirst = purchasers.map((es) => Math.min(...es.filter((e) => e.name === 'purchase').map((e) => e.time)) - Math.min(...es.map((e) => e.time)));
  return {
    orders: purchases.length,
    revenue: purchases.reduce((s, p) => s + (p.value ?? 0), 0),
    orders_anonymized: purchases.length - full.length,
    sessions,
    converting_sessions: converting,
    byDay,
    groups,
    unattributed_orders: purchases.length - attributed,
    purchasers: purchasers.length,
    repeat_purchasers: purchasers.filter((es) => es.filter((e) => e.name === 'purchase').length >= 2).length,
    median_ms_to_first_purchase: mid(toFirst),
  };
}

/** Weekly cohort truth: Monday-based UTC weeks. */
export function cohortsTruth(ds: Dataset) {
  const weekOf = (t: number) => Math.floor((Math.floor(t / 86_400_000) + 3) / 7);
  const weeks = new Map<string, Set<number>>();
  for (const e of allEvents(ds)) {
    if (e.visitor.mode !== 'send') continue;
    const set = weeks.get(e.visitor.client_id) ?? new Set<number>();
    set.add(weekOf(e.time));
    weeks.set(e.visitor.client_id, set);
  }
  const cohorts = new Map<string, number[]>();
  for (const set of weeks.values()) {
    const c = Math.min(...set);
    const key = new Date((c * 7 - 3) * 86_400_000).toISOString().slice(0, 10);
    const active = cohorts.get(key) ?? [];
    for (const w of set) active[w - c] = (active[w - c] ?? 0) + 1;
    cohorts.set(key, active);
  }
  return cohorts;
}

/** Consent coverage truth. */
export function coverageTruth(ds: Dataset) {
  const events = allEvents(ds);
  const n = (m: string) => events.filter((e) => e.visitor.mode === m).length;
  return { events: events.length, full: n('send'), anonymized: n('anonymize'), cookieless: n('cookieless'), unknown: 0 };
}
