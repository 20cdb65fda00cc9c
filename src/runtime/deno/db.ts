/**
 * @module The embedded store on Deno: node:sqlite (DatabaseSync) in WAL mode, behind the SqlDb port
 * (mirrors runtime/node/db.ts).
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { SqlDb, SqlStatement, SqlValue } from '../../ports.js';

/**
 * Open (creating if needed) a SQLite file. Prepared statements are cached by SQL text.
 *
 * @example
 * const db = openNodeSqlite('./data/tagrelay.db')
 */
export function openNodeSqlite(file: string): SqlDb {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new DatabaseSync(file);
  db.exec('PRAGMA journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash (kill -9); only an OS crash may lose the last commits.
  db.exec('PRAGMA synchronous = NORMAL');
  db.exec('PRAGMA busy_timeout = 5000');
  const cache = new Map<string, StatementSync>();
  const prepare = (sql: string) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = db.prepare(sql);
      cache.set(sql, stmt);
    }
    return stmt;
  };
  // node:sqlite has no transaction helper; the statements run synchronously, so nothing interleaves.
  const runAll = (statements: readonly SqlStatement[]) => {
    db.exec('BEGIN IMMEDIATE');
    try {
      for (const s of statements) prepare(s.sql).run(...((s.params ?? []) as SqlValue[]));
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      throw err;
    }
  };
  return {
    async exec(sql) {
      db.exec(sql);
    },
    async run(sql, params = []) {
      return { changes: Number(prepare(sql).run(...params).changes) };
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
      if (db.isOpen) db.close();
    },
  };
}
