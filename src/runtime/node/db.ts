/**
 * @module The embedded store on Node: better-sqlite3 in WAL mode, behind the SqlDb port.
 */
import Database from 'better-sqlite3';
import { mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb } from '../../ports.js';
import { wrapSyncSqlite, type SyncSqlite } from '../shared/sync-sqlite.js';

/**
 * A check that throws once `file` no longer names the file that was open when it was made (deleted,
 * or replaced by another inode). SQLite in WAL mode does not notice: it keeps writing into the
 * unlinked inode, and every commit after that is gone at the next restart. One `stat` per call.
 */
export function sameFileCheck(file: string): () => void {
  const opened = statSync(file, { bigint: true });
  return () => {
    const now = statSync(file, { bigint: true, throwIfNoEntry: false });
    if (!now || now.ino !== opened.ino || now.dev !== opened.dev) {
      throw new Error(`tagrelay: the store file ${file} was deleted or replaced while open; refusing writes that would be lost (restart tagrelay to reopen it)`);
    }
  };
}

/**
 * Open (creating if needed) a SQLite file. Writes are refused once the file is deleted or replaced
 * under the open connection ({@link sameFileCheck}).
 *
 * @example
 * const db = openSqlite('./data/tagrelay.db')
 */
export function openSqlite(file: string): SqlDb {
  if (file === ':memory:') return wrapSyncSqlite(new Database(file) as unknown as SyncSqlite);
  mkdirSync(dirname(file), { recursive: true });
  // SQLite creates the file at open, so its inode is known from here on.
  const db = new Database(file) as unknown as SyncSqlite;
  return wrapSyncSqlite(db, { check: sameFileCheck(file) });
}
