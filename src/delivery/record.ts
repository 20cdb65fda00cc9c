/**
 * @module The durable record of one accepted event: what is decided at accept (consent, identity,
 * enrichment, hashes), never clear personal data. Delivery and explain read it through `decide()`.
 */
import type { Event, HashedUser } from '../event.js';
import type { SqlStatement } from '../ports.js';
import type { PreparedIdentity } from '../privacy/identity.js';

/**
 * One accepted event as stored. The clear `user` section is gone: `identity` holds its hashes
 * (one per hashing rule) and pseudonyms. IP and User-Agent live in their own columns, nulled once
 * every destination has settled; `ip`/`user_agent` here are filled when the record is read.
 */
export interface EventRecord {
  /** Position in the record log (assigned by the store; delivery cursors count in it). */
  seq?: number;
  event_id: string;
  name: string;
  time: number;
  received_at: number;
  time_adjusted?: boolean;
  params: Event['params'];
  items?: Event['items'];
  user_properties?: Event['user_properties'];
  page: Event['page'];
  client: Event['client'];
  consent_state: NonNullable<Event['consent_state']>;
  device?: Event['device'];
  geo?: Event['geo'];
  campaign?: Event['campaign'];
  source: Event['request']['source'];
  protocol?: Record<string, string>;
  /** The only request header a destination may see. */
  accept_language?: string;
  /** The request carried other headers / cookies (removed before any destination; noted). */
  removed: { headers: boolean; cookies: boolean };
  identity: PreparedIdentity;
  /** Reasons decided at accept that every destination's decision repeats (privacy scrub, identity). */
  notes: string[];
  /** Under which configuration the event was accepted (a hash of the config). */
  config_version: string;
  /** A conversion rule derived this event from another (`rules/conversions.ts`). */
  derived_from?: { event_id: string; rule_id: string };
  /** micro- or macro-conversion (derived events). */
  kind?: 'micro' | 'macro';
  /** The tracking plan quarantined the event (`plan.violation:<path>`): dead-lettered at delivery until replayed under a plan it passes. */
  quarantine?: string;
  /** Only these destinations receive the event (a journey trigger's `destinations`); every other one skips it. */
  only_destinations?: string[];
  ip?: string;
  user_agent?: string;
}

/**
 * Build the record of a processed event (after consent, identity and enrichment). The event's clear
 * user data is not copied.
 */
export function toRecord(event: Event, identity: PreparedIdentity, notes: string[], configVersion: string): EventRecord {
  const headers = event.request.headers;
  const language = headers['accept-language'];
  const record: EventRecord = {
    event_id: event.event_id,
    name: event.name,
    time: event.time,
    received_at: event.received_at,
    params: event.params,
    page: event.page,
    client: event.client,
    consent_state: event.consent_state!,
    source: event.request.source,
    removed: {
      headers: Object.keys(headers).length > (language === undefined ? 0 : 1),
      cookies: Object.keys(event.request.cookies).length > 0,
    },
    identity,
    notes,
    config_version: configVersion,
  };
  if (event.time_adjusted) record.time_adjusted = true;
  if (event.items) record.items = event.items;
  if (event.user_properties) record.user_properties = event.user_properties;
  if (event.device) record.device = event.device;
  if (event.geo) record.geo = event.geo;
  if (event.campaign) record.campaign = event.campaign;
  if (event.request.protocol) record.protocol = event.request.protocol;
  if (language !== undefined) record.accept_language = language;
  if (event.request.ip) record.ip = event.request.ip;
  if (event.request.user_agent) record.user_agent = event.request.user_agent;
  return record;
}

