/**
 * @module ClickHouse warehouse over the HTTP interface: `INSERT … FORMAT JSONEachRow`, a day-partitioned
 * table with a TTL from the retention rules (servers ≥ 19.6), and `ALTER TABLE … DELETE` for the
 * scheduled purge and data-subject erasure (every version with mutations).
 *
 * Docs: https://clickhouse.com/docs/interfaces/http (HTTP interface),
 * https://clickhouse.com/docs/interfaces/formats/JSONEachRow,
 * https://clickhouse.com/docs/engines/table-engines/mergetree-family/mergetree#table_engine-mergetree-ttl (TTL, 19.6+),
 * https://clickhouse.com/docs/sql-reference/statements/alter/delete (mutations),
 * error codes: https://github.com/ClickHouse/ClickHouse/blob/master/src/Common/ErrorCodes.cpp
 */
import { z } from 'zod';
import { WAREHOUSE_HASHING } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';
import { HTTP_STATUS, httpWords } from '../reasons/words.js';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { OutboxItem, SendContext, SendResult } from './types.js';
import { WAREHOUSE_IDENTITY, warehouseRow } from './sqlite.js';
import { redact, truncateText } from './http.js';
import { failureText, warehouseRules, type RetentionRules, type WarehouseContext, type WarehouseErasure, type WarehousePurgeCount, type WarehouseSubject } from './warehouse.js';

const identifier = z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case identifier: letters, digits and _, at most 63');

export const clickhouseConfigSchema = baseDestinationSchema
  .extend({
    type: z.literal('clickhouse'),
    /** The HTTP interface, e.g. `https://ch.example.com:8443` (port 8123 for plain http). */
    url: z.url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'expected an http or https URL'),
    database: identifier.default('default'),
    table: identifier.default('tagrelay_events'),
    username: z.string().min(1).default('default'),
    /** Secret (write `${CLICKHOUSE_PASSWORD}`): sent in the Authorization header only, masked in every error string. */
    password: z.string().default(''),
    /** CREATE TABLE IF NOT EXISTS (with the TTL of the `events` retention rule on servers that have TTL). */
    create_table: z.boolean().default(true),
    timeout_ms: z.number().int().min(100).default(10_000),
    /** How long retention and erasure wait for their `ALTER TABLE … DELETE` mutation to finish. */
    mutation_timeout_ms: z.number().int().min(100).default(60_000),
  })
  .refine((c) => c.endpoint === undefined, { message: "a ClickHouse server's address is url, not endpoint", path: ['endpoint'] });
export type ClickHouseConfig = z.infer<typeof clickhouseConfigSchema>;

/**
 * One row as JSONEachRow. Absent ids are `''`, not NULL: the columns are plain `String` (ClickHouse
 * advises against Nullable, and 18.16 deletes NULL rows on `ALTER … DELETE WHERE col = 'x'`).
 * Times are unix seconds (`DateTime('UTC')`, which every version parses from a JSON number).
 */
export interface ClickHouseRow {
  event_id: string;
  name: string;
  time: number;
  received_at: number;
  client_id: string;
  session_id: string;
  user_id: string;
  page_url: string;
  data: string;
}

const COLUMNS = ['event_id', 'name', 'time', 'received_at', 'client_id', 'session_id', 'user_id', 'page_url', 'data'] as const;

/** Most rows per INSERT; ClickHouse prefers few large inserts (one part per insert and partition). */
export const CLICKHOUSE_MAX_ROWS = 10_000;

/** `` `db`.`table` `` (identifiers are validated). */
export const chTable = (c: Pick<ClickHouseConfig, 'database' | 'table'>): string => `\`${c.database}\`.\`${c.table}\``;

/** True when the server has table TTL (ClickHouse 19.6 and later). */
export function supportsTtl(version: string): boolean {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 19 || (major === 19 && minor >= 6);
}

/** The TTL clause for a row retention in ms: whole days when it is a number of days. */
export function ttlClause(ttlMs: number): string {
  const seconds = Math.max(1, Math.round(ttlMs / 1000));
  return seconds % 86_400 === 0 ? `TTL received_at + INTERVAL ${seconds / 86_400} DAY` : `TTL received_at + INTERVAL ${seconds} SECOND`;
}

