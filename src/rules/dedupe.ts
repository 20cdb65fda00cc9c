/**
 * @module Dedupe by event_id. The durable window is the store itself (a record's `event_id` is
 * UNIQUE, so an id accepted before a restart is still a duplicate after it); this module is the
 * bounded in-memory front that answers repeats without a store round trip, and makes a duplicate
 * wait for its original's commit: a duplicate is acknowledged only once the original is durable.
 */
import { LRUCache } from 'lru-cache';

/** What is known of an id: stored (`true`), or its commit in flight (resolves `true` once durable). */
export type Seen = true | Promise<boolean>;

/** Remembers recent event ids, at most `maxIds` of them, for `windowMs`. */
export interface Deduper {
  /** What is known of the id, or undefined when it was not seen recently. */
  lookup(eventId: string): Seen | undefined;
  /** Note that the id is being committed; it is remembered when `durable` resolves true, forgotten when false. */
  committing(eventId: string, durable: Promise<boolean>): void;
  readonly size: number;
}

/**
 * @example
 * const dedupe = createDeduper({ windowMs: 86_400_000, maxIds: 50_000, now: Date.now })
 */
export function createDeduper(opts: { windowMs: number; maxIds: number; now: () => number }): Deduper {
  // maxSize (not max): lru-cache preallocates `max` slots up front; counting each id as size 1 gives
  // the same bound with storage that grows as ids arrive.
  const cache = new LRUCache<string, Seen>({
    maxSize: opts.maxIds,
    sizeCalculation: () => 1,
    ttl: opts.windowMs,
    ttlAutopurge: false,
    // Read the clock on every check: with the default (1 ms) lru-cache reuses its last "now" until a
    // timer fires, and an expiry right after a clock jump would be missed.
    ttlResolution: 0,
    perf: { now: opts.now },
  });
  return {
    lookup(eventId) {
      return cache.get(eventId);
    },
    committing(eventId, durable) {
      cache.set(eventId, durable);
      durable.then(
        (ok) => {
          // Only the entry this commit put there is settled (a later commit may have replaced it).
          if (cache.get(eventId) !== durable) return;
          if (ok) cache.set(eventId, true);
          else cache.delete(eventId);
        },
        () => {
          if (cache.get(eventId) === durable) cache.delete(eventId);
        },
      );
    },
    get size() {
      return cache.size;
    },
  };
}