/** The record as the canonical Event shape minimization and the mappers read (no clear user data). */
export function recordEvent(record: EventRecord): Event {
  const event: Event = {
    event_id: record.event_id,
    name: record.name,
    time: record.time,
    received_at: record.received_at,
    params: record.params,
    user: record.identity.user_id ? { user_id: record.identity.user_id } : {},
    page: record.page,
    client: record.client,
    consent: {},
    consent_state: record.consent_state,
    request: {
      source: record.source,
      headers: record.accept_language === undefined ? {} : { 'accept-language': record.accept_language },
      cookies: {},
    },
  };
  if (record.time_adjusted) event.time_adjusted = true;
  if (record.items) event.items = record.items;
  if (record.user_properties) event.user_properties = record.user_properties;
  if (record.derived_from) event.derived_from = record.derived_from;
  if (record.kind) event.kind = record.kind;
  if (record.device) event.device = record.device;
  if (record.geo) event.geo = record.geo;
  if (record.campaign) event.campaign = record.campaign;
  if (record.protocol) event.request.protocol = record.protocol;
  if (record.ip) event.request.ip = record.ip;
  if (record.user_agent) event.request.user_agent = record.user_agent;
  return event;
}

const INSERT_RECORD =
  'INSERT OR IGNORE INTO records (event_id, received_at, config_version, client_key, user_key, ip, user_agent, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

/**
 * The statement that stores a record. `INSERT OR IGNORE` on the event id makes the store the
 * durable dedupe window: a 0-change insert is a duplicate of an event already accepted.
 */
export function insertRecordStatement(record: EventRecord): SqlStatement {
  const { ip, user_agent, seq: _seq, ...data } = record;
  return {
    sql: INSERT_RECORD,
    params: [
      record.event_id,
      record.received_at,
      record.config_version,
      record.identity.pseudo.client_id ?? null,
      record.identity.pseudo.user_id ?? null,
      ip ?? null,
      user_agent ?? null,
      JSON.stringify(data),
    ],
  };
}

/** A stored record row. */
export interface RecordRow {
  seq: number;
  data: string;
  ip: string | null;
  user_agent: string | null;
}

/** Parse a stored row back into a record. */
export function readRecord(row: RecordRow): EventRecord {
  const record = JSON.parse(row.data) as EventRecord;
  record.seq = row.seq;
  upgradeIdentity(record.identity as PreparedIdentity & Legacy);

  if (row.ip !== null) record.ip = row.ip;
  if (row.user_agent !== null) record.user_agent = row.user_agent;
  return record;
}

/** Records written before hashing rules were per destination kept one key per rule and a fixed `dropped`. */
type Legacy = { meta?: HashedUser; google?: HashedUser; warehouse?: HashedUser };

function upgradeIdentity(identity: PreparedIdentity & Legacy): void {
  if (identity.hashed !== undefined) return;
  identity.hashed = {};
  for (const id of ['meta', 'google', 'warehouse'] as const) {
    if (identity[id]) identity.hashed[id] = identity[id];
    delete identity[id];
  }
  identity.dropped ??= {};
  identity.dropped.warehouse ??= identity.dropped.meta ?? [];
}

/**
 * Records just accepted by this process, kept parsed so delivery does not parse what it just
 * serialized (and the destinations reading the same rows share one parse). Bounded, oldest out.
 */
export interface RecordCache {
  put(record: EventRecord): void;
  /** The record of a stored row: from the cache, else parsed. IP and User-Agent always come from the row. */
  read(row: RecordRow & { event_id: string }): EventRecord;
}

/** @example const cache = createRecordCache(2000) */
export function createRecordCache(size: number): RecordCache {
  const cache = new Map<string, EventRecord>();
  const put = (record: EventRecord) => {
    if (cache.size >= size) cache.delete(cache.keys().next().value!);
    cache.set(record.event_id, record);
  };
  return {
    put,
    read(row) {
      const cached = cache.get(row.event_id);
      if (!cached) {
        const record = readRecord(row);
        put(record);
        return record;
      }
      const record: EventRecord = { ...cached, seq: row.seq };
      if (row.ip === null) delete record.ip;
      else record.ip = row.ip;
      if (row.user_agent === null) delete record.user_agent;
      else record.user_agent = row.user_agent;
      return record;
    },
  };
}
