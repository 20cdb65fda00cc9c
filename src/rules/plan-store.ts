/**
 * @module Tracking-plan counts in the store: per day, event name, path and code, added up across commits
 * (for the plan report and the violation alarms).
 */
import type { SqlStatement } from '../ports.js';
import type { PlanCounts } from './plan-counter.js';

const UPSERT =
  'INSERT INTO plan_counts (day, event, path, code, count) VALUES (?, ?, ?, ?, ?) ' +
  'ON CONFLICT (day, event, path, code) DO UPDATE SET count = count + excluded.count';

/**
 * The statements that add drained counts to `plan_counts`. Outcomes are stored with the path `''` and
 * the code `outcome.<pass|warn|drop|quarantine>`; violations with their folded path and code.
 *
 * @example
 * const statements = planCountStatements(counter.drain(), Date.now())
 */
export function planCountStatements(counts: PlanCounts, now: number): SqlStatement[] {
  const day = new Date(now).toISOString().slice(0, 10);
  const out: SqlStatement[] = [];
  for (const e of counts.events) {
    for (const [outcome, n] of Object.entries(e.outcomes)) if (n > 0) out.push({ sql: UPSERT, params: [day, e.event, '', `outcome.${outcome}`, n] });
  }
  for (const v of counts.violations) out.push({ sql: UPSERT, params: [day, v.event, v.path, v.code, v.count] });
  return out;
}
