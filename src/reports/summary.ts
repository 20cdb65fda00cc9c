/**
 * @module How reports read the embedded warehouse: its report summary (store/report-summary.ts) for
 * the whole UTC hours of a range, and the `events` rows of the partial hours at its two edges, merged
 * into units (a visitor's session, or a visitor) with their events in time order. Only rows sent in
 * full with a visitor id are in the summary: an anonymized or cookieless event is never a unit.
 *
 * The reports' SQLite definitions (each report's `…FromUnits`) compute from these units in plain
 * code; the PostgreSQL warehouse runs the same definitions as SQL.
 */
import type { SqlValue } from '../ports.js';
import type { ReportSource } from './source.js';
import { DIMENSIONS, type Coverage, type Dimension } from './types.js';
import { trailEntry } from '../store/report-summary.js';

const HOUR_MS = 3_600_000;

/** One event of a unit. */
export interface UnitEvent {
  t: number;
  name: string;
  /** The micro-conversion rule id (rows with kind `micro`), else null. */
  rule: string | null;
  value: number | null;
  currency: string | null;
}


/** Whole hours [h1, h2) inside the range, and the edge spans before and after them (possibly empty). */
function split(since: number, until: number): { h1: number; h2: number; edges: [number, number][] } {
  const h1 = Math.ceil(since / HOUR_MS);
  const h2 = Math.floor(until / HOUR_MS);
  if (h1 >= h2) return { h1: 0, h2: 0, edges: [[since, until]] };
  return { h1, h2, edges: [[since, h1 * HOUR_MS], [h2 * HOUR_MS, until]].filter(([a, b]) => a! < b!) as [number, number][] };
}

