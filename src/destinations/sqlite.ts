/**
 * @module The embedded warehouse: events stored in the local SQLite `events` table.
 */
import { z } from 'zod';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { Event } from '../event.js';
import type { SendAction } from './types.js';
import { REPORT_COLUMNS, reportColumns, type ReportColumns } from './warehouse-columns.js';
import { WAREHOUSE_HASHING } from '../privacy/hashing.js';

export const sqliteConfigSchema = baseDestinationSchema.extend({
  type: z.literal('sqlite'),
});
export type SqliteConfig = z.infer<typeof sqliteConfigSchema>;

/** One row of the `events` table (the report columns: see `warehouse-columns.ts`). */
export interface EventRow extends ReportColumns {
  event_id: string;
  name: string;
  time: number;
  received_at: number;
  client_id: string | null;
  session_id: string | null;
  user_id: string | null;
  page_url: string | null;
  data: string;
}

/**
 * A warehouse row: columns lifted out of the JSON `data` for querying, retention and erasure.
 * Shared by every warehouse destination (sqlite, postgres) so their rows stay identical.
 */
export function warehouseRow(event: Event, mode: SendAction = 'send'): EventRow {
  const { event_id, name, time, received_at } = event;
  const data = {
    params: event.params,
    items: event.items,
    user_properties: event.user_properties,
    user: event.user,
    hashed_user: event.hashed_user,
    salt_id: event.salt_id,
    page: event.page,
    client: event.client,
    consent: event.consent_state,
    device: event.device,
    geo: event.geo,
    campaign: event.campaign,
    time_adjusted: event.time_adjusted,
    kind: event.kind,
    derived_from: event.derived_from,
    source: event.request.source,
    ip: event.request.ip,
  };
  return {
    event_id,
    name,
    time,
    received_at,
    client_id: event.client.client_id ?? null,
    session_id: event.client.session_id ?? null,
    user_id: event.user.user_id ?? null,
    page_url: event.page.url ?? null,
    data: JSON.stringify(data),
    ...reportColumns(event, mode),
  };
}

/**
 * The identity keys of a warehouse row: its pseudonymized ids, and inside `data` (the event as JSON
 * text) `hashed_user.em` / `ph`, the pseudonyms of the email and phone.
 */
export const WAREHOUSE_IDENTITY = { identityKeys: ['client_id', 'user_id', 'session_id', 'em', 'ph'], identityJsonKeys: ['data'] } as const;

/** The `events` columns, in insert order. */
export const EVENT_COLUMNS = ['event_id', 'name', 'time', 'received_at', 'client_id', 'session_id', 'user_id', 'page_url', 'data', ...REPORT_COLUMNS] as const;

const INSERT = `INSERT OR IGNORE INTO events (${EVENT_COLUMNS.join(', ')}) VALUES (${EVENT_COLUMNS.map(() => '?').join(', ')})`;

/** Stitching: the client ↔ user link, in pseudonyms (only events sent in full carry both). */
const UPSERT_LINK =
  'INSERT INTO identity_links (client_key, user_key, first_seen, last_seen) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (client_key, user_key) DO UPDATE SET last_seen = excluded.last_seen';

/**
 * The default warehouse destination. Delivery writes its rows (`local`) in the transaction that
 * settles them, so a row is written exactly once; `send` serves callers outside the worker.
 */
export const sqlite = defineDestination({
  type: 'sqlite',
  configSchema: sqliteConfigSchema,
  requires: ['analytics_storage'],
  whenDenied: 'anonymize',
  privacy: { hashing: WAREHOUSE_HASHING, ip: 'truncate' },
  batch: { maxEvents: 500, maxWaitMs: 0 },
  maxInFlight: 1,
  map(event, _config, ctx) {
    return { payload: warehouseRow(event, ctx.action) };
  },
  local(r) {
    const out = [{ sql: INSERT, params: EVENT_COLUMNS.map((c) => r[c]) }];
    if (r.client_id && r.user_id) out.push({ sql: UPSERT_LINK, params: [r.client_id, r.user_id, r.received_at, r.received_at] });
    return out;
  },
  async send(batch, config, ctx) {
    await ctx.db.batch(batch.flatMap(({ payload }) => this.local!(payload, config)));
    return { delivered: batch.map((i) => i.id), retry: [], failed: [] };
  },
  // Writes in the settling transaction: a failure fails the settlement, it writes no reason of its own.
  reasons: { area: 'sqlite', vendor: 'The embedded warehouse', codes: {} },
  ...WAREHOUSE_IDENTITY,
  docs: { vendor: 'https://www.sqlite.org/lang_insert.html', page: 'docs/destinations/sqlite.md' },
  example: { id: 'lake', type: 'sqlite' },
});
