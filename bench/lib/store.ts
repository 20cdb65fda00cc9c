/**
 * @module Read a tagrelay data dir from the outside (read-only): warehouse rows and outbox depth.
 *
 * Only the product's documented surface is relied on — `<data dir>/tagrelay.db` and the embedded
 * warehouse's `events` table; anything else is reported as n/a, so an internal rewrite of the store
 * changes a line of output, not the benchmark's outcome.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { intakeFileOf } from '../../src/runtime/node/db.js';

/** Open the store read-only, run `fn`, close; undefined when the file or table is not there. */
function read<T>(dataDir: string, fn: (db: Database.Database) => T): T | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(dataDir, 'tagrelay.db'), { readonly: true, fileMustExist: true });
    // The record log lives in the intake file beside it (src/store/schema.ts INTAKE_TABLES).
    const intake = intakeFileOf(join(dataDir, 'tagrelay.db'));
    if (existsSync(intake)) db.exec(`ATTACH DATABASE '${intake}' AS intake`);
    return fn(db);
  } catch {
    return undefined;
  } finally {
    db?.close();
  }
}

const count = (db: Database.Database, sql: string): number => (db.prepare(sql).get() as { n: number }).n;

/** Rows in the embedded warehouse (`events`), or undefined when it cannot be read. */
export function warehouseRows(dataDir: string): number | undefined {
  return read(dataDir, (db) => count(db, 'SELECT count(*) AS n FROM events'));
}

/** One line about the store after a run: warehouse rows and outbox items left (n/a when not readable). */
export function storeSummary(dataDir: string): string {
  const outbox = read(dataDir, (db) => count(db, 'SELECT count(*) AS n FROM outbox'));
  return `warehouse rows: ${warehouseRows(dataDir) ?? 'n/a'}, outbox items left: ${outbox ?? 'n/a'}`;
}

/**
 * Records not yet settled per destination: past its `delivery_cursor` plus its `delivery_retry` rows
 * (the same count as bench/delivery.ts's PENDING_SQL, split per destination).
 */
const PENDING_BY_DESTINATION =
  'SELECT c.destination_id AS id, (SELECT COUNT(*) FROM records r WHERE r.seq > c.seq) + ' +
  '(SELECT COUNT(*) FROM delivery_retry t WHERE t.destination_id = c.destination_id) AS n FROM delivery_cursor c';

/** Where delivery stands, read from the store (read-only). */
export interface DeliveryProgress {
  /** Records not yet settled, per destination id. */
  pending: Record<string, number>;
  /** Dead letters per destination id. */
  dead: Record<string, number>;
  /** The most frequent dead-letter reasons (destination: reason × count), at most 3. */
  deadReasons: string[];
  /** Rows in the embedded warehouse. */
  warehouse: number;
}

/** Pending, dead-lettered and warehouse rows; undefined when the store or one of its tables cannot be read. */
export function deliveryProgress(dataDir: string): DeliveryProgress | undefined {
  return read(dataDir, (db) => {
    const pending: Record<string, number> = {};
    for (const r of db.prepare(PENDING_BY_DESTINATION).all() as { id: string; n: number }[]) pending[r.id] = r.n;
    const dead: Record<string, number> = {};
    for (const r of db.prepare('SELECT destination_id AS id, COUNT(*) AS n FROM dead_letter GROUP BY destination_id').all() as { id: string; n: number }[]) dead[r.id] = r.n;
    const reasons = db
      .prepare('SELECT destination_id AS id, substr(reason, 1, 160) AS reason, COUNT(*) AS n FROM dead_letter GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 3')
      .all() as { id: string; reason: string; n: number }[];
    return { pending, dead, deadReasons: reasons.map((r) => `${r.id}: ${r.reason} × ${r.n}`), warehouse: count(db, 'SELECT count(*) AS n FROM events') };
  });
}

/** Every event id in the embedded warehouse (`events.event_id`), or undefined when it cannot be read. */
export function warehouseEventIds(dataDir: string): string[] | undefined {
  return read(dataDir, (db) => (db.prepare('SELECT event_id FROM events').pluck().all() as string[]));
}

/**
 * Bytes on disk per table (its indexes included) and in free pages, largest first; undefined when
 * SQLite's `dbstat` table is not available. Read after the server stopped (the WAL is checkpointed).
 */
export function storeBreakdown(dataDir: string): { name: string; bytes: number }[] | undefined {
  return read(dataDir, (db) => {
    const byObject = db.prepare('SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
    const owner = new Map((db.prepare("SELECT name, tbl_name FROM sqlite_schema WHERE type IN ('table', 'index')").all() as { name: string; tbl_name: string }[]).map((r) => [r.name, r.tbl_name]));
    const out = new Map<string, number>();
    for (const r of byObject) {
      const table = owner.get(r.name) ?? r.name;
      out.set(table, (out.get(table) ?? 0) + r.bytes);
    }
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    if (free > 0) out.set('(free pages)', free * pageSize);
    return [...out.entries()].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  });
}
