/**
 * @module The embedded store's tables (SQLite dialect), created idempotently at start.
 */
import type { SqlDb } from '../ports.js';
import { COUNT_BUCKET_MS } from '../delivery/settle.js';
import { markEmptySummary, REPORT_SUMMARY_SCHEMA } from './report-summary.js';

/** Every table tagrelay keeps locally. Times are epoch ms. */
export const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS events (
    event_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    time INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    client_id TEXT,
    session_id TEXT,
    user_id TEXT,
    page_url TEXT,
    data TEXT NOT NULL,
    consent_mode TEXT,
    device_type TEXT,
    country TEXT,
    channel TEXT,
    source TEXT,
    medium TEXT,
    campaign TEXT,
    value REAL,
    currency TEXT,
    kind TEXT,
    rule_id TEXT
  )`,
  'CREATE INDEX IF NOT EXISTS events_received ON events (received_at)',
  // Reports (src/reports/) read the summary the triggers keep (store/report-summary.ts); the rows of a
  // range's partial edge hours are found by time.
  'CREATE INDEX IF NOT EXISTS events_time ON events (time)',
  ...REPORT_SUMMARY_SCHEMA,
  // Erasure finds a visitor's or user's rows; rows without the id need no index entry (a write saved).
  'CREATE INDEX IF NOT EXISTS events_client_id ON events (client_id) WHERE client_id IS NOT NULL',
  'CREATE INDEX IF NOT EXISTS events_user_id ON events (user_id) WHERE user_id IS NOT NULL',
  // The record log: one row per accepted event, written in the accepting commit. `event_id` is
  // UNIQUE: the store is the durable dedupe window. No clear personal data: `data` holds hashes
  // and pseudonyms; `ip`/`user_agent` are nulled once every destination has settled.
  // AUTOINCREMENT: a purged tail never hands its sequence numbers out again (cursors count in them).
  `CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    received_at INTEGER NOT NULL,
    config_version TEXT NOT NULL,
    client_key TEXT,
    user_key TEXT,
    ip TEXT,
    user_agent TEXT,
    data TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS records_received ON records (received_at)',
  'CREATE INDEX IF NOT EXISTS records_client ON records (client_key)',
  'CREATE INDEX IF NOT EXISTS records_user ON records (user_key)',
  // Small: only records whose IP/User-Agent are still kept (the sweep that nulls them reads it).
  'CREATE INDEX IF NOT EXISTS records_net ON records (seq) WHERE ip IS NOT NULL OR user_agent IS NOT NULL',
  // Per destination: every record up to `seq` is settled there or waits in delivery_retry.
  `CREATE TABLE IF NOT EXISTS delivery_cursor (
    destination_id TEXT PRIMARY KEY,
    seq INTEGER NOT NULL
  )`,
  // Per destination and record: a retryable failure waiting for its next attempt. No payload:
  // the payload is decided again from the record when it is sent.
  `CREATE TABLE IF NOT EXISTS delivery_retry (
    destination_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    event_id TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    first_attempt_at INTEGER NOT NULL,
    last_error TEXT,
    PRIMARY KEY (destination_id, seq)
  )`,
  'CREATE INDEX IF NOT EXISTS delivery_retry_due ON delivery_retry (destination_id, next_attempt_at)',
  // `payload` is the decided payload at failure without IP and User-Agent (kept in the record while
  // the dead letter may be replayed); a replay decides again from the record.
  `CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    failed_at INTEGER NOT NULL,
    seq INTEGER
  )`,
  'CREATE INDEX IF NOT EXISTS dead_letter_failed ON dead_letter (failed_at)',
  'CREATE INDEX IF NOT EXISTS dead_letter_seq ON dead_letter (seq)',
  `CREATE TABLE IF NOT EXISTS delivery_log (
    event_id TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reasons TEXT,
    error TEXT,
    updated_at INTEGER NOT NULL,
    config_version TEXT,
    action TEXT,
    name TEXT,
    received_at INTEGER,
    consent TEXT,
    PRIMARY KEY (event_id, destination_id)
  )`,
  'CREATE INDEX IF NOT EXISTS delivery_log_updated ON delivery_log (updated_at)',
  // The delivery report reads delivery_counts instead of a six-column index over every decision record.
  'DROP INDEX IF EXISTS delivery_log_report',
  // delivery_log grouped (src/delivery/settle.ts decisionStatements): per destination, day of receipt,
  // event name, action, status, consent codes and 5-minute bucket of the settling time.
  `CREATE TABLE IF NOT EXISTS delivery_counts (
    destination_id TEXT NOT NULL,
    day INTEGER NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    consent TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (destination_id, day, name, action, status, consent, bucket)
  )`,
  'CREATE INDEX IF NOT EXISTS delivery_counts_bucket ON delivery_counts (bucket)',
  `CREATE TABLE IF NOT EXISTS consent_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time INTEGER NOT NULL,
    client_id TEXT,
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    policy_version TEXT NOT NULL,
    region TEXT NOT NULL,
    tombstone TEXT
  )`,
  'CREATE INDEX IF NOT EXISTS consent_audit_client ON consent_audit (client_id)',
  `CREATE TABLE IF NOT EXISTS identity_links (
    client_key TEXT NOT NULL,
    user_key TEXT NOT NULL,
    first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL,
    PRIMARY KEY (client_key, user_key)
  )`,
  // Data-subject requests served: what was asked and what was done, never who it was about.
  `CREATE TABLE IF NOT EXISTS dsr_requests (
    id TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    time INTEGER NOT NULL,
    subject_kind TEXT NOT NULL,
    actor TEXT,
    counts TEXT NOT NULL
  )`,
  // Tracking-plan outcomes and violations per day (names and paths only, never values).
  `CREATE TABLE IF NOT EXISTS plan_counts (
    day TEXT NOT NULL,
    event TEXT NOT NULL,
    path TEXT NOT NULL,
    code TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, event, path, code)
  )`,
  // Journey triggers: one timer per trigger and visitor key (a pseudonym, never a clear id). Written in
  // the accepting commit (arm, re-arm, cancel); claimed at fire time with a conditional UPDATE, so two
  // instances or a restart never fire one twice. `snapshot` holds the params and items the emitted
  // event carries (scrubbed like the record); `last_time` is the event time of the last start or
  // cancel applied, so a replayed or late event never re-arms or cancels a newer cycle.
  `CREATE TABLE IF NOT EXISTS trigger_timers (
    trigger_id TEXT NOT NULL,
    key TEXT NOT NULL,
    state TEXT NOT NULL,
    armed_at INTEGER NOT NULL,
    started_at INTEGER NOT NULL,
    last_time INTEGER NOT NULL,
    fire_at INTEGER NOT NULL,
    starts INTEGER NOT NULL,
    source_event_id TEXT NOT NULL,
    client_key TEXT,
    snapshot TEXT NOT NULL,
    reason TEXT,
    claimed_at INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (trigger_id, key)
  )`,
  "CREATE INDEX IF NOT EXISTS trigger_timers_due ON trigger_timers (fire_at) WHERE state IN ('armed', 'firing')",
  // Events that left no record (rejected, duplicates, bots) per minute and reason code: counts only.
  `CREATE TABLE IF NOT EXISTS traffic_counts (
    minute INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    reason TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (minute, outcome, reason)
  )`,
  `CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
];

/** Columns added after a table's first release: added to stores created before them. */
const ADDED_COLUMNS: [table: string, column: string, type: string][] = [
  ['dead_letter', 'seq', 'INTEGER'],
  ['delivery_log', 'config_version', 'TEXT'],
  // The decision's route action (send / anonymize / cookieless / drop / skip): the delivery report reconciles it.
  ['delivery_log', 'action', 'TEXT'],
  ['delivery_log', 'name', 'TEXT'],
  ['delivery_log', 'received_at', 'INTEGER'],
  ['delivery_log', 'consent', 'TEXT'],
  // The warehouse row's report columns (destinations/warehouse-columns.ts).
  ...(['consent_mode', 'device_type', 'country', 'channel', 'source', 'medium', 'campaign', 'currency', 'kind', 'rule_id'] as const).map(
    (c): [string, string, string] => ['events', c, 'TEXT'],
  ),
  ['events', 'value', 'REAL'],
];

/** Counts a store made before `delivery_counts` existed: its decision records, grouped once. */
const BACKFILL_COUNTS =
  'INSERT INTO delivery_counts (destination_id, day, name, action, status, consent, bucket, n) ' +
  `SELECT destination_id, received_at / 86400000, name, COALESCE(action, ''), status, COALESCE(consent, ''), updated_at - updated_at % ${COUNT_BUCKET_MS}, COUNT(*) ` +
  'FROM delivery_log WHERE received_at IS NOT NULL AND name IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6, 7';

/**
 * The schema name of the intake file (Node: `tagrelay-intake.db`, attached beside `tagrelay.db`).
 * It holds what the accepting side writes in its group commit; delivery, the warehouse and the rest
 * stay in the main file. SQLite locks per file, so an accepting commit never waits for a delivery
 * commit. Unqualified table names find a table in whichever file holds it.
 */
export const INTAKE_SCHEMA = 'intake';

/** The tables of the accepting commit: the record log, and the counters and timers written with it. */
export const INTAKE_TABLES: readonly string[] = ['records', 'traffic_counts', 'plan_counts', 'trigger_timers'];

/** A schema statement, creating its table or index in the intake file when it belongs there. */
function placed(sql: string, intake: string | undefined): string {
  if (!intake) return sql;
  const table = /^CREATE TABLE IF NOT EXISTS (\w+)/.exec(sql);
  if (table && INTAKE_TABLES.includes(table[1]!)) return sql.replace(table[0], `CREATE TABLE IF NOT EXISTS ${intake}.${table[1]}`);
  const index = /^CREATE INDEX IF NOT EXISTS (\w+) ON (\w+)/.exec(sql);
  if (index && INTAKE_TABLES.includes(index[2]!)) return sql.replace(index[0], `CREATE INDEX IF NOT EXISTS ${intake}.${index[1]} ON ${index[2]}`);
  return sql;
}

/** Whether the connection has the intake file attached (the Node store; other runtimes keep one file). */
async function intakeSchema(db: SqlDb): Promise<string | undefined> {
  try {
    const list = await db.all<{ name: string }>('PRAGMA database_list');
    return list.some((d) => d.name === INTAKE_SCHEMA) ? INTAKE_SCHEMA : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A store made before the intake file kept its intake tables in the main file: each is copied into
 * the intake file in one transaction (with the record log's sequence, so no seq is handed out
 * twice), then dropped from the main file. A crash between the two leaves a complete copy, and the
 * next start only drops the original.
 */
async function moveToIntake(db: SqlDb, intake: string): Promise<void> {
  for (const table of INTAKE_TABLES) {
    if (!(await db.get("SELECT 1 AS x FROM main.sqlite_master WHERE type = 'table' AND name = ?", [table]))) continue;
    if (!(await db.get(`SELECT 1 AS x FROM ${intake}.sqlite_master WHERE type = 'table' AND name = ?`, [table]))) {
      const create = SCHEMA.find((sql) => new RegExp(`^CREATE TABLE IF NOT EXISTS ${table} \\(`).test(sql))!;
      const cols = (await db.all<{ name: string }>(`PRAGMA main.table_info(${table})`)).map((c) => c.name).join(', ');
      const copy = [{ sql: placed(create, intake) }, { sql: `INSERT INTO ${intake}.${table} (${cols}) SELECT ${cols} FROM main.${table}` }];
      if (table === 'records') {
        copy.push({ sql: `INSERT INTO ${intake}.sqlite_sequence (name, seq) SELECT 'records', 0 WHERE NOT EXISTS (SELECT 1 FROM ${intake}.sqlite_sequence WHERE name = 'records')` });
        copy.push({
          sql: `UPDATE ${intake}.sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM main.sqlite_sequence WHERE name = 'records'), 0)) WHERE name = 'records'`,
        });
      }
      await db.batch(copy);
    }
    await db.exec(`DROP TABLE main.${table}`);
  }
}

/** Create every table and index that does not exist yet. */
export async function migrate(db: SqlDb): Promise<void> {
  const intake = await intakeSchema(db);
  if (intake) await moveToIntake(db, intake);
  for (const [table, column, type] of ADDED_COLUMNS) {
    const cols = await db.all<{ name: string }>(`PRAGMA table_info(${table})`);
    if (cols.length > 0 && !cols.some((c) => c.name === column)) await db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${type}`);
  }
  const hadCounts = (await db.all<{ name: string }>('PRAGMA table_info(delivery_counts)')).length > 0;
  // Indexes replaced (each cost a write per event): the report indexes by the summary and events_report_time;
  // the erasure indexes by partial ones.
  for (const index of ['events_report', 'events_name_time', 'events_mode_time', 'events_client', 'events_user', 'events_report_time']) await db.exec(`DROP INDEX IF EXISTS ${index}`);
  for (const sql of SCHEMA) await db.exec(placed(sql, intake));
  if (!hadCounts) await db.exec(BACKFILL_COUNTS);
  // A store whose events predate the report summary is filled after the start (fillReportSummary), not here.
  await markEmptySummary(db);
}
