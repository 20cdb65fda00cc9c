/**
 * @module Dedupe by event_id within a window (lru-cache): duplicates are acknowledged, not processed again.
 */
import { LRUCache } from 'lru-cache';

/** Remembers event ids for `windowMs`, at most `maxIds` of them. */
export interface Deduper {
  /** True when the id was seen within the window (and so is a duplicate); records it otherwise. */
  seen(eventId: string): boolean;
  /** Forget ids whose events could not be stored, so the client's retry is processed. */
  forget(eventIds: readonly string[]): void;
  readonly duplicates: number;
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
