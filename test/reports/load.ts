/** Bulk-load generated warehouse rows through the destinations' own insert statements. */
import type { SqlDb } from '../../src/ports.js';
import type { PgPool } from '../../src/ports.js';
import { sqlite, type EventRow } from '../../src/destinations/sqlite.js';
import { createTableSql, insertParams, insertSql, migrateTableSql } from '../../src/destinations/postgres.js';

/** Insert rows into the embedded warehouse with the sqlite destination's `local` statements. */
export async function loadSqlite(db: SqlDb, rows: readonly EventRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 5000) {
    await db.batch(rows.slice(i, i + 5000).flatMap((r) => sqlite.local!(r, { id: 'warehouse', type: 'sqlite' } as never)));
  }
}

/** Create the postgres destination's table (with its migration and indexes) and insert rows with its INSERT. */
export async function loadPostgres(pool: PgPool, where: { schema: string; table: string }, rows: readonly EventRow[]): Promise<void> {
  for (const sql of [createTableSql(where), ...migrateTableSql(where)]) await pool.query(sql);
  for (let i = 0; i < rows.length; i += 1000) {
    const chunk = rows.slice(i, i + 1000);
    await pool.query(insertSql(where, chunk.length), insertParams(chunk));
  }
}
