/**
 * @module Data-subject requests under /admin/v1: erasure (GDPR Art. 17), export (Art. 15, 20), consent history.
 */
import type { Hono } from 'hono';
import type { Services } from '../services.js';
import type { SqlDb } from '../ports.js';
import { requireScope, type Verifier } from './auth.js';
import { inChunks, locateSubject, parseSubject, rowsIn, type Subject, type SubjectKind } from './dsr-subject.js';
import { TagrelayError, readJsonBody } from '../errors.js';
import { eraseFromWarehouses, type WarehouseErasure } from '../destinations/warehouse.js';

/** What an erasure did, per store. The identifier itself is never part of it. */
export interface ErasureReceipt {
  request_id: string;
  counts: {
    events: number;
    records: number;
    delivery_retry: number;
    dead_letter: number;
    delivery_log: number;
    identity_links: number;
    trigger_timers: number;
    consent_audit_tombstoned: number;
  };
  /**
   * Per external warehouse (destination id): rows deleted, or honestly `partial`/`not_supported`
   * (BigQuery cannot delete rows still in its streaming buffer) or `failed`.
   */
  warehouses: Record<string, WarehouseErasure>;
}

/** Everything held locally about one person. */
export interface SubjectExport {
  request_id: string;
  subject: { kind: SubjectKind };
  /** The pseudonyms the person is stored under (HMAC-SHA-256 with the configured salt). */
  pseudonyms: { user_keys: string[]; client_keys: string[] };
  events: Record<string, unknown>[];
  consent: ConsentRecord[];
  identity_links: Record<string, unknown>[];
  deliveries: Record<string, unknown>[];
  /** The durable records (hashes and pseudonyms; IP and User-Agent while a destination may still receive them). */
  records: Record<string, unknown>[];
  dead_letter: Record<string, unknown>[];
}

/** One consent audit row as answered (state parsed; `tombstone` is the erasure request that blanked it). */
export interface ConsentRecord {
  id: number;
  time: number;
  state: unknown;
  source: string;
  policy_version: string;
  region: string;
  tombstone: string | null;
}

type Row = Record<string, string | number | null>;
type DsrType = 'erasure' | 'export' | 'consent';

const parseJson = (text: unknown): unknown => {
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Parse the JSON text columns of a row. */
const withParsed = (row: Row, ...columns: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, columns.includes(k) ? parseJson(v) : v]));

/** Delete (or update) `table` rows whose `column` is in `values`; returns the number of rows changed. */
async function changeIn(db: SqlDb, sql: (placeholders: string) => string, values: readonly string[], prefix: (string | number)[] = []): Promise<number> {
  const changed = await inChunks(values, async (ph, chunk) => [(await db.run(sql(ph), [...prefix, ...chunk])).changes]);
  return changed.reduce((a, b) => a + b, 0);
}

/** Store the request (kind and counts, never the identifier) and log it. */
async function record(services: Services, type: DsrType, kind: SubjectKind, actor: string | undefined, counts: Record<string, number | string>, id = newRequestId(services)): Promise<string> {
  const { runtime } = services;
  await runtime.db.run('INSERT INTO dsr_requests (id, type, time, subject_kind, actor, counts) VALUES (?, ?, ?, ?, ?, ?)', [
    id,
    type,
    runtime.now(),
    kind,
    actor ?? null,
    JSON.stringify(counts),
  ]);
  runtime.log.info(`dsr ${type}`, { request_id: id, subject_kind: kind, ...counts });
  return id;
}

const newRequestId = (services: Services) => `dsr_${services.runtime.randomHex(12)}`;

async function locate(subject: Subject, services: Services) {
  await services.ready;
  // Events accepted a moment ago may still sit in the group commit: land them first so they are found.
  await services.outbox.flush();
  return locateSubject(subject, { db: services.runtime.db, hasher: services.runtime.hash, privacy: services.config.privacy });
}

/**
 * Erase a person from every local store. Dependent rows go first (retries, records, dead letter, delivery log),
 * the events last but one, so an interrupted erasure finds the same events when run again. Consent
 * audit rows are blanked, not deleted: the controller must still show that a consent was recorded
 * (GDPR Art. 7(1)), so they keep time, source, policy and region and gain the request id as tombstone.
 */
