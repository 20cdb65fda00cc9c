/**
 * @module BigQuery warehouse: rows streamed with `tabledata.insertAll` (insertId = event id), retention by
 * partition expiration plus a scheduled DML `DELETE`, erasure by DML `DELETE` through `jobs.query`.
 *
 * Docs: https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/insertAll,
 * https://cloud.google.com/bigquery/quotas#streaming_inserts (500 rows per request recommended, 10 MB per request),
 * https://cloud.google.com/bigquery/docs/reference/rest/v2/jobs/query,
 * https://cloud.google.com/bigquery/docs/data-manipulation-language#limitations (rows streamed in the last
 * 30 minutes cannot be changed by DML), https://cloud.google.com/bigquery/docs/error-messages.
 */
import { z } from 'zod';
import { WAREHOUSE_HASHING } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';
import { HTTP_STATUS, httpWords } from '../reasons/words.js';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { OutboxItem, SendContext, SendResult } from './types.js';
import { WAREHOUSE_IDENTITY, warehouseRow } from './sqlite.js';
import { byteLength, isRetryableStatus, parseRetryAfter, redact, truncateText } from './http.js';
import { accessToken, parseServiceAccountKey, type ServiceAccountKey } from './google-auth.js';
import { failureText, warehouseRules, type RetentionRules, type WarehouseContext, type WarehouseErasure, type WarehousePurgeCount, type WarehouseSubject } from './warehouse.js';
import type { FetchLike } from '../ports.js';

export const BIGQUERY_SCOPE = 'https://www.googleapis.com/auth/bigquery';
/** Rows per insertAll request: Google's recommended maximum. */
export const BIGQUERY_MAX_ROWS = 500;
/** Bytes per insertAll request: Google's HTTP request size limit (10 MB). */
export const BIGQUERY_MAX_BYTES = 10 * 1024 * 1024;
/** Rows streamed within this window may still be in the streaming buffer, which DML cannot change (30 min, up to 90). */
export const STREAMING_BUFFER_MS = 90 * 60_000;

const name = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,1023}$/, 'expected letters, digits and _');

export const bigqueryConfigSchema = baseDestinationSchema.extend({
  type: z.literal('bigquery'),
  project_id: z.string().regex(/^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'expected a Google Cloud project id such as my-project-123'),
  dataset: name,
  table: name.default('tagrelay_events'),
  /** Secret: the service-account key JSON (write `${GOOGLE_SERVICE_ACCOUNT_KEY}`); signs the OAuth assertion, never sent or logged. */
  credentials: z.string().refine((t) => parseServiceAccountKey(t) !== undefined, {
    message: 'expected a service-account key (JSON with type "service_account", client_email, private_key)',
  }),
  endpoint: z.url().default('https://bigquery.googleapis.com'),
  timeout_ms: z.number().int().min(100).default(10_000),
});
export type BigQueryConfig = z.infer<typeof bigqueryConfigSchema>;

/** One row, as insertAll's `json` (TIMESTAMP as RFC 3339 text, JSON column as JSON text). */
export interface BigQueryRow {
  event_id: string;
  name: string;
  time: string;
  received_at: string;
  client_id: string | null;
  session_id: string | null;
  user_id: string | null;
  page_url: string | null;
  data: string;
}

