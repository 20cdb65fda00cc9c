/**
 * @module What the delivery worker tells an observer (metrics, the live debug stream): each decision,
 * each vendor call, each committed settlement. Optional: without one, the worker does nothing extra.
 */
import type { FetchLike } from '../ports.js';
import type { SendResult } from '../destinations/types.js';
import type { DeliveryItem, ItemOutcome, SettleCounts } from './settle.js';

/** One settled item. */
export interface Settled {
  item: DeliveryItem;
  outcome: ItemOutcome;
}

/** Callbacks from the delivery worker. Each must be cheap and must not throw. */
export interface DeliveryObserver {
  /** An item was claimed and `decide()` ran for it. */
  decided(destinationId: string, item: DeliveryItem): void;
  /** The fetch one vendor call goes through; undefined keeps the worker's (only traced batches wrap it). */
  fetchFor?(destinationId: string, items: readonly DeliveryItem[], fetch: FetchLike): FetchLike | undefined;
  /** A vendor call returned (or threw, as retries): round trip in ms. */
  sent(destinationId: string, items: readonly DeliveryItem[], result: SendResult, ms: number): void;
  /** Outcomes of one destination were committed: what this settlement counted, and the items. */
  settled(destinationId: string, delta: SettleCounts, done: readonly Settled[], now: number): void;
}

/** Several observers as one (undefined when none). */
export function combineObservers(list: readonly (DeliveryObserver | undefined)[]): DeliveryObserver | undefined {
  const all = list.filter((o): o is DeliveryObserver => o !== undefined);
  if (all.length <= 1) return all[0];
  return {
    decided: (d, i) => all.forEach((o) => o.decided(d, i)),
    fetchFor(d, items, fetch) {
      let out: FetchLike | undefined;
      for (const o of all) out = o.fetchFor?.(d, items, out ?? fetch) ?? out;
      return out;
    },
    sent: (d, i, r, ms) => all.forEach((o) => o.sent(d, i, r, ms)),
    settled: (d, delta, done, now) => all.forEach((o) => o.settled(d, delta, done, now)),
  };
}

/** What a settlement added to the counts (`after` minus `before`). */
export function settledSince(before: SettleCounts, after: SettleCounts): SettleCounts {
  return { delivered: after.delivered - before.delivered, retried: after.retried - before.retried, dead: after.dead - before.dead, decided: after.decided - before.decided };
}
