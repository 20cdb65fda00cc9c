/**
 * @module Shadow check of a tracking plan: stored events through a new plan, summarized per event name (no values, only paths and shapes).
 */
import type { Event } from '../event.js';
import { checkEvent, decidePlan, type Plan, type PlanOutcome } from './plan.js';
import { createPlanCounter, type PlanCounter, type PlanCounts, type ViolationCount } from './plan-counter.js';

/** One event name in a report: outcomes and its most frequent violations. */
export interface PlanReportRow {
  event: string;
  checked: number;
  outcomes: Record<PlanOutcome, number>;
  /** The most frequent (path, code) pairs, most first. */
  top: Omit<ViolationCount, 'event'>[];
}

/** The whole report: totals, then rows with something to say first. */
export interface PlanReport {
  checked: number;
  outcomes: Record<PlanOutcome, number>;
  plan: Pick<Plan, 'mode' | 'unplanned' | 'naming'>;
  events: PlanReportRow[];
}

/**
 * Run events through a plan and count what it would do; `events` may be any iterable (a page of
 * rows at a time). Pure.
 *
 * @example
 * const report = shadowCheck(storedEvents, compilePlan(newPlan))
 */
export function shadowCheck(events: Iterable<Pick<Event, 'name' | 'params' | 'items'>>, plan: Plan, top = 5): PlanReport {
  const counter = createPlanCounter({ maxNames: 10_000 });
  countEvents(events, plan, counter);
  return planReport(counter.snapshot(), plan, top);
}

/** Check each event and record its violations and outcome in `counter` (for reading events a page at a time). */
export function countEvents(events: Iterable<Pick<Event, 'name' | 'params' | 'items'>>, plan: Plan, counter: PlanCounter): void {
  for (const event of events) {
    const violations = checkEvent(event, plan);
    counter.record(event.name, violations, decidePlan(violations, plan));
  }
}

/** Shape counter totals into a report: rows that would not all pass come first, then by volume. */
export function planReport(counts: PlanCounts, plan: Pick<Plan, 'mode' | 'unplanned' | 'naming'>, top = 5): PlanReport {
  const outcomes: Record<PlanOutcome, number> = { pass: 0, warn: 0, quarantine: 0, drop: 0 };
  let checked = 0;
  const rows = counts.events.map((e): PlanReportRow => {
    checked += e.checked;
    for (const k of Object.keys(outcomes) as PlanOutcome[]) outcomes[k] += e.outcomes[k];
    const mine = counts.violations.filter((v) => v.event === e.event).slice(0, top);
    return { event: e.event, checked: e.checked, outcomes: e.outcomes, top: mine.map(({ event: _, ...v }) => v) };
  });
  const flagged = (r: PlanReportRow) => r.checked - r.outcomes.pass;
  rows.sort((a, b) => flagged(b) - flagged(a) || b.checked - a.checked || a.event.localeCompare(b.event));
  return { checked, outcomes, plan: { mode: plan.mode, unplanned: plan.unplanned, naming: plan.naming }, events: rows };
}

const COLUMNS: PlanOutcome[] = ['pass', 'warn', 'quarantine', 'drop'];

/**
 * The report as a text table: one line per event name with its outcome counts, then its top
 * violations indented (`12× params.currency  plan.type  expected …, got …`).
 */
export function formatPlanReport(report: PlanReport): string {
  const width = Math.max(5, ...report.events.map((r) => r.event.length)) + 2;
  const num = (n: number, w: number) => String(n).padStart(w);
  const head = 'event'.padEnd(width) + 'checked'.padStart(9) + COLUMNS.map((c) => c.padStart(12)).join('');
  const line = (name: string, checked: number, o: Record<PlanOutcome, number>) => name.padEnd(width) + num(checked, 9) + COLUMNS.map((c) => num(o[c], 12)).join('');
  const lines = [`plan: mode ${report.plan.mode}, unplanned ${report.plan.unplanned}, naming ${report.plan.naming}`, '', head];
  for (const row of report.events) {
    lines.push(line(row.event, row.checked, row.outcomes));
    for (const v of row.top) {
      const hint = v.suggestion ? ` (suggest ${v.suggestion})` : '';
      lines.push(`    ${num(v.count, 7)}× ${v.path}  ${v.code}: expected ${v.expected}, got ${v.got}${hint}`);
    }
  }
  lines.push(line('total', report.checked, report.outcomes));
  const o = report.outcomes;
  lines.push('', `would warn ${o.warn}, quarantine ${o.quarantine} and drop ${o.drop} of ${report.checked} event(s)`);
  return lines.join('\n');
}