/** The DDL the docs give (docs/destinations/bigquery.md): day partitions expiring with the `events` rule. */
export function createTableDdl(config: Pick<BigQueryConfig, 'project_id' | 'dataset' | 'table'>, rowTtlMs?: number): string {
  const days = rowTtlMs === undefined ? undefined : Math.max(1, Math.ceil(rowTtlMs / 86_400_000));
  return (
    `CREATE TABLE IF NOT EXISTS \`${config.project_id}.${config.dataset}.${config.table}\` (\n` +
    '  event_id STRING NOT NULL, name STRING NOT NULL, time TIMESTAMP NOT NULL, received_at TIMESTAMP NOT NULL,\n' +
    '  client_id STRING, session_id STRING, user_id STRING, page_url STRING, data JSON NOT NULL,\n' +
    '  inserted_at TIMESTAMP NOT NULL\n)\nPARTITION BY DATE(received_at)\nCLUSTER BY name' +
    (days !== undefined ? `\nOPTIONS (partition_expiration_days = ${days})` : '') +
    ';'
  );
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Map: the shared warehouse row's columns of the documented table, with RFC 3339 times. */
export function bigqueryRow(event: Parameters<typeof warehouseRow>[0]): BigQueryRow {
  const r = warehouseRow(event);
  return {
    event_id: r.event_id,
    name: r.name,
    time: iso(r.time),
    received_at: iso(r.received_at),
    client_id: r.client_id,
    session_id: r.session_id,
    user_id: r.user_id,
    page_url: r.page_url,
    data: r.data,
  };
}

/** Google's error body: `{ error: { code, message, errors: [{ reason, message }], status } }`. */
interface GoogleError {
  error?: { code?: number; message?: string; status?: string; errors?: { reason?: string; message?: string }[] };
}
const errorReason = (text: string): { reason?: string; message?: string } => {
  try {
    const e = (JSON.parse(text) as GoogleError).error;
    return { reason: e?.errors?.[0]?.reason ?? e?.status, message: e?.message };
  } catch {
    return {};
  }
};
/** 403 reasons that pass: rate and quota limits. */
const RETRY_REASONS = new Set(['rateLimitExceeded', 'quotaExceeded', 'backendError', 'internalError']);

type Call = { ok: true; status: number; text: string; retryAfter: string | null } | { ok: false; error: string };

/** One authorized JSON call (POST with a body, else GET); a 401 renews the token once. Never throws. */
async function googleCall(
  config: BigQueryConfig,
  key: ServiceAccountKey,
  io: { fetch: FetchLike; now(): number },
  url: string,
  body?: string,
): Promise<Call | { ok: false; auth: true; retry: boolean; error: string }> {
  const tokenIo = { fetch: io.fetch, now: io.now, timeoutMs: config.timeout_ms };
  for (let attempt = 0; attempt < 2; attempt++) {
    const token = await accessToken(key, BIGQUERY_SCOPE, tokenIo, attempt > 0);
    if (!token.ok) return { ok: false, auth: true, retry: token.retry, error: token.error };
    try {
      const res = await io.fetch(url, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body,
        signal: AbortSignal.timeout(config.timeout_ms),
      });
      const text = await res.text();
      // 401: the token expired or was revoked early; renew it once.
      if (res.status === 401 && attempt === 0) continue;
      return { ok: true, status: res.status, text: redact(text, [token.token]), retryAfter: res.headers.get('retry-after') };
    } catch (err) {
      const n = err instanceof Error ? err.name : '';
      const error = n === 'TimeoutError' || n === 'AbortError' ? `bigquery.timeout after ${config.timeout_ms}ms` : `bigquery.network error: ${failureText(err)}`;
      return { ok: false, error };
    }
  }
  return { ok: false, error: 'bigquery.unreachable' };
}

const base = (c: BigQueryConfig) => `${c.endpoint.replace(/\/+$/, '')}/bigquery/v2/projects/${encodeURIComponent(c.project_id)}`;

/** insertAll's answer. */
interface InsertAllResponse {
  insertErrors?: { index: number; errors?: { reason?: string; location?: string; message?: string }[] }[];
}

