/**
 * @module The embedded store's tables (SQLite dialect), created idempotently at start.
 */
import type { SqlDb } from '../ports.js';

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
    data TEXT NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS events_received ON events (received_at)',
  'CREATE INDEX IF NOT EXISTS events_client ON events (client_id)',
  'CREATE INDEX IF NOT EXISTS events_user ON events (user_id)',
  `CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error TEXT
  )`,
  'CREATE INDEX IF NOT EXISTS outbox_due ON outbox (destination_id, next_attempt_at)',
  `CREATE TABLE IF NOT EXISTS dead_letter (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    destination_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    reason TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    failed_at INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS dead_letter_failed ON dead_letter (failed_at)',
  `CREATE TABLE IF NOT EXISTS delivery_log (
    event_id TEXT NOT NULL,
    destination_id TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    reasons TEXT,
    error TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (event_id, destination_id)
  )`,
  'CREATE INDEX IF NOT EXISTS delivery_log_updated ON delivery_log (updated_at)',
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
  `CREATE TABLE IF NOT EXISTS dedupe (
    event_id TEXT PRIMARY KEY,
    seen_at INTEGER NOT NULL
  )`,
  'CREATE INDEX IF NOT EXISTS dedupe_seen ON dedupe (seen_at)',
  `CREATE TABLE IF NOT EXISTS kv (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  )`,
];

/** Create every table and index that does not exist yet. */
export async function migrate(db: SqlDb): Promise<void> {
  for (const sql of SCHEMA) await db.exec(sql);
}