export async function eraseSubject(subject: Subject, services: Services, actor?: string): Promise<ErasureReceipt> {
  const { db } = services.runtime;
  const found = await locate(subject, services);
  const ids = found.eventIds;
  const requestId = newRequestId(services);
  const counts: ErasureReceipt['counts'] = {
    delivery_retry: await changeIn(db, (ph) => `DELETE FROM delivery_retry WHERE event_id IN (${ph})`, ids),
    // An erased person's pending deliveries end here: erasure wins over delivery.
    records: await changeIn(db, (ph) => `DELETE FROM records WHERE event_id IN (${ph})`, ids),
    dead_letter: await changeIn(db, (ph) => `DELETE FROM dead_letter WHERE event_id IN (${ph})`, ids),
    delivery_log: await changeIn(db, (ph) => `DELETE FROM delivery_log WHERE event_id IN (${ph})`, ids),
    events: await changeIn(db, (ph) => `DELETE FROM events WHERE event_id IN (${ph})`, ids),
    identity_links:
      (await changeIn(db, (ph) => `DELETE FROM identity_links WHERE user_key IN (${ph})`, found.userKeys)) +
      (await changeIn(db, (ph) => `DELETE FROM identity_links WHERE client_key IN (${ph})`, found.clientKeys)),
    // Journey timers are keyed by the visitor's pseudonym (client or user key).
    trigger_timers:
      (await changeIn(db, (ph) => `DELETE FROM trigger_timers WHERE key IN (${ph})`, [...found.userKeys, ...found.clientKeys])) +
      (await changeIn(db, (ph) => `DELETE FROM trigger_timers WHERE client_key IN (${ph})`, found.clientKeys)),
    consent_audit_tombstoned: await changeIn(
      db,
      (ph) => `UPDATE consent_audit SET state = '{}', tombstone = ? WHERE tombstone IS NULL AND client_id IN (${ph})`,
      found.clientKeys,
      [requestId],
    ),
  };
  const warehouses = await eraseFromWarehouses(
    services.destinations,
    { eventIds: ids, userKeys: found.userKeys, clientKeys: found.clientKeys, hashKeys: found.hashKeys },
    services.warehouseContext,
  );
  const stored: Record<string, number | string> = { ...counts };
  for (const [id, w] of Object.entries(warehouses)) stored[`warehouse.${id}`] = w.status === 'erased' || w.status === 'partial' ? w.rows : w.status;
  await record(services, 'erasure', subject.kind, actor, stored, requestId);
  return { request_id: requestId, counts, warehouses };
}

async function consentRows(db: SqlDb, clientKeys: readonly string[]): Promise<ConsentRecord[]> {
  const rows = await rowsIn<Row>(db, 'consent_audit', 'client_id', clientKeys, 'id');
  return rows.map((r) => ({
    id: r.id as number,
    time: r.time as number,
    state: parseJson(r.state),
    source: r.source as string,
    policy_version: r.policy_version as string,
    region: r.region as string,
    tombstone: (r.tombstone as string | null) ?? null,
  }));
}

/** Everything held locally about a person, JSON columns parsed. */
export async function exportSubject(subject: Subject, services: Services, actor?: string): Promise<SubjectExport> {
  const { db } = services.runtime;
  const found = await locate(subject, services);
  const ids = found.eventIds;
  const links = [
    ...(await rowsIn<Row>(db, 'identity_links', 'user_key', found.userKeys)),
    ...(await rowsIn<Row>(db, 'identity_links', 'client_key', found.clientKeys)),
  ];
  const uniqueLinks = [...new Map(links.map((l) => [`${l.client_key} ${l.user_key}`, l])).values()];
  const body = {
    events: (await rowsIn<Row>(db, 'events', 'event_id', ids, 'time')).map((r) => withParsed(r, 'data')),
    consent: await consentRows(db, found.clientKeys),
    identity_links: uniqueLinks,
    deliveries: (await rowsIn<Row>(db, 'delivery_log', 'event_id', ids, 'updated_at')).map((r) => withParsed(r, 'reasons')),
    records: (await rowsIn<Row>(db, 'records', 'event_id', ids, 'seq')).map((r) => withParsed(r, 'data')),
    dead_letter: (await rowsIn<Row>(db, 'dead_letter', 'event_id', ids, 'id')).map((r) => withParsed(r, 'payload')),
  };
  const counts = Object.fromEntries(Object.entries(body).map(([k, v]) => [k, v.length]));
  const requestId = await record(services, 'export', subject.kind, actor, counts);
  return { request_id: requestId, subject: { kind: subject.kind }, pseudonyms: { user_keys: found.userKeys, client_keys: found.clientKeys }, ...body };
}

/** The consent audit log of one client id (looked up by its pseudonym), oldest first. */
export async function consentHistory(clientId: string, services: Services, actor?: string): Promise<{ request_id: string; records: ConsentRecord[] }> {
  await services.ready;
  const { runtime } = services;
  const key = await runtime.hash.hmacSha256Hex(services.config.privacy.pseudonymization.salt, clientId);
  const records = await consentRows(runtime.db, [key]);
  const requestId = await record(services, 'consent', 'client_id', actor, { records: records.length });
  return { request_id: requestId, records };
}

/** The token subject `requireScope` recorded, for the request log. */
const actorOf = (c: { get(key: never): unknown }): string | undefined => {
  const sub = c.get('adminSubject' as never);
  return typeof sub === 'string' ? sub.slice(0, 200) : undefined;
};

/** Mount the data-subject routes on the admin app (/admin/v1). */
export function dsrRoutes(admin: Hono, services: Services, verifier: Verifier | undefined): void {
  admin.post('/erasure', requireScope(verifier, 'dsr:write'), async (c) => {
    return c.json(await eraseSubject(parseSubject(await readJsonBody(c.req.raw)), services, actorOf(c)));
  });

  admin.get('/export', requireScope(verifier, 'dsr:read'), async (c) => {
    return c.json(await exportSubject(parseSubject(c.req.query()), services, actorOf(c)));
  });

  admin.get('/consent', requireScope(verifier, 'dsr:read'), async (c) => {
    const clientId = c.req.query('client_id')?.trim();
    if (!clientId) throw new TagrelayError('ERR_INVALID_BODY', 'client_id is required', { field: 'client_id' });
    return c.json(await consentHistory(clientId, services, actorOf(c)));
  });
}