/** Stream a batch: requests of ≤ 500 rows and ≤ 10 MB in flight together; per-row insertErrors fail only their rows. */
async function sendBigQuery(batch: OutboxItem<BigQueryRow>[], config: BigQueryConfig, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const key = parseServiceAccountKey(config.credentials)!;
  const url = `${base(config)}/datasets/${config.dataset}/tables/${config.table}/insertAll`;
  const clean = (t: string) => redact(t, [key.private_key, config.credentials]);
  let stop: { retry: boolean; error: string; retry_after_ms?: number } | undefined;
  const settle = (items: OutboxItem<BigQueryRow>[], o: { retry: boolean; error: string; retry_after_ms?: number }) => {
    for (const i of items) {
      if (o.retry) result.retry.push({ id: i.id, error: o.error, ...(o.retry_after_ms !== undefined ? { retry_after_ms: o.retry_after_ms } : {}) });
      else result.failed.push({ id: i.id, error: o.error });
    }
  };

  // Chunk by rows and bytes; a row that alone exceeds the request limit can never be sent.
  const envelope = byteLength(JSON.stringify({ kind: 'bigquery#tableDataInsertAllRequest', skipInvalidRows: true, ignoreUnknownValues: false, rows: [] }));
  const now = ctx.now();
  const chunks: { items: OutboxItem<BigQueryRow>[]; rows: string[] }[] = [];
  let current: { items: OutboxItem<BigQueryRow>[]; rows: string[]; bytes: number } = { items: [], rows: [], bytes: envelope };
  for (const item of batch) {
    // inserted_at lets erasure tell rows out of the streaming buffer from rows maybe still in it.
    const row = JSON.stringify({ insertId: item.event_id, json: { ...item.payload, inserted_at: iso(now) } });
    const size = byteLength(row) + 1;
    if (envelope + size > BIGQUERY_MAX_BYTES) {
      result.failed.push({ id: item.id, error: `bigquery.row_too_large: ${size} bytes; insertAll requests are limited to ${BIGQUERY_MAX_BYTES} bytes` });
      continue;
    }
    if (current.items.length >= BIGQUERY_MAX_ROWS || current.bytes + size > BIGQUERY_MAX_BYTES) {
      chunks.push(current);
      current = { items: [], rows: [], bytes: envelope };
    }
    current.items.push(item);
    current.rows.push(row);
    current.bytes += size;
  }
  if (current.items.length > 0) chunks.push(current);

  const deliver = async ({ items, rows }: { items: OutboxItem<BigQueryRow>[]; rows: string[] }): Promise<void> => {
    if (stop) return settle(items, stop);
    // skipInvalidRows: the valid rows are inserted even when some are not; ignoreUnknownValues off:
    // a column the table lacks is an error to see, not data to drop silently.
    const body = `{"kind":"bigquery#tableDataInsertAllRequest","skipInvalidRows":true,"ignoreUnknownValues":false,"rows":[${rows.join(',')}]}`;
    const res = await ctx.limit(() => googleCall(config, key, ctx, url, body));
    if (!res.ok) {
      stop = { retry: 'auth' in res ? res.retry : true, error: clean(res.error) };
      return settle(items, stop);
    }
    if (res.status === 200) {
      let answer: InsertAllResponse;
      try {
        answer = JSON.parse(res.text) as InsertAllResponse;
      } catch {
        return settle(items, { retry: true, error: `bigquery.unreadable_response: ${truncateText(clean(res.text))}` });
      }
      const errors = new Map((answer.insertErrors ?? []).map((e) => [e.index, e.errors ?? []]));
      items.forEach((item, index) => {
        const errs = errors.get(index);
        if (!errs) return void result.delivered.push(item.id);
        const invalid = errs.find((e) => e.reason === 'invalid');
        if (invalid) {
          result.failed.push({ id: item.id, error: clean(truncateText(`bigquery.row_invalid: ${invalid.location ? `${invalid.location}: ` : ''}${invalid.message ?? ''}`)) });
        } else {
          // `stopped`: not inserted because another row failed; other reasons are BigQuery's own trouble.
          result.retry.push({ id: item.id, error: `bigquery.row_not_inserted: ${errs[0]?.reason ?? 'error'} ${truncateText(errs[0]?.message ?? '')}`.trim() });
        }
      });
      return;
    }
    const { reason, message } = errorReason(res.text);
    const error = clean(truncateText(`bigquery.http_${res.status}: ${reason ?? ''}${message ? `: ${message}` : ''}`));
    const after = parseRetryAfter(res.retryAfter, ctx.now());
    if (isRetryableStatus(res.status) || (res.status === 403 && reason !== undefined && RETRY_REASONS.has(reason))) {
      stop = { retry: true, error, ...(after !== undefined ? { retry_after_ms: after } : {}) };
      return settle(items, stop);
    }
    // 401 after a new token, 403 access denied, 404 no such table: every request would get the same.
    if (res.status === 401 || res.status === 403 || res.status === 404) stop = { retry: false, error };
    settle(items, { retry: false, error });
  };

  await Promise.all(chunks.map(deliver));
  if (result.failed.length > 0 || result.retry.length > 0) {
    ctx.log.warn('bigquery send incomplete', { destination: config.id, delivered: result.delivered.length, retry: result.retry.length, failed: result.failed.length });
  }
  return result;
}

