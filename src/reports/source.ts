/**
 * @module Where reports read: the embedded warehouse (SQLite, through the SqlDb port) or a PostgreSQL
 * warehouse (through the PgPool port). The report definitions are shared; each dialect supplies the
 * SQL fragments that differ (time arithmetic, first row per group, parameter binding). On the
 * embedded warehouse the reports read its report summary (summary.ts), not these SQL queries.
 */
import type { PgPool, SqlDb, SqlValue } from '../ports.js';

/** The SQL that differs between the two warehouses. Every time is epoch ms in UTC. */
export interface Dialect {
  name: 'sqlite' | 'postgres';
  /** The quoted events table. */
  table: string;
  /** The events table for queries over visitors and sessions. */
  units: string;
  /** The events table for counts per consent mode. */
  modes: string;
  /** The event time as epoch ms (a number). */
  t: string;
  /** `time` in [since, until): a WHERE fragment with two `?`, and their values. */
  range(since: number, until: number): { sql: string; params: SqlValue[] };
  /** The UTC day index (days since 1970-01-01) of the event time, an integer. */
  day: string;
  /** The Monday-based week index of the event time, an integer: floor((day + 3) / 7) (1970-01-01 was a Thursday). */
  week: string;
  /**
   * Per group of `keys` (columns of the events table), the `cols` of its earliest row in time:
   * `SELECT keys, cols FROM table WHERE where` keeping one row per group.
   */
  firstPerGroup(keys: string, cols: string, where: string): string;
  /**
   * Inside a `GROUP BY` that selects `MIN(time)` (and no other MIN/MAX): `expr` at the group's
   * earliest row. SQLite: a bare column next to MIN() comes from the row that holds the minimum.
   */
  first(expr: string): string;
  /** Inside a `GROUP BY`: the group's `expr` values joined with `,` in time order (one text per group). */
  concat(expr: string): string;
  /** The event time as epoch ms, as text. */
  tText: string;
  /** A number cast that reads back as a JS number (PostgreSQL's COUNT is bigint, sent as text). */
  num(expr: string): string;
}

/** A warehouse a report reads. */
export interface ReportSource {
  dialect: Dialect;
  /**
   * The embedded warehouse's report summary is complete (store/report-summary.ts): the reports read it
   * instead of the rows. Set by `runReport`; while a store written before the summary is being filled,
   * false, and the reports run their SQL over the rows (exact, slower).
   */
  summary?: boolean;
  all<T = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
}

const sqliteDialect = (table: string): Dialect => ({
  name: 'sqlite',
  table,
  units: table,
  modes: table,
  t: 'time',
  range: (since, until) => ({ sql: 'time >= ? AND time < ?', params: [since, until] }),
  day: '(time / 86400000)',
  week: '((time / 86400000 + 3) / 7)',
  // SQLite: a bare column next to MIN() comes from the row that holds the minimum.
  firstPerGroup: (keys, cols, where) => `SELECT ${keys}, MIN(time) AS first_time, ${cols} FROM ${table} WHERE ${where} GROUP BY ${keys}`,
  first: (expr) => expr,
  concat: (expr) => `group_concat(${expr}, ',' ORDER BY time)`,
  tText: 'time',
  num: (expr) => expr,
});

const postgresDialect = (table: string): Dialect => ({
  name: 'postgres',
  table,
  units: table,
  modes: table,
  t: '(extract(epoch FROM time) * 1000)::float8',
  range: (since, until) => ({ sql: 'time >= ?::timestamptz AND time < ?::timestamptz', params: [new Date(since).toISOString(), new Date(until).toISOString()] }),
  day: 'floor(extract(epoch FROM time) / 86400)::int',
  week: 'div(floor(extract(epoch FROM time) / 86400)::int + 3, 7)',
  firstPerGroup: (keys, cols, where) => `SELECT DISTINCT ON (${keys}) ${keys}, time AS first_time, ${cols} FROM ${table} WHERE ${where} ORDER BY ${keys}, time, event_id`,
  first: (expr) => `(array_agg(${expr} ORDER BY time, event_id))[1]`,
  concat: (expr) => `string_agg(${expr}, ',' ORDER BY time, event_id)`,
  tText: '((extract(epoch FROM time) * 1000)::bigint)::text',
  num: (expr) => `(${expr})::float8`,
});

/**
 * The embedded warehouse (the sqlite destination's `events` table).
 *
 * @example
 * const result = await runReport(sqliteSource(runtime.db), 'funnel', { since: '30d' }, { now: Date.now() })
 */
export function sqliteSource(db: SqlDb): ReportSource {
  const table = 'events';
  return { dialect: sqliteDialect(table), all: (sql, params) => db.all(sql, params) };
}

/**
 * A PostgreSQL warehouse (the postgres destination's table): `?` placeholders become `$n`.
 *
 * @example
 * const source = postgresSource(runtime.postgres!.pool(url), { schema: 'public', table: 'tagrelay_events' })
 */
export function postgresSource(pool: PgPool, where: { schema: string; table: string }): ReportSource {
  for (const id of [where.schema, where.table]) if (!/^[a-z_][a-z0-9_]{0,62}$/.test(id)) throw new Error('postgres schema and table must be lower-case SQL identifiers');
  const table = `"${where.schema}"."${where.table}"`;
  return {
    dialect: postgresDialect(table),
    async all<T>(sql: string, params?: readonly SqlValue[]) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      const result = await pool.query<T>(text, params);
      return result.rows ?? [];
    },
  };
}
