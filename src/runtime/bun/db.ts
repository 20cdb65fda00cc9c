/**
 * @module The embedded store on Bun: bun:sqlite in WAL mode, behind the SqlDb port (mirrors runtime/node/db.ts).
 */
import { Database, type Statement } from 'bun:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb, SqlStatement, SqlValue } from '../../ports.js';

/**
 * Open (creating if needed) a SQLite file. Prepared statements are cached by SQL text.
 *
 * @example
 * const db = openBunSqlite('./data/tagrelay.db')
 */
export function openBunSqlite(file: string): SqlDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file, { create: true });
  db.exec('PRAGMA journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash may lose the last commits.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  const cache = new Map<string, Statement>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  const runAll = db.transaction((statements: readonly SqlStatement[]) => {
    for (const s of statements) prepare(s.sql).run(...((s.params ?? []) as SqlValue[]));
  });
  let open = true;
  return {
    async exec(sql) {
      db.exec(sql);
    },
    async run(sql, params = []) {
      return { changes: prepare(sql).run(...params).changes };
    },
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      // bun:sqlite answers a missing row with null; the port says undefined.
      return (prepare(sql).get(...params) ?? undefined) as T | undefined;
    },
    async batch(statements) {
      if (statements.length > 0) runAll(statements);
    },
    async close() {
      if (open) db.close();
      open = false;
    },
  };
}
