/**
 * @module PostgreSQL warehouse: the sqlite warehouse's rows, inserted into a PostgreSQL table.
 *
 * Docs: https://www.postgresql.org/docs/current/sql-insert.html (ON CONFLICT),
 * SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { z } from 'zod';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { OutboxItem, SendContext, SendResult } from './types.js';
import { EVENT_COLUMNS, WAREHOUSE_IDENTITY, warehouseRow, type EventRow } from './sqlite.js';
import { redact, truncateText } from './http.js';
import type { PgPool, PgValue, PostgresPort } from '../ports.js';
import { EVENT_FIELDS } from '../privacy/retention.js';
import { failureText, warehouseRules, type RetentionRules, type WarehouseContext, type WarehouseErasure, type WarehousePurgeCount, type WarehouseSubject } from './warehouse.js';
import { WAREHOUSE_HASHING } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';

/** Lower-case unquoted SQL identifiers only: they are interpolated (quoted) into DDL and INSERTs. */
const identifier = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier: letters, digits and _, at most 63');

export const postgresConfigSchema = baseDestinationSchema.extend({
  type: z.literal('postgres'),
  /** Secret (write `${DATABASE_URL}`): never logged, masked in every error string. */
  connection_string: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'expected a postgres:// or postgresql:// URL'),
  schema: identifier.default('public'),
  table: identifier.default('tagrelay_events'),
  /** CREATE TABLE IF NOT EXISTS before the first insert (the schema itself must exist). */
  create_table: z.boolean().default(true),
});
export type PostgresConfig = z.infer<typeof postgresConfigSchema>;

/** PostgreSQL allows 65535 bind parameters per statement; 20 per row. */
export const PG_MAX_ROWS = 1000;

const COLUMNS = EVENT_COLUMNS;
/** Casts per column: parameters are sent as text. */
const CASTS: Partial<Record<(typeof COLUMNS)[number], string>> = { time: '::timestamptz', received_at: '::timestamptz', data: '::jsonb', value: '::float8' };
/** The report columns (`warehouse-columns.ts`), added to tables created before them. */
const REPORT_DDL = 'consent_mode text, device_type text, country text, channel text, source text, medium text, campaign text, value float8, currency text, kind text, rule_id text';

/** `"schema"."table"` (identifiers are validated, quoting keeps reserved words usable). */
export function qualifiedTable(config: Pick<PostgresConfig, 'schema' | 'table'>): string {
  return `"${config.schema}"."${config.table}"`;
}

