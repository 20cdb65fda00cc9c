/**
 * @module Dedupe by event_id within a window (lru-cache): duplicates are acknowledged, not processed again.
 * With `dedupe.store: sql` the ids are also kept in the store, shared by every process or isolate on it.
 */
import { LRUCache } from 'lru-cache';
import type { SqlDb } from '../ports.js';

/** Remembers event ids for `windowMs`, at most `maxIds` of them. */
export interface Deduper {
  /** True when the id was seen within the window (and so is a duplicate); records it otherwise. */
  seen(eventId: string): boolean | Promise<boolean>;
  /** Forget ids whose events could not be stored, so the client's retry is processed. */
  forget(eventIds: readonly string[]): void | Promise<void>;
  readonly duplicates: number;
}

/**
 * The in-memory deduper in front of a `dedupe` table: the first process or isolate to insert an id
 * wins (`INSERT OR IGNORE`), so instances sharing a store (Workers isolates on one D1) agree.
 * Rows older than the window are removed by the retention purge.
 *
 * @example
 * const dedupe = createSqlDeduper(db, { windowMs: 86_400_000, maxIds: 100_000, now: Date.now })
 */
export function createSqlDeduper(db: SqlDb, opts: { windowMs: number; maxIds: number; now: () => number }): Deduper {
  const local = createDeduper(opts);
  let duplicates = 0;
  return {
    async seen(eventId) {
      if (local.seen(eventId)) {
        duplicates++;
        return true;
      }
      const now = opts.now();
      // A row older than the window no longer counts: take it over.
      const r = await db.run('INSERT INTO dedupe (event_id, seen_at) VALUES (?, ?) ON CONFLICT (event_id) DO UPDATE SET seen_at = excluded.seen_at WHERE dedupe.seen_at < ?', [
        eventId,
        now,
        now - opts.windowMs,
      ]);
      if (r.changes === 0) duplicates++;
      return r.changes === 0;
    },
    async forget(eventIds) {
      local.forget(eventIds);
      if (eventIds.length === 0) return;
      await db.run(`DELETE FROM dedupe WHERE event_id IN (${eventIds.map(() => '?').join(', ')})`, eventIds).catch(() => undefined);
    },
    get duplicates() {
      return duplicates;
    },
  };
}

/**
 * @example
 * const dedupe = createDeduper({ windowMs: 86_400_000, maxIds: 1_000_000, now: Date.now })
 */
export function createDeduper(opts: { windowMs: number; maxIds: number; now: () => number }): Deduper {
  // maxSize (not max): lru-cache preallocates `max` slots up front (~230 ms and ~30 MB for 1M ids);
  // counting each id as size 1 gives the same bound with storage that grows as ids arrive.
  const cache = new LRUCache<string, true>({
    maxSize: opts.maxIds,
    sizeCalculation: () => 1,
    ttl: opts.windowMs,
    ttlAutopurge: false,
    perf: { now: opts.now },
  });
  let duplicates = 0;
  return {
    seen(eventId) {
      if (cache.has(eventId)) {
        duplicates++;
        return true;
      }
      cache.set(eventId, true);
      return false;
    },
    forget(eventIds) {
      for (const id of eventIds) cache.delete(id);
    },
    get duplicates() {
      return duplicates;
    },
  };
}
