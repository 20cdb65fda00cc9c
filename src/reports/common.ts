/**
 * @module What every report shares: the consent coverage of the range, and the units it counts
 * (a session is a visitor's session; a user is a visitor by first-party client id). Units come only
 * from events sent in full: an anonymized or cookieless event has no stable id and is never a user.
 */
import type { SqlValue } from '../ports.js';
import type { ReportSource } from './source.js';
import { summaryCoverage } from './summary.js';
import type { Coverage, ReportParams } from './types.js';

/** Rows sent in full with a visitor id: the only ones that make a user or a session. */
export const FULL = "consent_mode = 'send' AND client_id IS NOT NULL";

/** A unit's key columns and the condition that every row of a unit meets. */
export interface Unit {
  /** Key columns (`client_id, session_id` or `client_id`). */
  keys: string;
  /** `a.x = b.x AND …` for two aliases. */
  join(a: string, b: string): string;
  where: string;
}

/** Sessions (a visitor's session ids) or users (visitor ids). */
export function unitOf(count: ReportParams['count']): Unit {
  if (count === 'users') return { keys: 'client_id', join: (a, b) => `${a}.client_id = ${b}.client_id`, where: FULL };
  return {
    keys: 'client_id, session_id',
    join: (a, b) => `${a}.client_id = ${b}.client_id AND ${a}.session_id = ${b}.session_id`,
    where: `${FULL} AND session_id IS NOT NULL`,
  };
}

/** The range condition with its values. */
export function inRange(source: ReportSource, p: Pick<ReportParams, 'since' | 'until'>): { sql: string; params: SqlValue[] } {
  return source.dialect.range(p.since, p.until);
}

/** How many events of the range were seen in full, anonymized, cookieless (or before modes were recorded). */
export async function coverage(source: ReportSource, p: Pick<ReportParams, 'since' | 'until'>): Promise<Coverage> {
  if (source.summary === true) return summaryCoverage(source, p.since, p.until);
  const r = inRange(source, p);
  const rows = await source.all<{ mode: string | null; n: unknown }>(
    `SELECT consent_mode AS mode, ${source.dialect.num('COUNT(*)')} AS n FROM ${source.dialect.modes} WHERE ${r.sql} GROUP BY consent_mode`,
    r.params,
  );
  const out: Coverage = { events: 0, full: 0, anonymized: 0, cookieless: 0, unknown: 0 };
  for (const row of rows) {
    const n = Number(row.n);
    out.events += n;
    if (row.mode === 'send') out.full += n;
    else if (row.mode === 'anonymize') out.anonymized += n;
    else if (row.mode === 'cookieless') out.cookieless += n;
    else out.unknown += n;
  }
  return out;
}

/** `(?, ?, …)` for a list. */
export const placeholders = (n: number): string => `(${new Array(n).fill('?').join(', ')})`;