/** A `jobs.query` parameter: a TIMESTAMP or an ARRAY<STRING>. */
type QueryParam = { name: string; parameterType: { type: string; arrayType?: { type: string } }; parameterValue: { value?: string; arrayValues?: { value: string }[] } };
const tsParam = (name: string, ms: number): QueryParam => ({ name, parameterType: { type: 'TIMESTAMP' }, parameterValue: { value: iso(ms) } });
const listParam = (name: string, values: readonly string[]): QueryParam => ({
  name,
  parameterType: { type: 'ARRAY', arrayType: { type: 'STRING' } },
  parameterValue: { arrayValues: values.map((value) => ({ value })) },
});

/** Run one GoogleSQL statement with named parameters; the affected or counted rows. Throws with a clean message. */
async function runQuery(config: BigQueryConfig, ctx: WarehouseContext, query: string, params: QueryParam[]): Promise<{ dml?: number; rows?: unknown[][] }> {
  const key = parseServiceAccountKey(config.credentials)!;
  const body = JSON.stringify({ kind: 'bigquery#queryRequest', query, useLegacySql: false, parameterMode: 'NAMED', queryParameters: params, timeoutMs: config.timeout_ms });
  type Answer = { jobComplete?: boolean; jobReference?: { jobId?: string; location?: string }; numDmlAffectedRows?: string; rows?: { f: { v: unknown }[] }[] };
  const call = async (url: string, payload?: string): Promise<Answer> => {
    const res = await googleCall(config, key, ctx, url, payload);
    if (!res.ok) throw new Error(res.error);
    if (res.status !== 200) {
      const { reason, message } = errorReason(res.text);
      const err = new Error(truncateText(`bigquery.http_${res.status}: ${reason ?? ''}${message ? `: ${message}` : ''}`));
      (err as Error & { streamingBuffer?: boolean }).streamingBuffer = /streaming buffer/i.test(message ?? '');
      throw err;
    }
    return JSON.parse(res.text) as Answer;
  };
  let answer = await call(`${base(config)}/queries`, body);
  // jobs.query answers jobComplete: false when the statement outlasts timeoutMs: wait for it with
  // jobs.getQueryResults, a few rounds; after that its outcome is unknown here (it may still finish).
  for (let round = 0; answer.jobComplete !== true && answer.jobReference?.jobId && round < JOB_POLLS; round++) {
    const { jobId, location } = answer.jobReference;
    const q = new URLSearchParams({ timeoutMs: String(config.timeout_ms), ...(location ? { location } : {}) });
    answer = await call(`${base(config)}/queries/${encodeURIComponent(jobId)}?${q}`);
  }
  if (answer.jobComplete !== true) throw new Error('bigquery.job_incomplete: the statement did not finish while tagrelay waited');
  return { dml: answer.numDmlAffectedRows !== undefined ? Number(answer.numDmlAffectedRows) : undefined, rows: answer.rows?.map((r) => r.f.map((c) => c.v)) };
}

/** Rounds of jobs.getQueryResults (each waits up to timeout_ms server-side) before a statement counts as unfinished. */
const JOB_POLLS = 6;

const tableRef = (c: BigQueryConfig) => `\`${c.project_id}.${c.dataset}.${c.table}\``;
const inBuffer = (e: unknown) => (e as { streamingBuffer?: boolean }).streamingBuffer === true;

/** The erasure's match (the rule of src/admin/dsr-subject.ts) over named array parameters. */
export const ERASURE_MATCH =
  '(event_id IN UNNEST(@event_ids) OR user_id IN UNNEST(@user_keys) ' +
  'OR (client_id IN UNNEST(@client_keys) AND (user_id IS NULL OR user_id IN UNNEST(@user_keys))) ' +
  "OR JSON_VALUE(data, '$.hashed_user.em') IN UNNEST(@hash_keys) OR JSON_VALUE(data, '$.hashed_user.ph') IN UNNEST(@hash_keys))";