/** True when a table's `engine_full` (system.tables) already has the TTL of {@link ttlClause}: ClickHouse prints `toIntervalDay(30)`. */
export function hasTtl(engineFull: string, ttlMs: number): boolean {
  const seconds = Math.max(1, Math.round(ttlMs / 1000));
  const interval = seconds % 86_400 === 0 ? `toIntervalDay(${seconds / 86_400})` : `toIntervalSecond(${seconds})`;
  return engineFull.includes(`TTL received_at + ${interval}`);
}

/**
 * The DDL `create_table` runs. ReplacingMergeTree on (received_at, event_id): a redelivered event
 * (same record, same received_at) collapses into one row when parts merge; day partitions keep
 * retention deletes and the TTL cheap.
 */
export function createTableSql(config: Pick<ClickHouseConfig, 'database' | 'table'>, ttlMs?: number): string {
  return (
    `CREATE TABLE IF NOT EXISTS ${chTable(config)} (event_id String, name String, time DateTime('UTC'), received_at DateTime('UTC'), ` +
    'client_id String, session_id String, user_id String, page_url String, data String) ' +
    'ENGINE = ReplacingMergeTree() PARTITION BY toYYYYMMDD(received_at) ORDER BY (received_at, event_id)' +
    (ttlMs !== undefined ? ` ${ttlClause(ttlMs)}` : '')
  );
}

/** A ClickHouse string literal. */
export const chString = (s: string): string => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const chList = (values: readonly string[]): string => `(${values.map(chString).join(', ')})`;

/**
 * The WHERE of an erasure, or `undefined` when nothing names the subject. The rule of
 * src/admin/dsr-subject.ts: by event id, by user pseudonym, by client pseudonym when the event has
 * no other user, and by the email/phone key inside `data` (JSON text without spaces).
 */
export function erasureWhere(s: WarehouseSubject): string | undefined {
  const or: string[] = [];
  if (s.eventIds.length > 0) or.push(`event_id IN ${chList(s.eventIds)}`);
  if (s.userKeys.length > 0) or.push(`user_id IN ${chList(s.userKeys)}`);
  if (s.clientKeys.length > 0) or.push(`(client_id IN ${chList(s.clientKeys)} AND (user_id = ''${s.userKeys.length > 0 ? ` OR user_id IN ${chList(s.userKeys)}` : ''}))`);
  for (const k of s.hashKeys) for (const f of ['em', 'ph']) or.push(`position(data, ${chString(`"${f}":"${k}"`)}) > 0`);
  return or.length > 0 ? or.join(' OR ') : undefined;
}

/** Map: the shared warehouse row, ids as `''` when absent, times in unix seconds. */
export function clickhouseRow(event: Parameters<typeof warehouseRow>[0]): ClickHouseRow {
  const r = warehouseRow(event);
  return {
    event_id: r.event_id,
    name: r.name,
    time: Math.floor(r.time / 1000),
    received_at: Math.floor(r.received_at / 1000),
    client_id: r.client_id ?? '',
    session_id: r.session_id ?? '',
    user_id: r.user_id ?? '',
    page_url: r.page_url ?? '',
    data: r.data,
  };
}

/** The outcome of one HTTP call: the body, or a classified failure. */
type ChOutcome = { ok: true; text: string } | { ok: false; retry: boolean; rowLevel: boolean; code?: number; error: string };

/** Codes caused by a value in some row (bisected): parse errors, type mismatches, bad data. */
const ROW_CODES = new Set([6, 26, 27, 38, 41, 53, 69, 70, 72, 117, 131]);
/** Codes worth retrying: timeouts, too many queries/parts, memory, network, read-only replica, unknown insert status. */
const RETRY_CODES = new Set([3, 159, 164, 202, 209, 210, 241, 242, 252, 285, 319, 425, 999]);
/** Codes every further request gets too: user, password, access, database. */
const STOP_CODES = new Set([81, 192, 193, 194, 497, 516]);
/** UNKNOWN_TABLE: created (again) when `create_table`. */
const UNKNOWN_TABLE = 60;

