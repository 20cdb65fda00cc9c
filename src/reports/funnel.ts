/**
 * @module The funnel: ordered steps (default view_item → add_to_cart → begin_checkout → purchase) per
 * session, or per user within a session or within N days of the first step; step and overall
 * conversion, drop-off, median time between steps; split by device, country, channel or utm.
 *
 * A unit reaches step k with the first event of step k after the event that reached step k−1 (in time
 * order); within N days, no later than N days after its first step-1 event.
 */
import type { SqlValue } from '../ports.js';
import { inRange, placeholders, unitOf } from './common.js';
import type { ReportSource } from './source.js';
import { piecesWith, trailsWith, unitSteps, unitsSql } from './summary.js';
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
  // One pass: units with each step, and the times from the previous step of those with both.
  const counts = new Array<number>(steps.length).fill(0);
  const gaps: number[][] = steps.map(() => []);
  for (const u of units) {
    const t = u.times;
    for (let k = 0; k < steps.length; k++) {
      if (t[k] === null) continue;
      counts[k]!++;
      if (k > 0 && t[k - 1] !== null) gaps[k]!.push(t[k]! - t[k - 1]!);
    }
  }
  return steps.map((name, k) => {
    const count = counts[k]!;
    const prev = k === 0 ? count : counts[k - 1]!;
    return {
      name,
      count,
      step_conversion: k === 0 ? null : ratio(count, prev),
      overall_conversion: ratio(count, counts[0]!),
      drop_off: prev - count,
      median_ms_from_previous: k === 0 ? null : median(gaps[k]!),
    };
  });
}

/**
 * The SQL of the funnel: one row per unit with its step events in time order, each as
 * `<index of the name in names>:<epoch ms>` joined by `,` (one short text per unit instead of one row
 * per event: materializing rows is most of a report's cost), and the unit's `by` value.
 */
function funnelSql(source: ReportSource, p: ReportParams, names: string[]): { sql: string; params: SqlValue[] } {
  const d = source.dialect;
  const unit = unitOf(p.count === 'users' && p.within.kind === 'days' ? 'users' : 'sessions');
  const r = inRange(source, p);
  const code = `CASE name ${names.map((_, i) => `WHEN ? THEN '${i}:'`).join(' ')} END`;
  const steps =
    `SELECT ${unit.keys}, ${d.concat(`${code} || ${d.tText}`)} AS ev FROM ${d.units} WHERE ${r.sql} AND ${unit.where} AND name IN ${placeholders(names.length)} GROUP BY ${unit.keys}`;
  const params: SqlValue[] = [...names, ...r.params, ...names];
  if (!p.by) return { sql: steps, params };
  const dim = `dim AS (${d.firstPerGroup(unit.keys, `${DIMENSIONS[p.by]} AS dim`, `${r.sql} AND ${unit.where}`)})`;
  return { sql: `WITH ${dim}, s AS (${steps}) SELECT s.*, dim.dim FROM s JOIN dim ON ${unit.join('s', 'dim')}`, params: [...r.params, ...params] };
}

/** Walk one unit's step events (in time order): when it reached each step. */
export function walkUnit(steps: readonly string[], events: readonly { name: string; t: number }[], windowMs?: number): (number | null)[] {
  const times: (number | null)[] = new Array(steps.length).fill(null);
  let k = 0;
  // One event counts for one step at most (two consecutive steps of the same name need two events).
  for (let i = 0; i < events.length && k < steps.length; i++) {
    const e = events[i]!;
    if (e.name !== steps[k]) continue;
    if (k > 0 && windowMs !== undefined && e.t > times[0]! + windowMs) break;
    times[k++] = e.t;
  }
  return times;
}

/** A unit's step events in time order, its visitor and its `by` value. */
interface StepEvents {
  client: string;
  events: readonly { name: string; t: number }[];
  dim: string | null;
}

/**
 * Step events per unit: SQL on PostgreSQL, the report summary on the embedded warehouse. `reachedFirstOnly`:
 * units counted in SQL (per `by` value) that reached the first step and have no event of the second.
 */
async function stepEvents(source: ReportSource, p: ReportParams, names: string[]): Promise<{ units: StepEvents[]; reachedFirstOnly: Map<string | null, number> }> {
  const reachedFirstOnly = new Map<string | null, number>();
  if (source.summary === true) {
    // The units with a first-step event, with their trails (the report summary); only step events are parsed.
    // A unit without any event of the second step reaches the first step only: counted in SQL, no trail
    // leaves SQLite (unless users count by their deepest session, which needs every session's visitor).
    const perSession = p.count === 'users' && p.within.kind === 'session';
    const u = unitsSql({
      since: p.since,
      until: p.until,
      unit: p.count === 'users' && p.within.kind === 'days' ? 'users' : 'sessions',
      ...(p.by ? { by: p.by } : {}),
      aggs: [trailsWith(names), piecesWith(p.steps[1]!, 'second')],
      // Without a split, only the pieces with step events matter.
      ...(p.by ? {} : { only: names }),
      having: { names: [p.steps[0]!] },
      materialized: !perSession,
    });
    const keep = new Set(names);
    if (perSession) {
      const rows = await source.all<{ client_id: string; dim: string | null; trails: string }>(`WITH ${u.sql} SELECT client_id, dim, trails FROM u`, u.params);
      return { units: rows.map((r) => ({ client: r.client_id, dim: r.dim, events: unitSteps(r.trails, keep) })), reachedFirstOnly };
    }
    const rows = await source.all<{ dim: string | null; trails: string | null; n: number }>(
      `WITH ${u.sql} SELECT dim, trails, 1 AS n FROM u WHERE second > 0 UNION ALL SELECT dim, NULL, COUNT(*) FROM u WHERE second = 0 GROUP BY dim`,
      u.params,
    );
    const units: StepEvents[] = [];
    for (const r of rows) {
      if (r.trails === null) reachedFirstOnly.set(r.dim, (reachedFirstOnly.get(r.dim) ?? 0) + r.n);
      else units.push({ client: '', dim: r.dim, events: unitSteps(r.trails, keep) });
    }
    return { units, reachedFirstOnly };
  }
  const q = funnelSql(source, p, names);
  const rows = await source.all<{ client_id: unknown; ev: string; dim?: unknown }>(q.sql, q.params);
  const units = rows.map((row) => ({
    client: String(row.client_id),
    dim: row.dim === undefined || row.dim === null ? null : String(row.dim),
    events: row.ev.split(',').map((e) => {
      const at = e.indexOf(':');
      return { name: names[Number(e.slice(0, at))]!, t: Number(e.slice(at + 1)) };
    }),
  }));
  return { units, reachedFirstOnly };
}

/** Compute the funnel. */
export async function funnelReport(source: ReportSource, p: ReportParams): Promise<FunnelData> {
  const names = [...new Set(p.steps)];
  const windowMs = p.within.kind === 'days' ? p.within.days * 86_400_000 : undefined;
  let units: (FunnelUnit & { client: string })[] = [];
  const { units: rows, reachedFirstOnly } = await stepEvents(source, p, names);
  for (const row of rows) {
    const times = walkUnit(p.steps, row.events, windowMs);
    if (times[0] !== null) units.push({ client: row.client, key: row.dim, times });
  }
  // Units that reached the first step only (its time does not matter: no median runs from it).
  const firstOnly: (number | null)[] = p.steps.map((_, k) => (k === 0 ? 0 : null));
  for (const [key, n] of reachedFirstOnly) for (let i = 0; i < n; i++) units.push({ client: '', key, times: firstOnly });
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