async function purgeBigQuery(config: BigQueryConfig, rules: RetentionRules, ctx: WarehouseContext): Promise<WarehousePurgeCount[]> {
  const { rowTtl, fields } = warehouseRules(rules);
  const out: WarehousePurgeCount[] = [];
  if (rowTtl !== undefined) {
    // Partition expiration drops whole days; this DELETE makes the cut exact to the row.
    const cutoff = ctx.now() - rowTtl;
    const sql = `DELETE FROM ${tableRef(config)} WHERE received_at < @cutoff`;
    try {
      let dml: number | undefined;
      try {
        dml = (await runQuery(config, ctx, sql, [tsParam('cutoff', cutoff)])).dml;
      } catch (err) {
        if (!inBuffer(err)) throw err;
        // A late delivery of an old event is still in the streaming buffer: take the rest now, it next time.
        dml = (await runQuery(config, ctx, `${sql} AND inserted_at < @buffer_cutoff`, [tsParam('cutoff', cutoff), tsParam('buffer_cutoff', ctx.now() - STREAMING_BUFFER_MS)])).dml;
      }
      out.push({ destination: config.id, rule: 'events', action: 'delete', rows: dml ?? null });
    } catch (err) {
      out.push({ destination: config.id, rule: 'events', action: 'failed', rows: null, reason: failureText(err) });
    }
  }
  // The event's fields live in the JSON column of streamed rows; rewriting them per field is not offered.
  for (const [field] of fields) out.push({ destination: config.id, rule: `events.${field}`, action: 'not_supported', rows: null, reason: 'bigquery.field_rule_not_supported' });
  return out;
}

async function eraseBigQuery(config: BigQueryConfig, subject: WarehouseSubject, ctx: WarehouseContext): Promise<WarehouseErasure> {
  const params = [
    listParam('event_ids', subject.eventIds),
    listParam('user_keys', subject.userKeys),
    listParam('client_keys', subject.clientKeys),
    listParam('hash_keys', subject.hashKeys),
  ];
  if (params.every((p) => p.parameterValue.arrayValues!.length === 0)) return { type: 'bigquery', status: 'erased', rows: 0 };
  const sql = `DELETE FROM ${tableRef(config)} WHERE ${ERASURE_MATCH}`;
  try {
    try {
      return { type: 'bigquery', status: 'erased', rows: (await runQuery(config, ctx, sql, params)).dml ?? 0 };
    } catch (err) {
      if (!inBuffer(err)) throw err;
    }
    // Some of the subject's rows are in the streaming buffer, which DML cannot touch: delete the others,
    // count what is left, and say so. Running the erasure again after 90 minutes removes the rest.
    const bufferCutoff = tsParam('buffer_cutoff', ctx.now() - STREAMING_BUFFER_MS);
    const rows = (await runQuery(config, ctx, `${sql} AND inserted_at < @buffer_cutoff`, [...params, bufferCutoff])).dml ?? 0;
    const left = await runQuery(config, ctx, `SELECT COUNT(*) FROM ${tableRef(config)} WHERE ${ERASURE_MATCH}`, params);
    return { type: 'bigquery', status: 'partial', rows, remaining: Number(left.rows?.[0]?.[0] ?? 0), reason: 'bigquery.streaming_buffer' };
  } catch (err) {
    return { type: 'bigquery', status: 'failed', error: redact(failureText(err), [config.credentials]) };
  }
}

/** A key's shape for the example config (the docs show it; a real key comes from `${GOOGLE_SERVICE_ACCOUNT_KEY}`). */
const EXAMPLE_KEY = JSON.stringify({
  type: 'service_account',
  client_email: 'tagrelay@my-project-123.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----\nexample\n-----END PRIVATE KEY-----\n',
});

