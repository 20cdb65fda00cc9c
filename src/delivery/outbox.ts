/**
 * @module The group commit of accepted records: the records of concurrent requests are collected for
 * one event-loop turn and committed in one transaction, so durability does not cost a transaction
 * per request. The browser gets its 202 only after this commit.
 */
import type { SqlDb, SqlStatement } from '../ports.js';
import { insertRecordStatement, type EventRecord } from './record.js';
import { createGroupCommit } from './group-commit.js';

/** The writer of the record log. */
export interface Outbox {
  /**
   * Store records (and extra statements) in the next group commit. Resolves once durable, with one
   * flag per record: true when it was new, false when its event id was already stored (a duplicate).
   * Rejects when the store cannot take them: then nothing of the group was stored.
   */
  append(records: readonly EventRecord[], extra?: readonly SqlStatement[]): Promise<boolean[]>;
  /** Commit whatever is pending now. */
  flush(): Promise<void>;
}

interface Pending {
  statements: SqlStatement[];
  records: readonly EventRecord[];
  resolve(inserted: boolean[]): void;
  reject(err: unknown): void;
}

/**
 * @example
 * const outbox = createOutbox(db, () => worker.wake(), setImmediate)
 * const inserted = await outbox.append(records)
 */
export function createOutbox(
  db: SqlDb,
  onCommit: (stored: readonly EventRecord[]) => void,
  schedule: (fn: () => void) => void,
  alongside: () => SqlStatement[] = () => [],
): Outbox {
  async function commit(group: Pending[]): Promise<void> {
    const statements: SqlStatement[] = [];
    for (const g of group) for (const s of g.statements) statements.push(s);
    for (const s of alongside()) statements.push(s);
    try {
      const changes = await db.batch(statements);
      const stored: EventRecord[] = [];
      let at = 0;
      for (const g of group) {
        const inserted = changes.slice(at, at + g.records.length).map((n) => n > 0);
        inserted.forEach((isNew, i) => isNew && stored.push(g.records[i]!));
        g.resolve(inserted);
        at += g.statements.length;
      }
      onCommit(stored);
    } catch (err) {
      for (const g of group) g.reject(err);
    }
  }
  const groups = createGroupCommit(commit, schedule);

  return {
    append(records, extra = []) {
      const statements = records.map(insertRecordStatement);
      for (const s of extra) statements.push(s);
      if (statements.length === 0) return Promise.resolve([]);
      return new Promise<boolean[]>((resolve, reject) => groups.add({ statements, records, resolve, reject }));
    },
    flush: () => groups.flush(),
  };
}
