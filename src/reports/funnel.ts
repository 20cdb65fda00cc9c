/**
 * @module The funnel: ordered steps (default view_item → add_to_cart → begin_checkout → purchase) per
 * session, or per user within a session or within N days of the first step; step and overall
 * conversion, drop-off, median time between steps; split by device, country, channel or utm.
 *
 * A unit reaches step k when an event of step k happens at or after the time it reached step k−1
 * (the first occurrence after it); within N days, no later than N days after its first step-1 event.
 */
import type { SqlValue } from '../ports.js';
import { inRange, placeholders, unitOf } from './common.js';
import type { ReportSource } from './source.js';
import { DIMENSIONS, median, ratio, type ReportParams } from './types.js';

/** One step of a funnel. */
export interface FunnelStep {
  name: string;
  /** Units that reached this step in order. */
  count: number;
  /** count / previous step's count (null for the first step or an empty previous step). */
  step_conversion: number | null;
  /** count / first step's count. */
  overall_conversion: number | null;
  /** Units of the previous step that did not reach this one. */
  drop_off: number;
  /** Median time from reaching the previous step to reaching this one, ms. */
  median_ms_from_previous: number | null;
}

/** The funnel of one group (`key` is the `by` value; null where the unit had none). */
export interface FunnelGroup {
  key: string | null;
  units: number;
  steps: FunnelStep[];
}

/** The funnel report's data. */
export interface FunnelData {
  steps: string[];
  count: ReportParams['count'];
  within: string;
  by?: string;
  total: FunnelStep[];
  groups?: FunnelGroup[];
}

/** Per unit: when it reached each step (null: not reached), and its `by` value. */
export interface FunnelUnit {
  times: (number | null)[];
  key: string | null;
}

/** Steps from units (shared by the report and anyone checking it). */
export function funnelSteps(steps: readonly string[], units: readonly FunnelUnit[]): FunnelStep[] {
  return steps.map((name, k) => {
    const reached = units.filter((u) => u.times[k] !== null);
    const count = reached.length;
    const prev = k === 0 ? count : units.filter((u) => u.times[k - 1] !== null).length;
    const first = units.filter((u) => u.times[0] !== null).length;
    return {
      name,
      count,
      step_conversion: k === 0 ? null : ratio(count, prev),
      overall_conversion: ratio(count, first),
      drop_off: prev - count,
      median_ms_from_previous: k === 0 ? null : median(reached.map((u) => u.times[k]! - u.times[k - 1]!)),
    };
  });
}

/** The SQL of the funnel: one row per unit that reached the first step, with each step's time. */
function funnelSql(source: ReportSource, p: ReportParams): { sql: string; params: SqlValue[] } {
  const d = source.dialect;
  const unit = unitOf(p.count === 'users' && p.within.kind === 'days' ? 'users' : 'sessions');
  const keys = unit.keys.split(', ');
  const r = inRange(source, p);
  const names = [...new Set(p.steps)];
  const params: SqlValue[] = [...r.params, ...names, p.steps[0]!];
  const ctes = [
    `ev AS (SELECT ${unit.keys}, name, ${d.t} AS t FROM ${d.table} WHERE ${r.sql} AND ${unit.where} AND name IN ${placeholders(names.length)})`,
    `s0 AS (SELECT ${unit.keys}, MIN(t) AS t0 FROM ev WHERE name = ? GROUP BY ${unit.keys})`,
  ];
  const windowMs = p.within.kind === 'days' ? p.within.days * 86_400_000 : undefined;
  for (let k = 1; k < p.steps.length; k++) {
    const carried = [...keys.map((c) => `p.${c}`), ...Array.from({ length: k }, (_, i) => `p.t${i}`)].join(', ');
    // The same event never counts for two consecutive steps of the same name.
    const after = p.steps[k] === p.steps[k - 1] ? '>' : '>=';
    ctes.push(
      `s${k} AS (SELECT ${carried}, MIN(ev.t) AS t${k} FROM s${k - 1} p LEFT JOIN ev ON ${unit.join('ev', 'p')} AND ev.name = ? AND ev.t ${after} p.t${k - 1}` +
        `${windowMs === undefined ? '' : ' AND ev.t <= p.t0 + ?'} GROUP BY ${carried})`,
    );
    params.push(p.steps[k]!);
    if (windowMs !== undefined) params.push(windowMs);
  }
  const last = `s${p.steps.length - 1}`;
  if (!p.by) return { sql: `WITH ${ctes.join(', ')} SELECT * FROM ${last}`, params };
  ctes.push(`dim AS (${d.firstPerGroup(unit.keys, `${DIMENSIONS[p.by]} AS dim`, `${r.sql} AND ${unit.where}`)})`);
  params.push(...r.params);
  return { sql: `WITH ${ctes.join(', ')} SELECT ${last}.*, dim.dim FROM ${last} LEFT JOIN dim ON ${unit.join(last, 'dim')}`, params };
}

/** Compute the funnel. */
export async function funnelReport(source: ReportSource, p: ReportParams): Promise<FunnelData> {
  const q = funnelSql(source, p);
  const rows = await source.all<Record<string, unknown>>(q.sql, q.params);
  let units: (FunnelUnit & { client: string })[] = rows.map((row) => ({
    client: String(row.client_id),
    key: row.dim === undefined || row.dim === null ? null : String(row.dim),
    times: p.steps.map((_, k) => (row[`t${k}`] === null || row[`t${k}`] === undefined ? null : Number(row[`t${k}`]))),
  }));
  if (p.count === 'users' && p.within.kind === 'session') {
    // A user counts once: by the session that went deepest (the earliest of equals).
    const best = new Map<string, (typeof units)[number]>();
    const depth = (u: FunnelUnit) => u.times.filter((t) => t !== null).length;
    for (const u of units) {
      const b = best.get(u.client);
      if (!b || depth(u) > depth(b) || (depth(u) === depth(b) && u.times[0]! < b.times[0]!)) best.set(u.client, u);
    }
    units = [...best.values()];
  }
  const data: FunnelData = {
    steps: p.steps,
    count: p.count,
    within: p.within.kind === 'session' ? 'session' : `${p.within.days}d`,
    total: funnelSteps(p.steps, units),
  };
  if (p.by) {
    data.by = p.by;
    const groups = new Map<string | null, FunnelUnit[]>();
    for (const u of units) {
      let g = groups.get(u.key);
      if (!g) groups.set(u.key, (g = []));
      g.push(u);
    }
    data.groups = [...groups.entries()]
      .map(([key, us]) => ({ key, units: us.length, steps: funnelSteps(p.steps, us) }))
      .sort((a, b) => b.units - a.units || String(a.key).localeCompare(String(b.key)));
  }
  return data;
}
