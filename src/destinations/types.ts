/**
 * @module The destination contract: config schema, required purposes, hashing rule, a pure `map`, `send`,
 * reason codes with their words, the identity keys erasure matches, and the documentation.
 */
import { z } from 'zod';
import type { Event } from '../event.js';
import type { Purpose } from '../consent/purposes.js';
import type { FetchLike, Logger, PostgresPort, SqlDb, SqlStatement } from '../ports.js';
import { destinationPrivacySchema } from '../privacy/config.js';
import { PURPOSES } from '../consent/purposes.js';
import type { WarehouseStore } from './warehouse.js';
import type { HashingRule, VendorIdKey } from '../privacy/hashing.js';
import type { CodePrefix, ReasonTable } from '../reasons/types.js';

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
 * Reason codes a destination writes, in words a privacy officer reads (DESIGN principle 3). The
 * catalog (src/reasons/catalog.ts) is built from these tables; a code a destination emits without
 * words fails the catalog test.
 */
export interface DestinationReasons {
  /** The code prefix every code of this destination starts with (`ga4` for `ga4.event_too_old`). */
  area: string;
  /** Who answers, in words (`Google Analytics`): delivery errors (`ga4.timeout after …`) are described with it. */
  vendor: string;
  /** Complete codes (without `:<argument>`) and their words. */
  codes: ReasonTable;
  /** Codes completed at run time (`ga4.http_` + `400`): the shape of the completion and its words. */
  prefixes?: Readonly<Record<string, CodePrefix>>;
  /** Codes followed by `:<token> <vendor text>` rather than `:<argument>` (the vendor text is never put into words). */
  detailCodes?: readonly string[];
}

/** Where a destination is documented: the vendor's API reference and our page (docs/destinations/<kind>.md). */
export interface DestinationDocs {
  /** The vendor's API reference (or the standard the destination implements). */
  vendor: string;
  /** Our page, relative to the repository root: `docs/destinations/<kind>.md`. */
  page: string;
}

/** What the privacy stage does for a destination kind. */
export interface PrivacyRules {
  /**
   * How the visitor's user data is prepared, once per event at accept: normalized and SHA-256'd by
   * this rule (a vendor's), or pseudonymized with the secret salt (the warehouse rule). Destinations
   * sharing a rule share its hashes.
   */
  hashing: HashingRule;
  /** Default IP policy (`privacy.ip` overrides it per destination). */
  ip: 'keep' | 'truncate' | 'drop';
  /**
   * Vendor cookies this destination receives, with full consent only (`fbp`, `fbc` for Meta, `ttp`
   * for TikTok). Every other destination's copy has them removed.
   */
  vendorIds?: readonly VendorIdKey[];
}

/**
 * A destination kind: everything about one vendor in its file. Registering it is one entry in the
 * list of src/destinations/index.ts; its config schema joins the config's destination union, its
 * reason codes the catalog, its identity keys the erasure search, its hashing rule the accept path.
 *
 * @example
 * export const ga4 = defineDestination({ type: 'ga4', configSchema, requires: ['analytics_storage'], map, send, reasons, identityKeys, docs, … })
 */
export interface Destination<
  C extends BaseDestinationConfig = BaseDestinationConfig,
  P = unknown,
  K extends string = string,
  S extends z.ZodType = z.ZodType<C>,
> {
  /** The `type` of its config entries; the kind union is derived from the registry's list. */
  type: K;
  /** Its config entry's schema; the config's destination union is built from these. */
  configSchema: S;
  /** Default required purposes. */
  requires: readonly Purpose[];
  /** Default when consent is missing. */
  whenDenied: WhenDenied;
  /** How the privacy stage prepares events for this kind: the hashing rule, the default IP policy, the vendor cookies it gets. */
  privacy: PrivacyRules;
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
  /** The reason codes this destination writes, with their words. */
  reasons: DestinationReasons;
  /**
   * Keys of this destination's payload (at any depth) whose string values identify a person: ids,
   * pseudonyms and user-data hashes. Erasure searches pending payloads (dead letters) under these keys.
   */
  identityKeys: readonly string[];
  /** Keys whose value is the event as JSON text (a warehouse row's `data`): erasure searches inside it. */
  identityJsonKeys?: readonly string[];
  /** Its documentation. */
  docs: DestinationDocs;
  /** A minimal config entry as written (secrets as `${ENV}` placeholders' stand-ins): the docs show it, the registry test runs it. */
  example: z.input<S>;
}

/** Identity helper that ties the config type to the schema and keeps the kind a literal (both inferred). */
export function defineDestination<S extends z.ZodType<BaseDestinationConfig, any>, P, K extends string>(
  d: Destination<z.output<S>, P, K, S>,
): Destination<z.output<S>, P, K, S> {
  return d;
}
