/**
 * @module The embedded store on Deno: node:sqlite (DatabaseSync) in WAL mode, behind the SqlDb port.
 */
import { DatabaseSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb } from '../../ports.js';
import { wrapSyncSqlite, type SyncSqlite } from '../shared/sync-sqlite.js';

/**
 * Open (creating if needed) a SQLite file.
 *
 * @example
 * const db = openNodeSqlite('./data/tagrelay.db')
 */
export function openNodeSqlite(file: string): SqlDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  return wrapSyncSqlite(new DatabaseSync(file) as unknown as SyncSqlite);
}
