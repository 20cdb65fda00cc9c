/**
 * @module Open the Node store's files from outside, as the server does: `tagrelay.db` with its intake
 * file (`tagrelay-intake.db`: records, counters, timers) attached, so unqualified table names resolve.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { intakeFileOf } from '../../src/runtime/node/db.js';

/** A better-sqlite3 connection to a store file, its intake file attached when there is one (Bun and Deno keep one file). */
export function openStoreFile(file: string, opts: Database.Options = {}): Database.Database {
  const db = new Database(file, opts);
  const intake = intakeFileOf(file);
  if (existsSync(intake)) db.exec(`ATTACH DATABASE '${intake.replace(/'/g, "''")}' AS intake`);
  return db;
}

/** Every file of a store on disk: the main and intake files with their WAL and shared-memory files. */
export function storeFiles(file: string): string[] {
  return [file, intakeFileOf(file)].flatMap((f) => [f, `${f}-wal`, `${f}-shm`]).filter((f) => existsSync(f));
}
