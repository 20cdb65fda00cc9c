/**
 * @module The delivery source: where the worker claims work and records outcomes. The embedded store's
 * implementation (a cursor per destination over the `records` table, `delivery_retry` rows, one
 * settle transaction) lives here; a clustered store (src/store/redis) implements the same contract.
 */
import type { SqlDb, SqlStatement } from '../ports.js';
import type { DeliveryConfig } from './config.js';
import type { RecordRow } from './record.js';
import { addCounts, settleStatements, type DeliveryItem, type ItemOutcome, type SettleCounts } from './settle.js';

/** A record row as the source hands it to the worker. `seq` orders records within this process. */
export type SourceRow = RecordRow & { event_id: string; received_at: number; attempts?: number; settled?: number };

/** What one destination settles in one commit. */
export interface DestinationSettlement {
  destinationId: string;
  done: readonly { item: DeliveryItem; outcome: ItemOutcome }[];
  /** Every record up to here is settled or waits for a retry (the embedded store's cursor). */
  cursor: number;
  /** Statements for the embedded store that commit with the outcomes (the embedded warehouse's rows). */
  local: readonly SqlStatement[];
  /** An open breaker: retries wait at least until then. */
  resumeAt?: number;
  /** What this destination's outcomes counted (filled by `settle`, also added to its `counts`). */
  counted: SettleCounts;
}

/** The settings settlement decides with. */
export interface SettleOptions {
  now: number;
  config: DeliveryConfig;
  random: () => number;
  configVersion?: string;
}

/** Where delivery work comes from and where its outcomes go. */
export interface DeliverySource {
  /** Prepare each destination; resolves with each destination's saved cursor. */
  start(destinationIds: readonly string[]): Promise<Map<string, number>>;
  /** Retries due now for one destination, oldest due first, at most `limit`. */
  due(destinationId: string, now: number, limit: number): Promise<SourceRow[]>;
  /** Records this destination has not claimed yet (past `after`), in log order, at most `limit`. */
  next(destinationId: string, after: number, limit: number): Promise<SourceRow[]>;
  /** Record outcomes of every destination together; rejects when nothing could be recorded. Updates `counts`. */
  settle(batches: readonly DestinationSettlement[], opts: SettleOptions, counts: SettleCounts): Promise<void>;
  /** Housekeeping from the slow loop; `settled` is the lowest cursor over the destinations. */
  sweep(settled: number): Promise<void>;
}

/**
 * Records past the cursor; `settled` marks those settled before a restart (skipped, never resent).
 * Only records accepted before this start can have been settled ahead of the cursor: past that
 * point the plain query is used.
 */
const SELECT_RECORDS_AFTER_RESTART =
  'SELECT r.seq, r.event_id, r.received_at, r.ip, r.user_agent, r.data, ' +
  'EXISTS (SELECT 1 FROM delivery_log d WHERE d.event_id = r.event_id AND d.destination_id = ?) AS settled FROM records r WHERE r.seq > ? ORDER BY r.seq LIMIT ?';
const SELECT_RECORDS = 'SELECT seq, event_id, received_at, ip, user_agent, data, ? IS NULL AS settled FROM records WHERE seq > ? ORDER BY seq LIMIT ?';
const SELECT_DUE =
  'SELECT t.seq, t.attempts, r.event_id, r.received_at, r.ip, r.user_agent, r.data FROM delivery_retry t JOIN records r ON r.seq = t.seq ' +
  'WHERE t.destination_id = ? AND t.next_attempt_at <= ? ORDER BY t.next_attempt_at LIMIT ?';
/**
 * IP and User-Agent are kept only until every destination has settled the record: nulled once all
 * cursors passed it and it waits in no retry or dead letter (which may still send it).
 */
const SWEEP_NET =
  'UPDATE records SET ip = NULL, user_agent = NULL WHERE (ip IS NOT NULL OR user_agent IS NOT NULL) AND seq <= ? ' +
  'AND NOT EXISTS (SELECT 1 FROM delivery_retry t WHERE t.seq = records.seq) AND NOT EXISTS (SELECT 1 FROM dead_letter l WHERE l.seq = records.seq)';
const SAVE_CURSOR = 'INSERT INTO delivery_cursor (destination_id, seq) VALUES (?, ?) ON CONFLICT (destination_id) DO UPDATE SET seq = excluded.seq';

/**
 * The delivery cursor of each destination, created where missing: a destination added to an existing
 * store starts with the records accepted from now on. Runs before the first accept (a delivery
 * thread may start after it), so no record falls before a new cursor unseen. `max`: the last record.
 */
export async function openCursors(db: SqlDb, ids: readonly string[]): Promise<{ cursors: Map<string, number>; max: number }> {
  const saved = await db.all<{ destination_id: string; seq: number }>('SELECT destination_id, seq FROM delivery_cursor');
  const max = (await db.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM records'))?.seq ?? 0;
  const cursors = new Map(saved.map((r) => [r.destination_id, r.seq]));
  const fresh = ids.filter((id) => !cursors.has(id));
  if (fresh.length > 0) await db.batch(fresh.map((id) => ({ sql: SAVE_CURSOR, params: [id, max] })));
  for (const id of fresh) cursors.set(id, max);
  return { cursors, max };
}

/**
 * The embedded store as delivery source: one transaction settles every destination's outcomes with
 * its cursor.
 *
 * @example
 * const worker = createWorker({ ...deps, source: createSqlSource(db) })
 */
export function createSqlSource(db: SqlDb): DeliverySource {
  /** The last record accepted before this start (records after it cannot have been settled yet). */
  let restartSeq = 0;
  return {
    async start(ids) {
      const { cursors, max } = await openCursors(db, ids);
      restartSeq = max;
      return cursors;
    },
    due(id, now, limit) {
      return db.all<SourceRow>(SELECT_DUE, [id, now, limit]);
    },
    next(id, after, limit) {
      return db.all<SourceRow>(after < restartSeq ? SELECT_RECORDS_AFTER_RESTART : SELECT_RECORDS, [id, after, limit]);
    },
    async settle(batches, opts, counts) {
      const statements: SqlStatement[] = [];
      for (const b of batches) {
        for (const s of b.local) statements.push(s);
        for (const s of settleStatements(b.destinationId, b.done, { ...opts, resumeAt: b.resumeAt }, b.counted)) statements.push(s);
        addCounts(counts, b.counted);
        statements.push({ sql: SAVE_CURSOR, params: [b.destinationId, b.cursor] });
      }
      if (statements.length > 0) await db.batch(statements);
    },
    async sweep(settled) {
      await db.run(SWEEP_NET, [settled]);
    },
  };
}
