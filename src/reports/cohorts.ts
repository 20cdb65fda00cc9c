/**
 * @module Weekly retention of first-visit cohorts: users (seen in full) grouped by the Monday-based
 * UTC week of their first event in the range, and how many of them came back in each later week.
 */
import { FULL, inRange } from './common.js';
import type { ReportSource } from './source.js';
import { weeksSql } from './summary.js';
import { ratio, weekString } from './types.js';
import type { ReportParams } from './types.js';

/** One cohort. */
export interface Cohort {
  /** The Monday (UTC) of the cohort's week. */
  week: string;
  users: number;
  /** Users active in week k after the cohort's week (k = 0 is the cohort week: every user). */
  active: number[];
  retention: (number | null)[];
}

/** The cohorts report's data. */
export interface CohortsData {
  cohorts: Cohort[];
}

/** Compute weekly cohorts. */
export async function cohortsReport(source: ReportSource, p: ReportParams): Promise<CohortsData> {
  const rows = source.summary === true ? await fromSummary(source, p) : await fromSql(source, p);
  const byWeek = new Map<number, number[]>();
  for (const row of rows) {
    const c = Number(row.c);
    const active = byWeek.get(c) ?? [];
    active[Number(row.k)] = Number(row.n);
    byWeek.set(c, active);
  }
  const cohorts = [...byWeek.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([c, sparse]) => {
      const active = Array.from({ length: sparse.length }, (_, k) => sparse[k] ?? 0);
      return { week: weekString(c), users: active[0] ?? 0, active, retention: active.map((n) => ratio(n, active[0] ?? 0)) };
    });
  return { cohorts };
}

/** Users per cohort week `c` active in week c + `k`. */
type CohortRow = { c: unknown; k: unknown; n: unknown };

/** PostgreSQL: in SQL. */
async function fromSql(source: ReportSource, p: ReportParams): Promise<CohortRow[]> {
  const d = source.dialect;
  const r = inRange(source, p);
  return source.all<CohortRow>(
    `WITH a AS (SELECT client_id, ${d.week} AS w FROM ${d.units} WHERE ${r.sql} AND ${FULL} GROUP BY client_id, ${d.week}), ` +
      'f AS (SELECT client_id, MIN(w) AS c FROM a GROUP BY client_id) ' +
      `SELECT f.c, a.w - f.c AS k, ${d.num('COUNT(*)')} AS n FROM a JOIN f ON a.client_id = f.client_id GROUP BY f.c, a.w - f.c ORDER BY f.c, k`,
    r.params,
  );
}

/** The embedded warehouse: in SQL over the report summary (a piece lies in one hour, so in one week). */
async function fromSummary(source: ReportSource, p: ReportParams): Promise<CohortRow[]> {
  const a = weeksSql(p.since, p.until);
  return source.all<CohortRow>(
    `WITH ${a.sql}, f AS (SELECT client_id, MIN(w) AS c FROM a GROUP BY client_id) ` +
      'SELECT f.c, a.w - f.c AS k, COUNT(*) AS n FROM a JOIN f ON a.client_id = f.client_id GROUP BY f.c, a.w - f.c ORDER BY f.c, k',
    a.params,
  );
}
