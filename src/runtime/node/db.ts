/**
 * @module The embedded store on Node: better-sqlite3 in WAL mode, behind the SqlDb port.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb, SqlStatement, SqlValue } from '../../ports.js';

/**
 * Open (creating if needed) a SQLite file. Prepared statements are cached by SQL text.
 *
 * @example
 * const db = openSqlite('./data/tagrelay.db')
 */
export function openSqlite(file: string): SqlDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash may lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  const cache = new Map<string, Database.Statement>();
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
  return {
    async exec(sql) {
      db.exec(sql);
    },
    async run(sql, params = []) {
      const r = prepare(sql).run(...params);
      return { changes: r.changes };
    },
    async all<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).all(...params) as T[];
    },
    async get<T>(sql: string, params: readonly SqlValue[] = []) {
      return prepare(sql).get(...params) as T | undefined;
    },
    async batch(statements) {
      if (statements.length > 0) runAll(statements);
    },
    async close() {
      if (db.open) db.close();
    },
  };
}
