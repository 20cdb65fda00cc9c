/**
 * @module The embedded store on Node: better-sqlite3 in WAL mode, behind the SqlDb port.
 */
import Database from 'better-sqlite3';
import { accessSync, constants, existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb } from '../../ports.js';
import { wrapSyncSqlite, type SyncSqlite } from '../shared/sync-sqlite.js';
import { INTAKE_SCHEMA } from '../../store/schema.js';

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

/** Errno codes that mean "this process may not write here". */
const READ_ONLY = new Set(['EROFS', 'EACCES', 'EPERM']);

/**
 * The store could not be opened. `message` is one line for an operator, e.g.
 * `tagrelay: cannot open the store at /data/tagrelay.db: read-only directory`; the CLI prints it and exits 1.
 */
export class StoreOpenError extends Error {
  constructor(file: string, reason: string, cause: unknown) {
    super(`tagrelay: cannot open the store at ${file}: ${reason}`, { cause });
    this.name = 'StoreOpenError';
  }
}

/** Why opening failed, in a few words: a permission problem by name, else the first line of the error. */
function reasonOf(err: unknown, where: 'directory' | 'file'): string {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && READ_ONLY.has(code)) return `read-only ${where}`;
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}

/**
 * Why `dir` could not be made or used: the nearest existing ancestor decides, because a recursive
 * mkdir under a read-only mount fails with ENOENT (Node), not EROFS.
 */
function directoryReason(dir: string, err: unknown): string {
  let at = dir;
  while (!existsSync(at) && dirname(at) !== at) at = dirname(at);
  try {
    accessSync(at, constants.W_OK);
  } catch (denied) {
    return reasonOf(denied, 'directory');
  }
  return reasonOf(err, 'directory');
}

/**
 * The intake file beside a store file (`tagrelay.db` → `tagrelay-intake.db`): the tables the accepting
 * side writes (src/store/schema.ts `INTAKE_TABLES`), so its commits never wait for delivery's.
 */
export function intakeFileOf(file: string): string {
  return file.endsWith('.db') ? `${file.slice(0, -3)}-intake.db` : `${file}-intake`;
}

/**
 * Open (creating if needed) a SQLite file, with its intake file attached as the `intake` schema. Throws a {@link StoreOpenError} when the directory or the
 * file cannot be written. Writes are refused later once the file is deleted or replaced under the
 * open connection ({@link sameFileCheck}).
 *
 * @example
 * const db = openSqlite('./data/tagrelay.db')
 */
export function openSqlite(file: string, opts: { autoCheckpoint?: number; yieldOnBusy?: boolean } = {}): SqlDb {
  if (file === ':memory:') return wrapSyncSqlite(new Database(file) as unknown as SyncSqlite);
  const dir = dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
    // WAL mode creates tagrelay.db-wal and -shm next to the file, so the directory itself must be
    // writable; without this check SQLite fails with a bare SQLITE_CANTOPEN, or opens an existing
    // file read-only and fails at the first write.
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new StoreOpenError(file, directoryReason(dir, err), err);
  }
  try {
    if (existsSync(file)) accessSync(file, constants.W_OK);
  } catch (err) {
    throw new StoreOpenError(file, reasonOf(err, 'file'), err);
  }
  const intake = intakeFileOf(file);
  try {
    if (existsSync(intake)) accessSync(intake, constants.W_OK);
  } catch (err) {
    throw new StoreOpenError(intake, reasonOf(err, 'file'), err);
  }
  try {
    // SQLite creates the files at open (the intake file at ATTACH), so their inodes are known from here on.
    const db = new Database(file) as unknown as SyncSqlite;
    let checks: (() => void)[] = [];
    const wrapped = wrapSyncSqlite(db, { check: () => checks.forEach((c) => c()), attach: [{ schema: INTAKE_SCHEMA, file: intake }], ...opts });
    checks = [sameFileCheck(file), sameFileCheck(intake)];
    return wrapped;
  } catch (err) {
    throw new StoreOpenError(file, directoryReason(dir, err), err);
  }
}
