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
 * Send items again (by ids, or every item of a destination): each becomes a due retry with fresh
 * attempts, and delivery decides its payload again from the event's record — so a replay after a
 * configuration fix sends the fixed payload. Returns how many were requeued; a dead letter whose
 * record is gone (retention) cannot be replayed and stays.
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
  where = `${where} AND seq IN (SELECT seq FROM records)`;
  const row = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM dead_letter WHERE ${where}`, params);
  await db.batch([
    {
      sql:
        'INSERT INTO delivery_retry (destination_id, seq, event_id, attempts, next_attempt_at, first_attempt_at, last_error) ' +
        `SELECT destination_id, seq, event_id, 0, ?, ?, 'replayed' FROM dead_letter WHERE ${where} ` +
        'ON CONFLICT (destination_id, seq) DO UPDATE SET attempts = 0, next_attempt_at = excluded.next_attempt_at',
      params: [now, now, ...params],
    },
    { sql: `DELETE FROM dead_letter WHERE ${where}`, params },
  ]);
  return row?.n ?? 0;
}
