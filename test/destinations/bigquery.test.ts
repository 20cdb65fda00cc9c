/**
 * The BigQuery destination against the local BigQuery fake (test/fakes/bigquery-fake.ts): the OAuth
 * assertion verified with the key's public half, token caching and renewal, insertAll with per-row
 * errors and limits, retention and erasure DML (with the streaming buffer).
 */
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BIGQUERY_MAX_ROWS, bigquery, bigqueryConfigSchema, createTableDdl, type BigQueryConfig, type BigQueryRow } from '../../src/destinations/bigquery.js';
import type { OutboxItem, SendContext } from '../../src/destinations/types.js';
import { captureLog } from '../helpers/runtime.js';
import { startBigQueryFake, TAGRELAY_SCHEMA, type BigQueryFake } from '../fakes/bigquery-fake.js';

const DAY = 86_400_000;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
const otherKeys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

let clock = Date.UTC(2026, 10, 29, 12, 0, 0);
let fake: BigQueryFake;
let seq = 0;
let email = '';

beforeEach(async () => {
  clock = Date.UTC(2026, 10, 29, 12, 0, 0);
  // A new service account per test: the token cache is per account and token URI.
  email = `tagrelay-${++seq}@my-project-123.iam.gserviceaccount.com`;
  fake = await startBigQueryFake({
    projectId: 'my-project-123',
    dataset: 'analytics',
    tables: { tagrelay_events: TAGRELAY_SCHEMA },
    clientEmail: email,
    publicKey: keys.publicKey,
    tokenTtlS: 3599,
    now: () => clock,
  });
});
afterEach(() => fake.close());

function keyJson(privateKey = keys.privateKey): string {
  return JSON.stringify({ type: 'service_account', project_id: 'my-project-123', private_key_id: 'k1', private_key: privateKey, client_email: email, token_uri: fake.tokenUri });
}

function config(over: Partial<BigQueryConfig> = {}): BigQueryConfig {
  return bigqueryConfigSchema.parse({ id: 'bq', type: 'bigquery', project_id: 'my-project-123', dataset: 'analytics', credentials: keyJson(), endpoint: fake.url, ...over });
}

function ctx(): SendContext {
  return { fetch: (i, init) => fetch(i, init), now: () => clock, log: captureLog(), db: undefined as never, limit: (fn) => fn() };
}

function row(id: string, over: Partial<BigQueryRow> = {}): BigQueryRow {
  const at = new Date(clock).toISOString();
  return { event_id: id, name: 'purchase', time: at, received_at: at, client_id: null, session_id: null, user_id: null, page_url: null, data: '{"params":{"value":12.5}}', ...over };
}
const items = (rows: BigQueryRow[]): OutboxItem<BigQueryRow>[] => rows.map((payload, i) => ({ id: i + 1, event_id: payload.event_id, payload, attempts: 0, created_at: clock }));
const stored = () => fake.tables.tagrelay_events!.map((r) => r.json.event_id).sort();
const inserts = () => fake.received.filter((r) => r.path.endsWith('/insertAll'));

