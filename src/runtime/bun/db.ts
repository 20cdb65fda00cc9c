/**
 * @module The embedded store on Bun: bun:sqlite in WAL mode, behind the SqlDb port.
 */
import { Database } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb } from '../../ports.js';
import { wrapSyncSqlite, type SyncSqlite } from '../shared/sync-sqlite.js';

/**
 * Open (creating if needed) a SQLite file.
 *
 * @example
 * const db = openBunSqlite('./data/tagrelay.db')
 */
export function openBunSqlite(file: string): SqlDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return wrapSyncSqlite(new Database(file, { create: true }) as unknown as SyncSqlite);
}
