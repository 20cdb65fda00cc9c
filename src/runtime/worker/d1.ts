/**
 * @module The store on Cloudflare Workers: a D1 binding behind the SqlDb port.
 * https://developers.cloudflare.com/d1/worker-api/
 */
import type { SqlDb, SqlValue } from '../../ports.js';

/** The slice of D1's prepared statement tagrelay uses (@cloudflare/workers-types is not installed). */
export interface D1PreparedStatement {
  bind(...values: SqlValue[]): D1PreparedStatement;
  run(): Promise<{ meta: { changes: number } }>;
  all<T>(): Promise<{ results: T[] }>;
  first<T>(): Promise<T | null>;
}

/** The slice of a D1 binding tagrelay uses. */
export interface D1Database {
  prepare(sql: string): D1PreparedStatement;
  /** Runs the statements as one transaction (all or none). */
  batch(statements: D1PreparedStatement[]): Promise<unknown[]>;
}

/**
 * Adapt a D1 binding. Prepared statements are cached by SQL text; `bind` returns a fresh copy each time.
 *
 * @example
 * const db = d1SqlDb(env.DB)
 */
export function d1SqlDb(d1: D1Database): SqlDb {
  const cache = new Map<string, D1PreparedStatement>();
  const prepare = (sql: string, params: readonly SqlValue[] = []) => {
    let stmt = cache.get(sql);
    if (!stmt) {
      stmt = d1.prepare(sql);
      cache.set(sql, stmt);
    }
    return params.length > 0 ? stmt.bind(...params) : stmt;
  };
  return {
    // D1's own exec() splits on newlines; the schema's statements span lines, so run each as one statement.
    async exec(sql) {
      await d1.prepare(sql).run();
    },
    async run(sql, params) {
      const r = await prepare(sql, params).run();
      return { changes: r.meta.changes };
    },
    async all<T>(sql: string, params?: readonly SqlValue[]) {
      return (await prepare(sql, params).all<T>()).results;
    },
    async get<T>(sql: string, params?: readonly SqlValue[]) {
      return (await prepare(sql, params).first<T>()) ?? undefined;
    },
    async batch(statements) {
      if (statements.length === 0) return [];
      const results = (await d1.batch(statements.map((s) => prepare(s.sql, s.params)))) as { meta?: { changes?: number } }[];
      return results.map((r) => r?.meta?.changes ?? 0);
    },
    async close() {},
  };
}
