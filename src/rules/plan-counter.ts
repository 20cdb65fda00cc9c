/**
 * @module Tracking-plan counters in memory: outcomes per event name and violations per event name and path, for the lead to persist.
 */
import type { PlanOutcome, Violation, ViolationCode } from './plan.js';

/** Violations of one (event name, path, code), items paths folded (`params.items[].price`). */
export interface ViolationCount {
  event: string;
  path: string;
  code: ViolationCode;
  count: number;
  /** The words of the first violation counted under this key (types and shapes only). */
  expected: string;
  got: string;
  suggestion?: string;
}

/** Events checked under one name, by outcome. */
export interface EventCount {
  event: string;
  checked: number;
  outcomes: Record<PlanOutcome, number>;
}

/** What a counter holds, sorted by count (most first). */
export interface PlanCounts {
  events: EventCount[];
  violations: ViolationCount[];
}

/** Counts plan outcomes and violations; bounded in memory. */
export interface PlanCounter {
  /** Count one checked event: its outcome and its violations. */
  record(name: string, violations: readonly Violation[], outcome: PlanOutcome): void;
  /** The counts so far. */
  snapshot(): PlanCounts;
  /** The counts so far, and start again from zero (for periodic persisting). */
  drain(): PlanCounts;
}

/** Event names beyond the counter's bound are counted under this name. */
export const OTHER_EVENTS = '(other)';

/** `params.items[12].price` → `params.items[].price`: one key per field, not per position. */
export function foldPath(path: string): string {
  return path.replace(/\[\d+\]/g, '[]');
}

/**
 * A counter for `record`ed plan results. Unplanned names come from the wire, so at most `maxNames`
 * event names (default 1000) get their own entries; the rest count under {@link OTHER_EVENTS}.
 *
 * @example
 * const counter = createPlanCounter()
 * counter.record(event.name, violations, decidePlan(violations, plan))
 * await persist(counter.drain())
 */
export function createPlanCounter(opts: { maxNames?: number } = {}): PlanCounter {
  const maxNames = opts.maxNames ?? 1000;
  let events = new Map<string, EventCount>();
  let violations = new Map<string, ViolationCount>();
  const snapshot = (): PlanCounts => ({
    events: [...events.values()].map((e) => ({ ...e, outcomes: { ...e.outcomes } })).sort((a, b) => b.checked - a.checked || a.event.localeCompare(b.event)),
    violations: [...violations.values()].map((v) => ({ ...v })).sort((a, b) => b.count - a.count || a.event.localeCompare(b.event) || a.path.localeCompare(b.path)),
  });
  return {
    record(name, list, outcome) {
      const event = events.has(name) || events.size < maxNames ? name : OTHER_EVENTS;
      let entry = events.get(event);
      if (!entry) events.set(event, (entry = { event, checked: 0, outcomes: { pass: 0, warn: 0, quarantine: 0, drop: 0 } }));
      entry.checked++;
      entry.outcomes[outcome]++;
      for (const v of list) {
        const path = foldPath(v.path);
        const key = `${event}\u0000${path}\u0000${v.code}`;
        const count = violations.get(key);
        if (count) count.count++;
        else violations.set(key, { event, path, code: v.code, count: 1, expected: v.expected, got: v.got, ...(v.suggestion && event !== OTHER_EVENTS ? { suggestion: v.suggestion } : {}) });
      }
    },
    snapshot,
    drain() {
      const out = snapshot();
      events = new Map();
      violations = new Map();
      return out;
    },
  };
}