function basicAuth(user: string, password: string): string {
  const bytes = new TextEncoder().encode(`${user}:${password}`);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return `Basic ${btoa(bin)}`;
}

/** POST one statement (`sql` in the URL when `data` is the body, else `sql` is the body). Never throws. */
async function chCall(ctx: Pick<WarehouseContext, 'fetch'>, config: ClickHouseConfig, sql: string, data?: string): Promise<ChOutcome> {
  const url = new URL(config.url);
  url.searchParams.set('database', config.database);
  if (data !== undefined) url.searchParams.set('query', sql);
  const clean = (t: string) => redact(t, [config.password, basicAuth(config.username, config.password).slice(6)]);
  try {
    const res = await ctx.fetch(url.toString(), {
      method: 'POST',
      headers: { authorization: basicAuth(config.username, config.password), 'content-type': 'text/plain; charset=utf-8' },
      body: data ?? sql,
      signal: AbortSignal.timeout(config.timeout_ms),
    });
    const text = await res.text();
    if (res.status === 200) return { ok: true, text };
    // 18.16 writes `Code: 60, e.displayText() = …`, newer servers `Code: 60. DB::Exception: …` and X-ClickHouse-Exception-Code.
    const header = res.headers.get('x-clickhouse-exception-code');
    const m = /Code: (\d+)/.exec(text);
    const code = header ? Number(header) : m ? Number(m[1]) : undefined;
    const body = clean(truncateText(text.trim().replace(/\s+/g, ' ')));
    if (code === undefined) return { ok: false, retry: res.status >= 500 || res.status === 429 || res.status === 408, rowLevel: false, error: `clickhouse.http_${res.status}: ${body}` };
    return { ok: false, retry: RETRY_CODES.has(code), rowLevel: ROW_CODES.has(code), code, error: `clickhouse.code_${code}: ${body}` };
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    const error = name === 'TimeoutError' || name === 'AbortError' ? `clickhouse.timeout after ${config.timeout_ms}ms` : clean(`clickhouse.network error: ${failureText(err)}`);
    return { ok: false, retry: true, rowLevel: false, error };
  }
}

/** Per server and table: the TTL the retention rules ask for (set by the purge, read by the DDL) and whether the table is made. */
const tableTtl = new Map<string, number | undefined>();
const ensured = new Set<string>();
const tableKey = (c: ClickHouseConfig) => `${c.url}\u0000${chTable(c)}`;

async function ensureTable(config: ClickHouseConfig, ctx: Pick<WarehouseContext, 'fetch'>): Promise<ChOutcome> {
  const key = tableKey(config);
  if (ensured.has(key)) return { ok: true, text: '' };
  const version = await chCall(ctx, config, 'SELECT version()');
  if (!version.ok) return version;
  const ttl = supportsTtl(version.text.trim()) ? tableTtl.get(key) : undefined;
  const created = await chCall(ctx, config, createTableSql(config, ttl));
  if (created.ok) ensured.add(key);
  return created;
}

