/**
 * @module The alarm tables (SQLite dialect): the rollup the evaluator writes, alarm state and queued notices.
 */
import type { SqlDb } from '../ports.js';

/** Width of one rollup bucket. */
export const BUCKET_MS = 5 * 60_000;

/** The alarm tables, created idempotently by the evaluator. Times are epoch ms. */
export const ALARM_SCHEMA = [
  // Counts per 5-minute bucket (metric, key): `ev`/name, `denied`, `ads`, `matched`, `plan_checked`,
  // `plan_flagged`, `dest`/`<destination>\t<status>`; and in bucket 0, `last`/name: when the name was
  // last received. Names only, never values. Kept `history_days` + 1 days.
  `CREATE TABLE IF NOT EXISTS alarm_rollup (
    bucket INTEGER NOT NULL,
    metric TEXT NOT NULL,
    key TEXT NOT NULL,
    value INTEGER NOT NULL,
    PRIMARY KEY (bucket, metric, key)
  )`,
  // Cursors and watermarks of the rollup (`records_seq`, `log_at`, `plan:<day>:<metric>`), the
  // start of the history (`since`) and the evaluator's lease (`lease`, with its owner).
  `CREATE TABLE IF NOT EXISTS alarm_meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL,
    owner TEXT
  )`,
  // One row per alarm occurrence; at most one open per key. `fire_token`/`resolve_token` tie a
  // notice to the transition that wrote it, so a lost race never notifies twice.
  `CREATE TABLE IF NOT EXISTS alarms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    since INTEGER NOT NULL,
    opened_at INTEGER NOT NULL,
    resolved_at INTEGER,
    expected REAL,
    seen REAL,
    window INTEGER NOT NULL,
    detail TEXT NOT NULL,
    fire_token TEXT NOT NULL,
    resolve_token TEXT
  )`,
  'CREATE UNIQUE INDEX IF NOT EXISTS alarms_open ON alarms (key) WHERE resolved_at IS NULL',
  'CREATE INDEX IF NOT EXISTS alarms_opened ON alarms (opened_at)',
  // Webhook notices waiting to be sent, oldest first per webhook; kept until sent or `max_age`.
  `CREATE TABLE IF NOT EXISTS alarm_notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    channel INTEGER NOT NULL,
    alarm_id INTEGER NOT NULL,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    last_error TEXT
  )`,
  'CREATE INDEX IF NOT EXISTS alarm_notices_channel ON alarm_notices (channel, id)',
];

/** Create the alarm tables that do not exist yet. */
export async function migrateAlarms(db: SqlDb): Promise<void> {
  for (const sql of ALARM_SCHEMA) await db.exec(sql);
}