const decoder = new TextDecoder();
const currencies = new Map<string, string>();
/** A hex-encoded currency (SQLite `hex()`: the UTF-8 bytes). */
function unhex(hex: string): string {
  let c = currencies.get(hex);
  if (c === undefined) {
    const bytes = new Uint8Array(hex.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    currencies.set(hex, (c = decoder.decode(bytes)));
  }
  return c;
}

/** Parse the trail entries in `text` [from, to) of the hour `hour` into `out`; `keep` filters by name. */
function parseTrail(text: string, from: number, to: number, hour: number, out: UnitEvent[], keep?: ReadonlySet<string>): void {
  const base = hour * HOUR_MS;
  let i = from;
  while (i < to) {
    let end = text.indexOf(',', i);
    if (end < 0 || end > to) end = to;
    const a = text.indexOf(':', i);
    const b = text.indexOf('|', a + 1);
    const name = text.slice(a + 1, b);
    if (!keep || keep.has(name)) {
      const c = text.indexOf('|', b + 1);
      const d = text.indexOf('|', c + 1);
      out.push({
        t: base + Number(text.slice(i, a)),
        name,
        rule: c > b + 1 ? text.slice(b + 1, c) : null,
        value: d > c + 1 ? Number(text.slice(c + 1, d)) : null,
        currency: end > d + 1 ? unhex(text.slice(d + 1, end)) : null,
      });
    }
    i = end + 1;
  }
}

/**
 * A unit's events (only `keep` names when given) in time order, from the `trails` column of
 * {@link unitsSql} (`<hour>@<trail>` joined by `;`).
 */
export function unitEvents(trails: string, keep?: ReadonlySet<string>): UnitEvent[] {
  const out: UnitEvent[] = [];
  let i = 0;
  while (i < trails.length) {
    let end = trails.indexOf(';', i);
    if (end < 0) end = trails.length;
    const at = trails.indexOf('@', i);
    parseTrail(trails, at + 1, end, Number(trails.slice(i, at)), out, keep);
    i = end + 1;
  }
  sortByTime(out);
  return out;
}

/** Sort events by time (stable), unless they already are. */
function sortByTime<T extends { t: number }>(events: T[]): void {
  for (let i = 1; i < events.length; i++) {
    if (events[i]!.t < events[i - 1]!.t) {
      events.sort((x, y) => x.t - y.t);
      return;
    }
  }
}

/** Like {@link unitEvents}, only names and times (the funnel's walk): lighter on a large range. */
export function unitSteps(trails: string, keep: ReadonlySet<string>): { name: string; t: number }[] {
  const out: { name: string; t: number }[] = [];
  let i = 0;
  while (i < trails.length) {
    let end = trails.indexOf(';', i);
    if (end < 0) end = trails.length;
    const at = trails.indexOf('@', i);
    const base = Number(trails.slice(i, at)) * HOUR_MS;
    let j = at + 1;
    while (j < end) {
      let next = trails.indexOf(',', j);
      if (next < 0 || next > end) next = end;
      const a = trails.indexOf(':', j);
      const name = trails.slice(a + 1, trails.indexOf('|', a + 1));
      if (keep.has(name)) out.push({ name, t: base + Number(trails.slice(j, a)) });
      j = next + 1;
    }
    i = end + 1;
  }
  sortByTime(out);
  return out;
}

/** SQL that finds a unit with an event of a name in its trail (a piece's, or a unit's `trails`). */
export const hasName = (name: string): SqlValue => `:${name}|`;
/** SQL that finds a unit with an event of a micro-conversion rule. */
export const hasRule = (rule: string): SqlValue => `|${rule}|`;

/** The SQL of a summary query and its parameters, in text order. */
export interface Sql {
  sql: string;
  params: SqlValue[];
}

/**
 * The rows a range's units are built from: the summary pieces of its whole hours and, as one-event
 * pieces, the `events` rows of its edge hours (columns hour, client_id, s, first_time, first_id, dim, trail).
 */
function piecesSql(since: number, until: number, unit: UnitsQuery['unit'], dim: string, only?: readonly string[]): Sql {
  const { h1, h2, edges } = split(since, until);
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (h1 < h2) {
    const with_ = only ? ` AND (${only.map(() => 'instr(trail, ?) > 0').join(' OR ')})` : '';
    parts.push(`SELECT hour, client_id, s, first_time, first_id, ${dim} AS dim, trail FROM report_pieces WHERE hour >= ? AND hour < ?${unit === 'sessions' ? " AND s <> 'n'" : ''}${with_}`);
    params.push(h1, h2, ...(only ?? []).map(hasName));
  }
  for (const [a, b] of edges) {
    parts.push(
      `SELECT time / 3600000, client_id, COALESCE('s' || session_id, 'n'), time, event_id, ${dim}, ${trailEntry('')} FROM events INDEXED BY events_time ` +
        `WHERE time >= ? AND time < ? AND consent_mode = 'send' AND client_id IS NOT NULL${unit === 'sessions' ? ' AND session_id IS NOT NULL' : ''}`,
    );
    params.push(a, b);
  }
  return { sql: parts.join(' UNION ALL '), params };
  // (Edge rows are not filtered by `only`: a few rows, and a unit's first event may be one.)
}

/** What a units CTE computes per unit besides its key, first event and `by` value. */
export interface UnitsQuery {
  since: number;
  until: number;
  /** `pieces`: per session like `sessions`, plus per visitor the rows without a session as one unit (`s = 'n'`). */
  unit: 'sessions' | 'users' | 'pieces';
  by?: Dimension;
  /** Aggregates over the unit's pieces (`trail` is a piece's trail; no MIN or MAX), e.g. `SUM(instr(trail, ?) > 0) AS bought`. */
  aggs: Sql[];
  materialized?: boolean;
  /**
   * Read only the pieces holding an event of one of these names: for a query that needs neither the
   * unit's first event (its `by` value, its start) nor units without these events.
   */
  only?: readonly string[];
  /**
   * Keep only the units with an event of one of these names: `before` grouping (a second scan, fewer
   * rows to sort: worth it when few units qualify) or after it.
   */
  having?: { names: readonly string[]; before?: boolean };
}

/**
 * `u AS (…)`: one row per unit (a visitor's session, or a visitor) of a range, with `client_id`,
 * `k` (its earliest event: 15-digit time then event id), `first_time`, `dim` (the `by` value of that
 * event, else null) and the aggregates asked for. Aggregate {@link trailsWith} gives the unit's
 * events for {@link unitEvents}.
 */
export function unitsSql(q: UnitsQuery): Sql {
  const src = piecesSql(q.since, q.until, q.unit, q.by ? DIMENSIONS[q.by] : 'NULL', q.only);
  const keys = q.unit === 'users' ? 'client_id' : 'client_id, s';
  const aggs = q.aggs.map((a) => `, ${a.sql}`).join('');
  let where = '';
  let having = '';
  const whereParams: SqlValue[] = [];
  const havingParams: SqlValue[] = [];
  if (q.having) {
    const any = q.having.names.map(() => 'instr(trail, ?) > 0').join(' OR ');
    if (q.having.before) {
      where = ` WHERE (${keys}) IN (SELECT ${keys} FROM (${src.sql}) WHERE ${any})`;
      whereParams.push(...src.params, ...q.having.names.map(hasName));
    } else {
      having = ` HAVING SUM(${any}) > 0`;
      havingParams.push(...q.having.names.map(hasName));
    }
  }
  return {
    // SQLite: the bare `dim` comes from the row holding the one MIN() (the unit's earliest piece).
    sql:
      `u AS ${q.materialized ? 'MATERIALIZED ' : ''}(SELECT ${keys}, MIN(printf('%015d', first_time) || first_id) AS k, dim${aggs} FROM (${src.sql})${where} GROUP BY ${keys}${having}), ` +
      "uf AS (SELECT *, CAST(substr(k, 1, 15) AS INTEGER) AS first_time FROM u)",
    params: [...q.aggs.flatMap((a) => a.params), ...src.params, ...whereParams, ...havingParams],
  };
}

/** Aggregate `trails`: the unit's pieces that hold an event of one of `names`, for {@link unitEvents}. */
export const trailsWith = (names: readonly string[]): Sql => ({
  sql: `group_concat(CASE WHEN ${names.map(() => 'instr(trail, ?) > 0').join(' OR ')} THEN hour || '@' || trail END, ';') AS trails`,
  params: names.map(hasName),
});

/** Aggregate: how many pieces of the unit hold an event of `name` (> 0: the unit has one). */
export const piecesWith = (name: string, as: string): Sql => ({ sql: `SUM(instr(trail, ?) > 0) AS ${as}`, params: [hasName(name)] });

/** Aggregate: how many events of `name` the unit has. */
export const eventsOf = (name: string, as: string): Sql => ({ sql: `SUM((length(trail) - length(replace(trail, ?, ''))) / ?) AS ${as}`, params: [hasName(name), String(hasName(name)).length] });

/**
 * Per visitor of a range: the Monday-based weeks it was active in (a CTE `a (client_id, w)`).
 * A piece lies in one hour, so its hour gives the week.
 */
export function weeksSql(since: number, until: number): Sql {
  const { h1, h2, edges } = split(since, until);
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (h1 < h2) {
    parts.push('SELECT client_id, (hour / 24 + 3) / 7 AS w FROM report_pieces WHERE hour >= ? AND hour < ?');
    params.push(h1, h2);
  }
  for (const [a, b] of edges) {
    parts.push("SELECT client_id, (time / 86400000 + 3) / 7 FROM events INDEXED BY events_time WHERE time >= ? AND time < ? AND consent_mode = 'send' AND client_id IS NOT NULL");
    params.push(a, b);
  }
  return { sql: `a AS (SELECT client_id, w FROM (${parts.join(' UNION ALL ')}) GROUP BY client_id, w)`, params };
}

/**
 * Lines of `report_hours` for the whole hours of a range and, counted the same way, the `events` rows
 * of its edge hours: (hour, mode, name, rule, currency, n, value) rows for `select … FROM (this)`.
 */
function hoursSql(since: number, until: number, where = ''): Sql {
  const { h1, h2, edges } = split(since, until);
  const parts: string[] = [];
  const params: SqlValue[] = [];
  if (h1 < h2) {
    parts.push(`SELECT hour, mode, name, rule, currency, n, value FROM report_hours WHERE hour >= ? AND hour < ?${where}`);
    params.push(h1, h2);
  }
  for (const [a, b] of edges) {
    parts.push(
      "SELECT hour, mode, name, rule, currency, COUNT(*) AS n, TOTAL(value) AS value FROM (SELECT time / 3600000 AS hour, COALESCE(consent_mode, '') AS mode, name, " +
        "CASE WHEN kind = 'micro' THEN COALESCE(rule_id, '') ELSE '' END AS rule, COALESCE(currency, '') AS currency, value FROM events INDEXED BY events_time WHERE time >= ? AND time < ?) " +
        `WHERE 1${where} GROUP BY hour, mode, name, rule, currency`,
    );
    params.push(a, b);
  }
  if (parts.length === 0) parts.push('SELECT 0 AS hour, 0 AS mode, 0 AS name, 0 AS rule, 0 AS currency, 0 AS n, 0 AS value WHERE 0');
  return { sql: parts.join(' UNION ALL '), params };
}

/** Orders of a range per UTC day and currency: count, summed value, and those not sent in full. */
export async function readOrders(source: ReportSource, since: number, until: number, purchase: string): Promise<{ day: number; currency: string | null; orders: number; revenue: number; anon: number }[]> {
  const h = hoursSql(since, until, ' AND name = ?');
  const params = h.params.flatMap((v, i) => (i % 2 === 1 ? [v, purchase] : [v]));
  return source.all(
    "SELECT hour / 24 AS day, NULLIF(currency, '') AS currency, SUM(n) AS orders, TOTAL(value) AS revenue, SUM(CASE WHEN mode = 'send' THEN 0 ELSE n END) AS anon " +
      `FROM (${h.sql}) GROUP BY hour / 24, currency`,
    params,
  );
}

/** The consent coverage of a range: the hour lines, and the rows of its edge hours. */
export async function summaryCoverage(source: ReportSource, since: number, until: number): Promise<Coverage> {
  const h = hoursSql(since, until);
  const [r] = await source.all<{ events: number; full: number | null; anonymized: number | null; cookieless: number | null; unknown: number | null }>(
    "SELECT SUM(n) AS events, SUM(CASE WHEN mode = 'send' THEN n END) AS full, SUM(CASE WHEN mode = 'anonymize' THEN n END) AS anonymized, " +
      `SUM(CASE WHEN mode = 'cookieless' THEN n END) AS cookieless FROM (${h.sql})`,
    h.params,
  );
  const events = r?.events ?? 0;
  const full = r?.full ?? 0;
  const anonymized = r?.anonymized ?? 0;
  const cookieless = r?.cookieless ?? 0;
  // Any other mode (none is written today), or none recorded, counts as unknown, like the PostgreSQL definition.
  return { events, full, anonymized, cookieless, unknown: events - full - anonymized - cookieless };
}

/** The micro-conversion rules seen in full in a range, each with the least event name it emitted. */
export async function readRules(source: ReportSource, since: number, until: number): Promise<{ rule: string; name: string }[]> {
  const h = hoursSql(since, until, " AND mode = 'send' AND rule <> ''");
  return source.all(`SELECT rule, MIN(name) AS name FROM (${h.sql}) GROUP BY rule ORDER BY rule`, h.params);
}