/** Insert a batch in statements of ≤ {@link CLICKHOUSE_MAX_ROWS}; bisect row-level errors to isolate bad rows. */
async function sendClickHouse(batch: OutboxItem<ClickHouseRow>[], config: ClickHouseConfig, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const sql = `INSERT INTO ${chTable(config)} (${COLUMNS.join(', ')}) FORMAT JSONEachRow`;
  let stop: { retry: boolean; error: string } | undefined;
  let recreated = false;
  const settle = (items: OutboxItem<ClickHouseRow>[], retry: boolean, error: string) => {
    for (const i of items) (retry ? result.retry : result.failed).push({ id: i.id, error });
  };

  async function insert(items: OutboxItem<ClickHouseRow>[]): Promise<void> {
    if (stop) return settle(items, stop.retry, stop.error);
    if (config.create_table) {
      const made = await ctx.limit(() => ensureTable(config, ctx));
      if (!made.ok) {
        stop = { retry: made.retry || !STOP_CODES.has(made.code ?? 0), error: made.error };
        return settle(items, stop.retry, stop.error);
      }
    }
    const body = items.map((i) => JSON.stringify(i.payload)).join('\n');
    const res = await ctx.limit(() => chCall(ctx, config, sql, body));
    if (res.ok) {
      result.delivered.push(...items.map((i) => i.id));
      return;
    }
    if (res.code === UNKNOWN_TABLE && config.create_table && !recreated) {
      // Dropped after we created it: create it again, once per send.
      recreated = true;
      ensured.delete(tableKey(config));
      return insert(items);
    }
    if (res.rowLevel && items.length > 1) {
      const half = Math.ceil(items.length / 2);
      await insert(items.slice(0, half));
      return insert(items.slice(half));
    }
    if (!res.rowLevel) stop = { retry: res.retry, error: res.error };
    ctx.log.warn('clickhouse insert failed', { destination: config.id, rows: items.length, error: res.error.slice(0, 200) });
    settle(items, res.retry, res.error);
  }

  for (let start = 0; start < batch.length; start += CLICKHOUSE_MAX_ROWS) await insert(batch.slice(start, start + CLICKHOUSE_MAX_ROWS));
  return result;
}

