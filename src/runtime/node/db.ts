/**
 * @module The embedded store on Node: better-sqlite3 in WAL mode, behind the SqlDb port.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb } from '../../ports.js';
import { wrapSyncSqlite, type SyncSqlite } from '../shared/sync-sqlite.js';

/**
 * Open (creating if needed) a SQLite file.
 *
 * @example
 * const db = openSqlite('./data/tagrelay.db')
 */
export function openSqlite(file: string): SqlDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return wrapSyncSqlite(new Database(file) as unknown as SyncSqlite);
}