describe('bigquery config', () => {
  it('refuses credentials that are not a service-account key, without echoing them', () => {
    const r = bigqueryConfigSchema.safeParse({ id: 'bq', type: 'bigquery', project_id: 'my-project-123', dataset: 'analytics', credentials: '{"type":"authorized_user","secret":"s3"}' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).not.toContain('s3');
  });

  it('the documented DDL partitions by day and expires partitions after the events rule', () => {
    const ddl = createTableDdl({ project_id: 'p-123456', dataset: 'analytics', table: 'tagrelay_events' }, 395 * DAY);
    expect(ddl).toContain('PARTITION BY DATE(received_at)');
    expect(ddl).toContain('OPTIONS (partition_expiration_days = 395)');
    for (const f of TAGRELAY_SCHEMA) expect(ddl).toMatch(new RegExp(`\\b${f.name} ${f.type}${f.mode === 'REQUIRED' ? ' NOT NULL' : ''}\\b`));
  });
});

describe('bigquery send (fake BigQuery)', () => {
  it('signs the assertion, gets one token, streams every row with insertId = event id; the next batch reuses the token', async () => {
    const res = await bigquery.send(items([row('e1', { user_id: 'u1' }), row('e2')]), config(), ctx());
    expect(res).toEqual({ delivered: [1, 2], retry: [], failed: [] });
    expect(stored()).toEqual(['e1', 'e2']);
    const [req] = inserts();
    expect(req!.headers.authorization).toMatch(/^Bearer ya29\.fake-/);
    const body = req!.body as { skipInvalidRows: boolean; ignoreUnknownValues: boolean; rows: { insertId: string; json: Record<string, unknown> }[] };
    expect(body.skipInvalidRows).toBe(true);
    expect(body.ignoreUnknownValues).toBe(false);
    expect(body.rows.map((r) => r.insertId)).toEqual(['e1', 'e2']);
    expect(body.rows[0]!.json).toEqual({ ...row('e1', { user_id: 'u1' }), inserted_at: new Date(clock).toISOString() });

    await bigquery.send(items([row('e3')]), config(), ctx());
    expect(fake.tokensIssued()).toBe(1);
    expect(stored()).toEqual(['e1', 'e2', 'e3']);
  });

  it('a redelivered batch (same insertIds) within a minute lands once', async () => {
    await bigquery.send(items([row('d1'), row('d2')]), config(), ctx());
    await bigquery.send(items([row('d1'), row('d2')]), config(), ctx());
    expect(stored()).toEqual(['d1', 'd2']);
  });

  it('renews the token shortly before it expires, without a 401', async () => {
    await bigquery.send(items([row('a')]), config(), ctx());
    clock += 3599_000 - 30_000; // inside the renewal margin
    await bigquery.send(items([row('b')]), config(), ctx());
    expect(fake.tokensIssued()).toBe(2);
    expect(fake.received.filter((r) => r.status === 401)).toEqual([]);
  });

  it('a 401 (token expired or revoked early) renews the token once and the batch is delivered', async () => {
    await bigquery.send(items([row('a')]), config(), ctx());
    fake.expireTokens();
    const res = await bigquery.send(items([row('b')]), config(), ctx());
    expect(res.delivered).toEqual([1]);
    expect(fake.received.filter((r) => r.status === 401)).toHaveLength(1);
    expect(fake.tokensIssued()).toBe(2);
  });

  it('per-row insertErrors fail only their rows (dead letter with the reason); the rest are inserted', async () => {
    const res = await bigquery.send(items([row('ok1'), row('bad', { time: 'yesterday' }), row('ok2'), row('bad2', { data: '{not json' })]), config(), ctx());
    expect(res.delivered).toEqual([1, 3]);
    expect(res.retry).toEqual([]);
    expect(res.failed).toEqual([
      { id: 2, error: expect.stringMatching(/^bigquery\.row_invalid: time: Could not parse 'yesterday' as a timestamp/) },
      { id: 4, error: 'bigquery.row_invalid: data: Invalid JSON value for field data.' },
    ]);
    expect(stored()).toEqual(['ok1', 'ok2']);
  });

  it('splits a batch into requests of at most 500 rows, sent concurrently', async () => {
    const rows = Array.from({ length: 1203 }, (_, i) => row(`r${i}`));
    const res = await bigquery.send(items(rows), config(), ctx());
    expect(res.delivered).toHaveLength(1203);
    expect(inserts().map((r) => (r.body as { rows: unknown[] }).rows.length)).toEqual([BIGQUERY_MAX_ROWS, BIGQUERY_MAX_ROWS, 203]);
    expect(fake.tables.tagrelay_events).toHaveLength(1203);
  });

  it('a row larger than the 10 MB request limit fails alone; its neighbours are sent', async () => {
    const res = await bigquery.send(items([row('small'), row('huge', { data: JSON.stringify({ blob: 'x'.repeat(10 * 1024 * 1024) }) })]), config(), ctx());
    expect(res.delivered).toEqual([1]);
    expect(res.failed).toEqual([{ id: 2, error: expect.stringMatching(/^bigquery\.row_too_large: /) }]);
  });

  it('a key whose signature does not verify gets invalid_grant: failed for good, no key material in the error', async () => {
    const res = await bigquery.send(items([row('a'), row('b')]), config({ credentials: keyJson(otherKeys.privateKey) }), ctx());
    expect(res.delivered).toEqual([]);
    expect(res.failed.map((f) => f.id)).toEqual([1, 2]);
    expect(res.failed[0]!.error).toBe('bigquery.token_http_400: {"error":"invalid_grant","error_description":"Invalid JWT Signature."}');
    expect(JSON.stringify(res)).not.toContain('PRIVATE KEY');
    expect(inserts()).toEqual([]);
  });

  it('a missing table (404) fails the batch for good with Google\'s message', async () => {
    const res = await bigquery.send(items([row('a')]), config({ table: 'nope' }), ctx());
    expect(res.failed).toEqual([{ id: 1, error: 'bigquery.http_404: notFound: Not found: Table my-project-123:analytics.nope' }]);
  });

  it('403 rateLimitExceeded and 503 are retried (Retry-After honoured); 403 accessDenied is not', async () => {
    const limited = JSON.stringify({ error: { code: 403, message: 'Exceeded rate limits', errors: [{ reason: 'rateLimitExceeded', message: 'Exceeded rate limits', domain: 'usageLimits' }], status: 'PERMISSION_DENIED' } });
    await bigquery.send(items([row('warm')]), config(), ctx());
    fake.failNext({ status: 403, body: limited });
    const a = await bigquery.send(items([row('a')]), config(), ctx());
    expect(a.retry).toEqual([{ id: 1, error: 'bigquery.http_403: rateLimitExceeded: Exceeded rate limits' }]);
    fake.failNext({ status: 503, body: '{"error":{"code":503,"message":"Service unavailable","status":"UNAVAILABLE"}}', retryAfter: '7' });
    const b = await bigquery.send(items([row('b')]), config(), ctx());
    expect(b.retry).toEqual([{ id: 1, error: 'bigquery.http_503: UNAVAILABLE: Service unavailable', retry_after_ms: 7000 }]);
    const c = await bigquery.send(items([row('c')]), config({ project_id: 'other-project-9' }), ctx());
    expect(c.failed[0]!.error).toMatch(/^bigquery\.http_403: accessDenied: /);
  });
});

describe('bigquery retention and erasure (fake BigQuery, jobs.query DML)', () => {
  async function load(rows: BigQueryRow[]) {
    expect((await bigquery.send(items(rows), config(), ctx())).delivered).toHaveLength(rows.length);
  }
  const daysAgo = (d: number) => new Date(clock - d * DAY).toISOString();

  it('the purge deletes exactly the rows past the events rule (parameterized DELETE); field rules are not supported', async () => {
    await load([row('d1', { received_at: daysAgo(1) }), row('d40', { received_at: daysAgo(40) }), row('d400', { received_at: daysAgo(400) })]);
    clock += 2 * 3600_000; // out of the streaming buffer
    const counts = await bigquery.warehouse!.purge(config(), { events: 30 * DAY, 'events.ip': 7 * DAY }, ctx());
    expect(counts).toEqual([
      { destination: 'bq', rule: 'events', action: 'delete', rows: 2 },
      { destination: 'bq', rule: 'events.ip', action: 'not_supported', rows: null, reason: 'bigquery.field_rule_not_supported' },
    ]);
    expect(stored()).toEqual(['d1']);
    expect(fake.queries).toEqual([{ query: 'DELETE FROM `my-project-123.analytics.tagrelay_events` WHERE received_at < @cutoff', params: { cutoff: clock - 30 * DAY } }]);
  });

  it('erasure deletes exactly the subject rows by id, user key, client key without another user, email key', async () => {
    const em = 'e'.repeat(64);
    await load([
      row('u-own', { user_id: 'U' }),
      row('c-anon', { client_id: 'C' }),
      row('c-other', { client_id: 'C', user_id: 'OTHER' }),
      row('by-email', { data: JSON.stringify({ hashed_user: { em } }) }),
      row('by-id'),
      row('bystander', { user_id: 'B' }),
    ]);
    clock += 2 * 3600_000;
    const receipt = await bigquery.warehouse!.erase(config(), { eventIds: ['by-id'], userKeys: ['U'], clientKeys: ['C'], hashKeys: [em] }, ctx());
    expect(receipt).toEqual({ type: 'bigquery', status: 'erased', rows: 4 });
    expect(stored()).toEqual(['bystander', 'c-other']);
  });

  it('a DML job still running when jobs.query answers is awaited with jobs.getQueryResults', async () => {
    await load([row('old', { received_at: daysAgo(40) }), row('new')]);
    clock += 2 * 3600_000;
    fake.slowJobs(1);
    expect(await bigquery.warehouse!.purge(config(), { events: 30 * DAY }, ctx())).toEqual([{ destination: 'bq', rule: 'events', action: 'delete', rows: 1 }]);
    const polled = fake.received.filter((r) => r.method === 'GET');
    expect(polled).toHaveLength(1);
    expect(polled[0]!.path).toMatch(/^\/bigquery\/v2\/projects\/my-project-123\/queries\/job_[0-9a-f]+$/);
    expect(polled[0]!.query).toMatchObject({ location: 'EU', timeoutMs: '10000' });
    expect(stored()).toEqual(['new']);
  });

  it('rows still in the streaming buffer cannot be deleted: the receipt says partial, with what is left', async () => {
    await load([row('old', { user_id: 'U' })]);
    clock += 2 * 3600_000;
    await load([row('fresh', { user_id: 'U' }), row('other', { user_id: 'B' })]);
    const receipt = await bigquery.warehouse!.erase(config(), { eventIds: [], userKeys: ['U'], clientKeys: [], hashKeys: [] }, ctx());
    expect(receipt).toEqual({ type: 'bigquery', status: 'partial', rows: 1, remaining: 1, reason: 'bigquery.streaming_buffer' });
    expect(stored()).toEqual(['fresh', 'other']);
    // 90 minutes on, the erasure run again removes the rest.
    clock += 91 * 60_000;
    expect(await bigquery.warehouse!.erase(config(), { eventIds: [], userKeys: ['U'], clientKeys: [], hashKeys: [] }, ctx())).toEqual({ type: 'bigquery', status: 'erased', rows: 1 });
    expect(stored()).toEqual(['other']);
  });
});