/** Wait until the table has no unfinished mutation (ours included); false on timeout (it goes on server-side). */
async function awaitMutations(config: ClickHouseConfig, ctx: WarehouseContext): Promise<boolean> {
  const sql = `SELECT count() FROM system.mutations WHERE database = ${chString(config.database)} AND table = ${chString(config.table)} AND is_done = 0`;
  const deadline = ctx.now() + config.mutation_timeout_ms;
  for (;;) {
    const res = await chCall(ctx, config, sql);
    if (!res.ok) throw new Error(res.error);
    if (Number(res.text.trim()) === 0) return true;
    if (ctx.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Count the matching events, delete them with a mutation and wait for it. `pending`: the mutation outlived the wait. */
async function deleteWhere(config: ClickHouseConfig, where: string, ctx: WarehouseContext): Promise<{ rows: number; pending: boolean }> {
  const counted = await chCall(ctx, config, `SELECT uniqExact(event_id) FROM ${chTable(config)} WHERE ${where}`);
  if (!counted.ok) {
    if (counted.code === UNKNOWN_TABLE) return { rows: 0, pending: false };
    throw new Error(counted.error);
  }
  const rows = Number(counted.text.trim());
  if (rows === 0) return { rows, pending: false };
  const altered = await chCall(ctx, config, `ALTER TABLE ${chTable(config)} DELETE WHERE ${where}`);
  if (!altered.ok) throw new Error(altered.error);
  return { rows, pending: !(await awaitMutations(config, ctx)) };
}

/**
 * On servers with TTL: give the table the TTL of the `events` rule when it has another or none (a
 * table made before the rule changed, or by a delivery thread that had not seen the rules).
 */
async function syncTtl(config: ClickHouseConfig, rowTtl: number, ctx: WarehouseContext): Promise<void> {
  const version = await chCall(ctx, config, 'SELECT version()');
  if (!version.ok) throw new Error(version.error);
  if (!supportsTtl(version.text.trim())) return;
  const engine = await chCall(ctx, config, `SELECT engine_full FROM system.tables WHERE database = ${chString(config.database)} AND name = ${chString(config.table)}`);
  if (!engine.ok) throw new Error(engine.error);
  if (hasTtl(engine.text, rowTtl)) return;
  const altered = await chCall(ctx, config, `ALTER TABLE ${chTable(config)} MODIFY ${ttlClause(rowTtl)}`);
  if (!altered.ok) throw new Error(altered.error);
}

async function purgeClickHouse(config: ClickHouseConfig, rules: RetentionRules, ctx: WarehouseContext): Promise<WarehousePurgeCount[]> {
  const { rowTtl, fields } = warehouseRules(rules);
  // The DDL takes its TTL from here (the purge runs at start, before delivery).
  tableTtl.set(tableKey(config), rowTtl);
  const out: WarehousePurgeCount[] = [];
  if (rowTtl !== undefined) {
    try {
      if (config.create_table) {
        const made = await ensureTable(config, ctx);
        if (!made.ok) throw new Error(made.error);
        await syncTtl(config, rowTtl, ctx);
      }
      const cutoff = Math.floor((ctx.now() - rowTtl) / 1000);
      const { rows, pending } = await deleteWhere(config, `received_at < toDateTime(${cutoff}, 'UTC')`, ctx);
      out.push({ destination: config.id, rule: 'events', action: 'delete', rows, ...(pending ? { reason: 'clickhouse.mutation_pending' } : {}) });
    } catch (err) {
      out.push({ destination: config.id, rule: 'events', action: 'failed', rows: null, reason: failureText(err) });
    }
  }
  // The event's fields live in the `data` JSON text; rewriting it per field is not offered here.
  for (const [field] of fields) out.push({ destination: config.id, rule: `events.${field}`, action: 'not_supported', rows: null, reason: 'clickhouse.field_rule_not_supported' });
  return out;
}

async function eraseClickHouse(config: ClickHouseConfig, subject: WarehouseSubject, ctx: WarehouseContext): Promise<WarehouseErasure> {
  const where = erasureWhere(subject);
  if (!where) return { type: 'clickhouse', status: 'erased', rows: 0 };
  try {
    const { rows, pending } = await deleteWhere(config, where, ctx);
    return pending ? { type: 'clickhouse', status: 'partial', rows, remaining: null, reason: 'clickhouse.mutation_pending' } : { type: 'clickhouse', status: 'erased', rows };
  } catch (err) {
    return { type: 'clickhouse', status: 'failed', error: failureText(err) };
  }
}

/** The ClickHouse warehouse's outcomes, in words. */
const CLICKHOUSE_REASONS: ReasonTable = {
  'clickhouse.field_rule_not_supported': () =>
    'A retention rule for a single event field (events.<field>) is not applied in ClickHouse: the fields live in the JSON text of each row. The row itself is deleted by the events rule; the IP is never written there.',
  'clickhouse.mutation_pending': () =>
    "ClickHouse accepted the delete (ALTER TABLE … DELETE) but had not finished it within mutation_timeout_ms; it goes on in the background and system.mutations shows its progress.",
};

/**
 * The ClickHouse warehouse. Hashing rule: the warehouse's (pseudonyms); the IP is dropped, since a
 * field cannot be expired early in ClickHouse rows (`events.ip` retention).
 *
 * @example
 * { id: 'ch', type: 'clickhouse', url: 'https://ch.example.com:8443', username: 'tagrelay', password: '${CLICKHOUSE_PASSWORD}' }
 */
export const clickhouse = defineDestination({
  type: 'clickhouse',
  configSchema: clickhouseConfigSchema,
  requires: ['analytics_storage'],
  whenDenied: 'anonymize',
  privacy: { hashing: WAREHOUSE_HASHING, ip: 'drop' },
  batch: { maxEvents: 1000, maxWaitMs: 1000 },
  maxInFlight: 2,
  map(event) {
    return { payload: clickhouseRow(event) };
  },
  send: sendClickHouse,
  warehouse: { purge: purgeClickHouse, erase: eraseClickHouse },
  reasons: {
    area: 'clickhouse',
    vendor: 'The ClickHouse warehouse',
    codes: CLICKHOUSE_REASONS,
    prefixes: {
      'clickhouse.code_': {
        part: /^\d{1,4}$/,
        describe: (code) =>
          `ClickHouse refused the statement with error code ${code}: a temporary condition (timeout, too many parts or queries, memory) is retried; a wrong user or password, a missing database or a value it cannot parse is not retried and is kept in the dead-letter store with ClickHouse's message.`,
      },
      'clickhouse.http_': { part: HTTP_STATUS, describe: (status) => httpWords('The ClickHouse server', status) },
    },
  },
  ...WAREHOUSE_IDENTITY,
  docs: { vendor: 'https://clickhouse.com/docs/interfaces/http', page: 'docs/destinations/clickhouse.md' },
  example: { id: 'ch', type: 'clickhouse', url: 'https://ch.example.com:8443', username: 'tagrelay', password: 'example-password' },
});
