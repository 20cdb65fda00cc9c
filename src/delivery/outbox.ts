/**
 * @module The durable outbox: rows are committed before the browser gets its 202, in grouped transactions.
 */
import type { SqlDb, SqlStatement } from '../ports.js';

/** One mapped payload waiting for its destination. */
export interface OutboxRow {
  destination_id: string;
  event_id: string;
  payload: unknown;
  created_at: number;
}

/** A routing decision that sent nothing (dropped by consent, skipped by the mapper). */
export interface DecisionRow {
  destination_id: string;
  event_id: string;
  status: 'dropped' | 'skipped' | 'queued' | 'delivered';
  reasons: string[];
  at: number;
}

/**
 * Collects the writes of concurrent requests for one event-loop turn and commits them in a single
 * transaction, so durability does not cost a transaction per request.
 */
export interface Outbox {
  /** Resolves once the rows are durable; rejects when the store cannot take them. */
  enqueue(rows: OutboxRow[], decisions: DecisionRow[], extra?: SqlStatement[]): Promise<void>;
  /** Commit whatever is pending now. */
  flush(): Promise<void>;
}

const INSERT_OUTBOX =
  'INSERT INTO outbox (destination_id, event_id, payload, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, 0, ?)';
const UPSERT_DECISION =
  'INSERT INTO delivery_log (event_id, destination_id, status, attempts, reasons, updated_at) VALUES (?, ?, ?, 0, ?, ?) ' +
  'ON CONFLICT (event_id, destination_id) DO UPDATE SET status = excluded.status, reasons = excluded.reasons, updated_at = excluded.updated_at';

/** Statements that store rows and decisions. */
export function outboxStatements(rows: OutboxRow[], decisions: DecisionRow[]): SqlStatement[] {
  const out: SqlStatement[] = [];
  for (const r of rows) {
    out.push({ sql: INSERT_OUTBOX, params: [r.destination_id, r.event_id, JSON.stringify(r.payload), r.created_at, r.created_at] });
  }
  for (const d of decisions) {
    out.push({ sql: UPSERT_DECISION, params: [d.event_id, d.destination_id, d.status, JSON.stringify(d.reasons), d.at] });
  }
  return out;
}

/**
 * @example
 * const outbox = createOutbox(db, () => worker.wake())
 * await outbox.enqueue(rows, decisions)
 */
export function createOutbox(db: SqlDb, onCommit: () => void, schedule: (fn: () => void) => void): Outbox {
  let pending: { statements: SqlStatement[]; resolve(): void; reject(err: unknown): void }[] = [];
  let scheduled = false;
  let committing: Promise<void> = Promise.resolve();

  async function commit(): Promise<void> {
    scheduled = false;
    const group = pending;
    pending = [];
    if (group.length === 0) return;
    try {
      await db.batch(group.flatMap((g) => g.statements));
      for (const g of group) g.resolve();
      onCommit();
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }

  return {
    enqueue(rows, decisions, extra = []) {
      const statements = outboxStatements(rows, decisions);
      statements.push(...extra);
      if (statements.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        pending.push({ statements, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          schedule(() => {
            committing = committing.then(commit);
          });
        }
      });
    },
    flush() {
      committing = committing.then(commit);
      return committing;
    },
  };
}
