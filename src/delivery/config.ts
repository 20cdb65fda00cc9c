/**
 * @module Delivery configuration: retries, backoff, dead-letter thresholds, polling.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';

/** The `delivery` section of the config. */
export const deliveryConfigSchema = z
  .object({
    max_attempts: z.number().int().min(1).default(10),
    max_age: duration.prefault('24h'),
    backoff_base: duration.prefault('1s'),
    backoff_max: duration.prefault('10m'),
    /** How often the worker looks for due items when nothing woke it. */
    poll_interval: duration.prefault('1s'),
    /** On shutdown, keep delivering due items for at most this long before closing the store. */
    shutdown_drain: duration.prefault('5s'),
    /**
     * Node server: deliver on a worker thread over the same store, so accepting and delivering use
     * separate cores and delivery never stalls a request. Other runtimes deliver in their event loop.
     */
    thread: z.boolean().default(true),
    /**
     * Linux: the delivery thread's nice value (0–19). Above 0, answering requests gets the CPU first
     * when both want it: a burst is accepted at full speed and sits in the durable outbox, and
     * delivery catches up as soon as requests leave a core idle. 0 shares the CPU equally.
     */
    thread_nice: z.number().int().min(0).max(19).default(10),
    /** Items claimed per destination per round. */
    claim_batch: z.number().int().min(1).max(5000).default(500),
    /** Per-destination circuit breaker: after `failures` failed sends in a row, stop sending for a cooldown. */
    breaker: z
      .object({
        failures: z.number().int().min(1).default(5),
        /** First cooldown; doubles after each failed probe. */
        cooldown: duration.prefault('5s'),
        /** Longest exponential cooldown; a vendor's longer Retry-After still wins. */
        max_cooldown: duration.prefault('5m'),
      })
      .prefault({}),
  })
  .prefault({});

/** Delivery settings after defaults. */
export type DeliveryConfig = z.infer<typeof deliveryConfigSchema>;
