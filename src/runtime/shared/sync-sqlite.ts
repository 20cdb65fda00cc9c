/**
 * @module The SqlDb port over a synchronous SQLite driver (better-sqlite3, bun:sqlite, node:sqlite):
 * WAL and secure_delete pragmas, a prepared-statement cache, and `batch` as one IMMEDIATE transaction.
 */
import type { SqlDb, SqlStatement, SqlValue } from '../../ports.js';

/** What tagrelay needs of a synchronous driver's statement. */
export interface SyncStatement {
  run(...params: SqlValue[]): { changes: number | bigint };
  all(...params: SqlValue[]): unknown[];
  get(...params: SqlValue[]): unknown;
}

/** What tagrelay needs of a synchronous driver's connection. */
export interface SyncSqlite {
  exec(sql: string): void;
  prepare(sql: string): SyncStatement;
  close(): void;
}

/** What a runtime may add around a connection. */
export interface SyncSqliteOptions {
  /**
   * Runs before every write (`run`, `batch`, `exec`: one call per commit, not per statement) and
   * throws when the store must not be written, e.g. the file was deleted or replaced under the open
   * connection, where SQLite would keep writing into the unlinked inode and lose it all at restart.
   */
  check?: () => void;
  /**
   * WAL pages after which a commit on this connection checkpoints (SQLite's default: 1000). The
   * accepting connection of a server that delivers on a thread raises it, so the delivery thread's
   * commits do the checkpoints (copying the WAL into the file) instead of stalling requests.
   */
  autoCheckpoint?: number;
  /**
   * Never wait for the write lock inside a call: a write that finds it taken (SQLITE_BUSY) is retried
   * after a timer instead of sleeping in SQLite's busy handler, which would stall every request of a
   * synchronous driver's event loop while another thread (the delivery thread) commits.
   */
  yieldOnBusy?: boolean;
  /**
   * Files attached under a schema name (`ATTACH file AS schema`) before anything else, each in WAL
   * mode. With attachments a transaction is DEFERRED: it locks only the files it writes, so a commit
   * to one file never waits for a writer of another (BEGIN IMMEDIATE would lock every attached file).
   */
  attach?: readonly { schema: string; file: string }[];
}

/** How long a yielding write keeps retrying a taken write lock before it fails. */
const BUSY_GIVE_UP_MS = 5000;

const isBusy = (err: unknown): boolean => /SQLITE_BUSY|database is locked/i.test(`${(err as { code?: string }).code ?? ''} ${(err as Error)?.message ?? err}`);

/**
 * Wrap an open connection. `get` maps a driver's `null` (bun:sqlite) to `undefined`.
 *
 * @example
 * const db = wrapSyncSqlite(new Database(file), { check: () => assertSameFile(file) })
 */
export function wrapSyncSqlite(db: SyncSqlite, options: SyncSqliteOptions = {}): SqlDb {
  const check = options.check ?? (() => undefined);
  const attach = options.attach ?? [];
  for (const a of attach) db.exec(`ATTACH DATABASE '${a.file.replace(/'/g, "''")}' AS ${a.schema}`);
  db.exec(`PRAGMA busy_timeout = ${options.yieldOnBusy ? 0 : 5000}`);
  for (const schema of ['main', ...attach.map((a) => a.schema)]) {
    db.exec(`PRAGMA ${schema}.journal_mode = WAL`);
    // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash may lose the last commits.
    db.exec(`PRAGMA ${schema}.synchronous = NORMAL`);
    // Deleted rows (purged, erased on a data-subject request) are overwritten with zeros instead of
    // staying readable in free page space and on the freelist of the file and its backups.
    db.exec(`PRAGMA ${schema}.secure_delete = ON`);
  }
  const begin = attach.length > 0 ? 'BEGIN DEFERRED' : 'BEGIN IMMEDIATE';
  if (options.autoCheckpoint !== undefined) db.exec(`PRAGMA wal_autocheckpoint = ${Math.max(0, Math.floor(options.autoCheckpoint))}`);
  const cache = new Map<string, SyncStatement>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  // The statements run synchronously, so nothing interleaves inside the transaction. BEGIN/COMMIT
  // are prepared once: exec() parses its SQL on every call (7% of ingest CPU in a profile).
  const runAll = (statements: readonly SqlStatement[]): number[] => {
    const changes: number[] = new Array(statements.length);
    prepare(begin).run();
    try {
      for (let i = 0; i < statements.length; i++) {
        const s = statements[i]!;
        changes[i] = Number(prepare(s.sql).run(...((s.params ?? []) as SqlValue[])).changes);
      }
      prepare('COMMIT').run();
    } catch (err) {
      // A failed COMMIT (disk full) may already have ended the transaction: the rollback is best effort,
      // and the statement's own error is the one reported.
      try {
        prepare('ROLLBACK').run();
      } catch {
        /* no transaction left to roll back */
      }
      throw err;
    }
    return changes;
  };
  /** Run a write; with `yieldOnBusy`, a taken lock is waited for on timers (1, 2, 4 … 16 ms apart). */
  const write = async <T>(fn: () => T): Promise<T> => {
    if (!options.yieldOnBusy) {
      // A deferred transaction that read a file before writing it fails at once with
      // SQLITE_BUSY_SNAPSHOT when another connection wrote that file meanwhile: run it again.
      for (let tries = 1; ; tries++) {
        try {
          return fn();
        } catch (err) {
          if (tries >= 5 || (err as { code?: string }).code !== 'SQLITE_BUSY_SNAPSHOT') throw err;
        }
      }
    }
    const started = Date.now();
    for (let wait = 1; ; wait = Math.min(16, wait * 2)) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() - started > BUSY_GIVE_UP_MS) throw err;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
  let open = true;
  return {
    async exec(sql) {
      check();
      await write(() => db.exec(sql));
    },
    async run(sql, params = []) {
      check();
      return write(() => ({ changes: Number(prepare(sql).run(...params).changes) }));
    },
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return (prepare(sql).get(...params) ?? undefined) as T | undefined;
    },
    async batch(statements) {
      if (statements.length === 0) return [];
      check();
      return write(() => runAll(statements));
    },
    async close() {
      if (open) db.close();
      open = false;
    },
  };
}
