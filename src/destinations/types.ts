/**
 * @module The destination contract: config schema, required purposes, a pure `map`, and `send`.
 */
import { z } from 'zod';
import type { Event } from '../event.js';
import type { Purpose } from '../consent/purposes.js';
import type { FetchLike, Logger, PostgresPort, SqlDb, SqlStatement } from '../ports.js';
import { destinationPrivacySchema } from '../privacy/config.js';
import { PURPOSES } from '../consent/purposes.js';
import type { WarehouseStore } from './warehouse.js';

/**
 * What happens to one event at one destination — the one vocabulary for a route decision, used by
 * the gate, minimization, `map`, delivery, explain and the decision records:
 * - `send`: every required purpose granted, the full (minimized) payload goes;
 * - `anonymize`: sent without user data or stable ids (IP truncated, click ids removed);
 * - `cookieless`: sent without any client id, session or vendor cookie;
 * - `drop`: nothing goes (consent);
 * - `skip`: nothing goes (the destination cannot use this event, with its reason).
 */
export type RouteAction = 'send' | 'anonymize' | 'cookieless' | 'drop' | 'skip';

/** The route action when a destination's required purposes are not all granted (`when_denied`). */
export const whenDeniedSchema = z.enum(['drop', 'anonymize', 'cookieless']);
export type WhenDenied = z.infer<typeof whenDeniedSchema>;

/** The actions under which a payload is sent. */
export type SendAction = Extract<RouteAction, 'send' | 'anonymize' | 'cookieless'>;

/** Fields every destination entry has. */
export const baseDestinationSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'expected a lower-case id of letters, digits, _ or -'),
  enabled: z.boolean().default(true),
  /** Overrides the vendor's base URL (EU endpoints, proxies, tests). */
  endpoint: z.url().optional(),
  /** Purposes that must be granted; unset: the destination type's default. */
  requires: z.array(z.enum(PURPOSES)).optional(),
  when_denied: whenDeniedSchema.optional(),
  /** This vendor's IAB TCF vendor id, checked when a TC string is present. */
  tcf_vendor_id: z.number().int().positive().optional(),
  privacy: destinationPrivacySchema,
  batch: z
    .object({
      max_events: z.number().int().min(1).optional(),
      max_wait_ms: z.number().int().min(0).optional(),
    })
    .prefault({}),
  /** Most requests in flight to this destination at once (unset: the kind's default, e.g. 64 for GA4). */
  max_in_flight: z.number().int().min(1).max(1024).optional(),
});
export type BaseDestinationConfig = z.infer<typeof baseDestinationSchema>;

/** What `map` learns besides the event: the gate's action and its reasons. */
export interface MapContext {
  action: SendAction;
  reasons: string[];
}

/**
 * A mapped per-event payload, or a refusal with a reason (recorded, never silent).
 * `notes` lists reason codes for changes `map` made on the way (a truncated value, a dropped param).
 */
export type MapResult<P> = { payload: P; notes?: string[] } | { skip: string };

/** One item handed to `send`: a decided payload of one event record (`id` is the record's sequence number). */
export interface OutboxItem<P> {
  id: number;
  event_id: string;
  payload: P;
  attempts: number;
  created_at: number;
}

/** Per-item outcome of a send. Items not listed anywhere count as retryable failures. */
export interface SendResult {
  delivered: number[];
  retry: { id: number; error: string; retry_after_ms?: number }[];
  failed: { id: number; error: string }[];
}

/** I/O a destination may use; tests hand in fakes. */
export interface SendContext {
  fetch: FetchLike;
  now(): number;
  log: Logger;
  db: SqlDb;
  /** PostgreSQL pools, when the runtime has them. */
  postgres?: PostgresPort;
  /**
   * Run one request under the destination's in-flight limit (`max_in_flight`). A destination that
   * sends several requests per batch runs them concurrently through this, never one after another.
   */
  limit<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * A destination kind.
 *
 * @example
 * export const ga4 = defineDestination({ type: 'ga4', configSchema, requires: ['analytics_storage'], map, send })
 */
export interface Destination<C extends BaseDestinationConfig = BaseDestinationConfig, P = unknown> {
  type: string;
  configSchema: z.ZodType<C>;
  /** Default required purposes. */
  requires: readonly Purpose[];
  /** Default when consent is missing. */
  whenDenied: WhenDenied;
  /** How the privacy stage prepares events for this kind: whose hashing rules, and the default IP policy. */
  privacy: { flavor: 'meta' | 'google' | 'warehouse'; ip: 'keep' | 'truncate' | 'drop' };
  /** Default batching: most events per `send`, and how long to wait to fill a batch. */
  batch: { maxEvents: number; maxWaitMs: number };
  /** Default most requests in flight at once (`max_in_flight`). */
  maxInFlight: number;
  /** Pure: the canonical event (already minimized for this destination) → this vendor's per-event payload. */
  map(event: Event, config: C, ctx: MapContext): MapResult<P>;
  /**
   * For destinations in the embedded store itself: the statements that store a payload, run in the
   * transaction that settles the batch (so the row and the delivery state commit together: exactly once).
   */
  local?(payload: P, config: C): SqlStatement[];
  /** I/O: deliver a batch; classify each item. */
  send(batch: OutboxItem<P>[], config: C, ctx: SendContext): Promise<SendResult>;
  /** Warehouses outside the embedded store: retention and data-subject erasure in their own table. */
  warehouse?: WarehouseStore<C>;
}

/** Identity helper that keeps the config type tied to the schema. */
export function defineDestination<C extends BaseDestinationConfig, P>(d: Destination<C, P>): Destination<C, P> {
  return d;
}
