/**
 * @module Read a tagrelay data dir from the outside (read-only): warehouse rows and outbox depth.
 *
 * Only the product's documented surface is relied on — `<data dir>/tagrelay.db` and the embedded
 * warehouse's `events` table; anything else is reported as n/a, so an internal rewrite of the store
 * changes a line of output, not the benchmark's outcome.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Open the store read-only, run `fn`, close; undefined when the file or table is not there. */
function read<T>(dataDir: string, fn: (db: Database.Database) => T): T | undefined {
  let db: Database.Database | undefined;
  try {
    db = new Database(join(dataDir, 'tagrelay.db'), { readonly: true, fileMustExist: true });
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