/** The BigQuery warehouse's outcomes, in words. */
const BIGQUERY_REASONS: ReasonTable = {
  'bigquery.row_invalid': () =>
    "BigQuery refused this row (insertErrors reason invalid: a value that does not fit the table's schema); it is not retried and is kept in the dead-letter store with BigQuery's message. The other rows of the request were inserted.",
  'bigquery.row_not_inserted': () =>
    'BigQuery did not insert this row for a reason other than its own content (another row stopped the request, or a BigQuery-side error); it is retried (insertId lets BigQuery drop a duplicate).',
  'bigquery.row_too_large': () =>
    "The row is larger than BigQuery's 10 MB insertAll request limit, so it can never be streamed; it is kept in the dead-letter store.",
  'bigquery.unreadable_response': () =>
    'BigQuery answered without a readable result, so it is unknown whether the rows arrived; they are retried (insertId lets BigQuery drop duplicates).',
  'bigquery.unreachable': () => 'BigQuery kept refusing the renewed access token; the delivery is retried.',
  'bigquery.credentials_invalid': () =>
    'The service-account key in credentials could not be used to sign (its private_key is not a PKCS#8 RSA key); nothing was sent. Download a new JSON key for the service account.',
  'bigquery.token_unreadable': () => "Google's token endpoint answered without an access token; the delivery is retried.",
  'bigquery.field_rule_not_supported': () =>
    'A retention rule for a single event field (events.<field>) is not applied in BigQuery: the fields live in the JSON column of streamed rows. The row itself is deleted by the events rule and partition expiration; the IP is never written there.',
  'bigquery.streaming_buffer': () =>
    "Some of the person's rows were streamed to BigQuery in the last 30–90 minutes and are still in its streaming buffer, which BigQuery's DML cannot change; those rows were not deleted. Run the erasure again after 90 minutes.",
  'bigquery.job_incomplete': () =>
    'The BigQuery statement (retention or erasure DELETE) had not finished while tagrelay waited for it (jobs.getQueryResults); whether it deleted the rows is unknown here — run it again or check the job in the BigQuery console.',
};

/**
 * The BigQuery warehouse. Hashing rule: the warehouse's (pseudonyms); the IP is dropped, since a
 * field cannot be expired early in streamed rows (`events.ip` retention).
 *
 * @example
 * { id: 'bq', type: 'bigquery', project_id: 'my-project-123', dataset: 'analytics', credentials: '${GOOGLE_SERVICE_ACCOUNT_KEY}' }
 */
export const bigquery = defineDestination({
  type: 'bigquery',
  configSchema: bigqueryConfigSchema,
  requires: ['analytics_storage'],
  whenDenied: 'anonymize',
  privacy: { hashing: WAREHOUSE_HASHING, ip: 'drop' },
  batch: { maxEvents: BIGQUERY_MAX_ROWS, maxWaitMs: 1000 },
  maxInFlight: 8,
  map(event) {
    return { payload: bigqueryRow(event) };
  },
  send: sendBigQuery,
  warehouse: { purge: purgeBigQuery, erase: eraseBigQuery },
  reasons: {
    area: 'bigquery',
    vendor: 'BigQuery',
    codes: BIGQUERY_REASONS,
    prefixes: {
      'bigquery.http_': {
        part: HTTP_STATUS,
        describe: (status) =>
          Number(status) === 403
            ? 'BigQuery answered HTTP 403: a rate or quota limit (rateLimitExceeded, quotaExceeded) is retried with backoff; access denied is permanent and the events are kept in the dead-letter store.'
            : httpWords('BigQuery', status),
      },
      'bigquery.token_http_': {
        part: HTTP_STATUS,
        describe: (status) =>
          Number(status) >= 500 || Number(status) === 429
            ? `Google's token endpoint answered HTTP ${status}, a temporary failure: the delivery is retried with backoff.`
            : `Google's token endpoint refused the service account's signed assertion (HTTP ${status}, e.g. invalid_grant: a revoked key or a wrong client_email): nothing was sent and the events are kept in the dead-letter store.`,
      },
    },
  },
  ...WAREHOUSE_IDENTITY,
  docs: { vendor: 'https://cloud.google.com/bigquery/docs/reference/rest/v2/tabledata/insertAll', page: 'docs/destinations/bigquery.md' },
  example: { id: 'bq', type: 'bigquery', project_id: 'my-project-123', dataset: 'analytics', credentials: EXAMPLE_KEY },
});