/** The DDL `create_table` runs. */
export function createTableSql(config: Pick<PostgresConfig, 'schema' | 'table'>): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${qualifiedTable(config)} (` +
    'event_id text PRIMARY KEY, name text NOT NULL, time timestamptz NOT NULL, received_at timestamptz NOT NULL, ' +
    `client_id text, session_id text, user_id text, page_url text, data jsonb NOT NULL, ${REPORT_DDL})`
  );
}

/**
 * Additive migration and the indexes reports read through (`src/reports/`): columns added after a
 * table's first release, then indexes on event time and on visitor/session. Idempotent.
 */
export function migrateTableSql(config: Pick<PostgresConfig, 'schema' | 'table'>): string[] {
  const table = qualifiedTable(config);
  return [
    `ALTER TABLE ${table} ${REPORT_DDL.split(', ').map((c) => `ADD COLUMN IF NOT EXISTS ${c}`).join(', ')}`,
    `CREATE INDEX IF NOT EXISTS "${config.table}_time" ON ${table} (time)`,
    `CREATE INDEX IF NOT EXISTS "${config.table}_visit" ON ${table} (client_id, session_id, time)`,
  ];
}

/** One multi-row INSERT for `rows` rows; redelivered events hit the primary key and are skipped. */
export function insertSql(config: Pick<PostgresConfig, 'schema' | 'table'>, rows: number): string {
  const tuples: string[] = [];
  for (let r = 0; r < rows; r++) tuples.push(`(${COLUMNS.map((c, i) => `$${r * COLUMNS.length + i + 1}${CASTS[c] ?? ''}`).join(', ')})`);
  return `INSERT INTO ${qualifiedTable(config)} (${COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT (event_id) DO NOTHING`;
}

/** Epoch ms → ISO 8601; an invalid time becomes NULL and is refused by the NOT NULL column. */
const iso = (ms: number): string | null => (Number.isFinite(ms) ? new Date(ms).toISOString() : null);

/** The bind parameters of {@link insertSql}, row after row. */
export function insertParams(rows: readonly EventRow[]): PgValue[] {
  return rows.flatMap((r) => COLUMNS.map((c) => (c === 'time' || c === 'received_at' ? iso(r[c]) : r[c])));
}

/** Every spelling of the secret parts of a connection string, for masking. */
export function connectionSecrets(connectionString: string): string[] {
  const secrets = [connectionString];
  try {
    const { password } = new URL(connectionString);
    if (password) secrets.push(password, decodeURIComponent(password));
  } catch {
    // Not a URL: masking the whole string is all we can do.
  }
  return secrets.filter((s) => s.length > 0);
}

/** How one failed statement is treated. `rowLevel`: a bad value in some row, worth isolating. */
export interface PgVerdict {
  kind: 'retry' | 'failed';
  rowLevel: boolean;
  sqlstate?: string;
  error: string;
}

/** SQLSTATEs worth retrying: the same statement can succeed later. */
const RETRY_STATES = new Set(['40001', '40P01', '55P03', '57014', '57P01', '57P02', '57P03']);
/** Classes worth retrying: 08 connection exception, 53 insufficient resources, 58 system (I/O) error. */
const RETRY_CLASSES = new Set(['08', '53', '58']);
/** Classes caused by one row's values: 22 data exception, 23 integrity violation, 54 program limit (row too big). */
const ROW_CLASSES = new Set(['22', '23', '54']);

/** Classify a failure from the {@link PgPool} port; `secrets` are masked out of the message. */
export function classifyPgFailure(err: unknown, secrets: readonly string[]): PgVerdict {
  const e = err as { message?: unknown; sqlstate?: unknown };
  const message = truncateText(redact(typeof e?.message === 'string' ? e.message : String(err), secrets));
  if (typeof e?.sqlstate !== 'string') return { kind: 'retry', rowLevel: false, error: `postgres.connection: ${message}` };
  const sqlstate = e.sqlstate;
  const cls = sqlstate.slice(0, 2);
  const kind = RETRY_STATES.has(sqlstate) || RETRY_CLASSES.has(cls) ? 'retry' : 'failed';
  return { kind, rowLevel: kind === 'failed' && ROW_CLASSES.has(cls), sqlstate, error: `postgres.sqlstate_${sqlstate}: ${message}` };
}

/** Tables this port already created (or found), per connection string: DDL runs once per process. */
const ensured = new WeakMap<PostgresPort, Set<string>>();

async function ensureTable(port: PostgresPort, db: PgPool, config: PostgresConfig): Promise<void> {
  const key = `${config.connection_string}\u0000${qualifiedTable(config)}`;
  const done = ensured.get(port) ?? new Set<string>();
  ensured.set(port, done);
  if (done.has(key)) return;
  for (const sql of [createTableSql(config), ...migrateTableSql(config)]) {
    try {
      await db.query(sql);
    } catch (err) {
      // Two sessions racing IF NOT EXISTS can still collide in the catalog (23505 on pg_type, 42P07):
      // either way the table (or index, or column) now exists.
      const state = (err as { sqlstate?: unknown }).sqlstate;
      if (state !== '23505' && state !== '42P07' && state !== '42701') throw err;
    }
  }
  done.add(key);
}

function forgetTable(port: PostgresPort, config: PostgresConfig): void {
  ensured.get(port)?.delete(`${config.connection_string}\u0000${qualifiedTable(config)}`);
}

/** Insert a batch in statements of up to {@link PG_MAX_ROWS} rows; bisect row-level errors to isolate bad rows. */
async function sendPostgres(batch: OutboxItem<EventRow>[], config: PostgresConfig, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const port = ctx.postgres;
  if (!port) {
    const error = 'postgres.unavailable_on_runtime: this runtime has no PostgreSQL client (run tagrelay on Node)';
    return { ...result, failed: batch.map((i) => ({ id: i.id, error })) };
  }
  const db = port.pool(config.connection_string);
  const secrets = connectionSecrets(config.connection_string);
  // Once the server is unreachable or the table unusable, the rest of the batch shares that fate unsent.
  let stop: PgVerdict | undefined;
  const settle = (items: OutboxItem<EventRow>[], v: PgVerdict) => {
    for (const i of items) (v.kind === 'retry' ? result.retry : result.failed).push({ id: i.id, error: v.error });
  };
  let recreated = false;

  async function insert(items: OutboxItem<EventRow>[]): Promise<void> {
    if (stop) return settle(items, stop);
    try {
      if (config.create_table) await ensureTable(port!, db, config);
      await db.query(insertSql(config, items.length), insertParams(items.map((i) => i.payload)));
      result.delivered.push(...items.map((i) => i.id));
    } catch (err) {
      const verdict = classifyPgFailure(err, secrets);
      if (verdict.sqlstate === '42P01' && config.create_table && !recreated) {
        // The table was dropped after we created it: create it again, once per send.
        recreated = true;
        forgetTable(port!, config);
        return insert(items);
      }
      if (verdict.rowLevel && items.length > 1) {
        const half = Math.ceil(items.length / 2);
        await insert(items.slice(0, half));
        return insert(items.slice(half));
      }
      if (!verdict.rowLevel) stop = verdict;
      ctx.log.warn('postgres insert failed', { destination: config.id, rows: items.length, error: verdict.error.slice(0, 200) });
      settle(items, verdict);
    }
  }

  for (let start = 0; start < batch.length; start += PG_MAX_ROWS) await insert(batch.slice(start, start + PG_MAX_ROWS));
  return result;
}

/** `$.page.url` → `{page,url}`: a JSON path of the retention rules as a PostgreSQL text[] path. */
const pgPath = (path: string): string => `'{${path.slice(2).split('.').join(',')}}'`;

/** The purge statements for the retention rules at `now`: the row rule deletes, each field rule nulls. */
export function purgeStatements(config: Pick<PostgresConfig, 'schema' | 'table'>, rules: RetentionRules, now: number): { rule: string; action: 'delete' | 'null_field'; sql: string; params: PgValue[] }[] {
  const table = qualifiedTable(config);
  const { rowTtl, fields } = warehouseRules(rules);
  const out: { rule: string; action: 'delete' | 'null_field'; sql: string; params: PgValue[] }[] = [];
  if (rowTtl !== undefined) out.push({ rule: 'events', action: 'delete', sql: `DELETE FROM ${table} WHERE received_at < $1::timestamptz`, params: [iso(now - rowTtl)] });
  for (const [name, ttl] of fields) {
    const field = EVENT_FIELDS[name];
    if (!field) continue;
    const present = [...(field.column ? [`${field.column} IS NOT NULL`] : []), ...field.paths.map((p) => `data #> ${pgPath(p)} IS NOT NULL`)].join(' OR ');
    const sets = [...(field.column ? [`${field.column} = NULL`] : []), `data = data${field.paths.map((p) => ` #- ${pgPath(p)}`).join('')}`];
    out.push({
      rule: `events.${name}`,
      action: 'null_field',
      sql: `UPDATE ${table} SET ${sets.join(', ')} WHERE received_at < $1::timestamptz AND (${present})`,
      params: [iso(now - ttl)],
    });
  }
  return out;
}

/** A JSON array parameter read back as a set of text values (pg binds text; no driver-side arrays). */
const inList = (n: number): string => `(SELECT jsonb_array_elements_text($${n}::jsonb))`;

/**
 * The erasure statement: the subject's events by id, by user pseudonym, by email/phone key, and by
 * client pseudonym when the event carries no other user (the rule of src/admin/dsr-subject.ts).
 */
export function eraseStatement(config: Pick<PostgresConfig, 'schema' | 'table'>, subject: WarehouseSubject): { sql: string; params: PgValue[] } {
  return {
    sql:
      `DELETE FROM ${qualifiedTable(config)} WHERE event_id IN ${inList(1)} OR user_id IN ${inList(2)} ` +
      `OR (client_id IN ${inList(3)} AND (user_id IS NULL OR user_id IN ${inList(2)})) ` +
      `OR data -> 'hashed_user' ->> 'em' IN ${inList(4)} OR data -> 'hashed_user' ->> 'ph' IN ${inList(4)}`,
    params: [JSON.stringify(subject.eventIds), JSON.stringify(subject.userKeys), JSON.stringify(subject.clientKeys), JSON.stringify(subject.hashKeys)],
  };
}

/** A table that does not exist yet holds nothing to purge or erase. */
const isMissingTable = (err: unknown): boolean => (err as { sqlstate?: unknown }).sqlstate === '42P01';

async function purgePostgres(config: PostgresConfig, rules: RetentionRules, ctx: WarehouseContext): Promise<WarehousePurgeCount[]> {
  const secrets = connectionSecrets(config.connection_string);
  const steps = purgeStatements(config, rules, ctx.now());
  if (!ctx.postgres) return steps.map((s) => ({ destination: config.id, rule: s.rule, action: 'failed', rows: null, reason: 'postgres.unavailable_on_runtime' }));
  const db = ctx.postgres.pool(config.connection_string);
  const out: WarehousePurgeCount[] = [];
  for (const step of steps) {
    try {
      out.push({ destination: config.id, rule: step.rule, action: step.action, rows: (await db.query(step.sql, step.params)).rowCount });
    } catch (err) {
      if (isMissingTable(err)) out.push({ destination: config.id, rule: step.rule, action: step.action, rows: 0 });
      else out.push({ destination: config.id, rule: step.rule, action: 'failed', rows: null, reason: redact(failureText(err), secrets) });
    }
  }
  return out;
}

async function erasePostgres(config: PostgresConfig, subject: WarehouseSubject, ctx: WarehouseContext): Promise<WarehouseErasure> {
  if (!ctx.postgres) return { type: 'postgres', status: 'failed', error: 'postgres.unavailable_on_runtime' };
  const { sql, params } = eraseStatement(config, subject);
  try {
    return { type: 'postgres', status: 'erased', rows: (await ctx.postgres.pool(config.connection_string).query(sql, params)).rowCount };
  } catch (err) {
    if (isMissingTable(err)) return { type: 'postgres', status: 'erased', rows: 0 };
    return { type: 'postgres', status: 'failed', error: redact(failureText(err), connectionSecrets(config.connection_string)) };
  }
}
/** The PostgreSQL warehouse's outcomes, in words. */
const POSTGRES_REASONS: ReasonTable = {
  'postgres.connection': () =>
    'The PostgreSQL warehouse could not be reached (connection refused, reset or timed out): the delivery is retried with backoff.',
  'postgres.unavailable_on_runtime': () =>
    'This runtime has no PostgreSQL client (only the Node runtime has one), so the event could not be written to the PostgreSQL warehouse; it is kept in the dead-letter store.',
};

/** The PostgreSQL warehouse: pseudonymized rows like the embedded sqlite warehouse, delivered through the outbox. */
export const postgres = defineDestination({
  type: 'postgres',
  configSchema: postgresConfigSchema,
  requires: ['analytics_storage'],
  whenDenied: 'anonymize',
  privacy: { hashing: WAREHOUSE_HASHING, ip: 'truncate' },
  batch: { maxEvents: 500, maxWaitMs: 500 },
  maxInFlight: 4,
  map(event, _config, ctx) {
    return { payload: warehouseRow(event, ctx.action) };
  },
  send: sendPostgres,
  warehouse: { purge: purgePostgres, erase: erasePostgres },
  reasons: {
    area: 'postgres',
    vendor: 'The PostgreSQL warehouse',
    codes: POSTGRES_REASONS,
    prefixes: {
      'postgres.sqlstate_': {
        part: /^[0-9A-Z]{5}$/,
        describe: (state) =>
          /^(08|40001|40P01|55P03|57014|57P0|53|58)/.test(state)
            ? `PostgreSQL answered SQLSTATE ${state}, a temporary failure (connection, serialization, deadlock, shutdown or resources): the delivery is retried.`
            : `PostgreSQL refused the write with SQLSTATE ${state} (a permission, schema or data error): it is not retried and is kept in the dead-letter store.`,
      },
    },
  },
  ...WAREHOUSE_IDENTITY,
  docs: { vendor: 'https://www.postgresql.org/docs/current/sql-insert.html', page: 'docs/destinations/postgres.md' },
  example: { id: 'pg', type: 'postgres', connection_string: 'postgres://tagrelay:example@127.0.0.1:5432/tagrelay' },
});
