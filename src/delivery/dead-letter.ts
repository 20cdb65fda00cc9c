/**
 * @module The dead-letter store: list, inspect and replay items that could not be delivered.
 */
import type { SqlDb, SqlValue } from '../ports.js';

/** One dead-lettered item (its payload is the already-minimized vendor payload). */
export interface DeadLetter {
  id: number;
  destination_id: string;
  event_id: string;
  reason: string;
  attempts: number;
  created_at: number;
  failed_at: number;
  payload?: unknown;
}

/** Newest first; without payloads. */
export async function listDeadLetters(db: SqlDb, opts: { destination?: string; limit?: number; offset?: number } = {}): Promise<DeadLetter[]> {
  const where = opts.destination ? 'WHERE destination_id = ?' : '';
  const params: SqlValue[] = opts.destination ? [opts.destination] : [];
  return db.all<DeadLetter>(
    `SELECT id, destination_id, event_id, reason, attempts, created_at, failed_at FROM dead_letter ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
    [...params, Math.min(opts.limit ?? 100, 1000), opts.offset ?? 0],
  );
}

/** One item with its payload. */
export async function getDeadLetter(db: SqlDb, id: number): Promise<DeadLetter | undefined> {
  const row = await db.get<DeadLetter & { payload: string }>('SELECT * FROM dead_letter WHERE id = ?', [id]);
  return row ? { ...row, payload: JSON.parse(row.payload) } : undefined;
}

/**
 * Move items back to the outbox with fresh attempts (by ids, or every item of a destination).
 * Returns how many were requeued.
 */
export async function replayDeadLetters(db: SqlDb, select: { ids?: number[]; destination?: string }, now: number): Promise<number> {
  let where: string;
  let params: SqlValue[];
  if (select.ids && select.ids.length > 0) {
    where = `id IN (${select.ids.map(() => '?').join(', ')})`;
    params = select.ids;
  } else if (select.destination) {
    where = 'destination_id = ?';
    params = [select.destination];
  } else {
    return 0;
  }
  const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM dead_letter WHERE ${where}`, params);
  await db.batch([
    {
      sql:
        'INSERT INTO outbox (destination_id, event_id, payload, created_at, attempts, next_attempt_at) ' +
        `SELECT destination_id, event_id, payload, ?, 0, ? FROM dead_letter WHERE ${where}`,
      params: [now, now, ...params],
    },
    { sql: `DELETE FROM dead_letter WHERE ${where}`, params },
  ]);
  return row?.n ?? 0;
}
