/**
 * Warehouses end to end, over HTTP: the real tagrelay process (CLI `serve`), a real ClickHouse server, a real
 * PostgreSQL server and the BigQuery fake. Events sent to tagrelay arrive as exactly the expected rows in
 * each; a data-subject erasure through the admin API removes exactly the person's rows and its receipt
 * lists every store, with BigQuery's streaming buffer reported as what it is.
 */
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { startBigQueryFake, TAGRELAY_SCHEMA, type BigQueryFake } from '../fakes/bigquery-fake.js';
import { CH_PASSWORD, CH_USER, useClickHouse } from '../clickhouse/server.js';
import { sql, usePostgres } from '../postgres/server.js';
import { generateSigningKey } from '../../src/consent/receipts.js';

const ch = useClickHouse();
const pg = usePostgres();
const SALT = 'e2e-warehouse-salt-0123456789';
const hmac = (v: string) => createHmac('sha256', SALT).update(v).digest('hex');
const EMAIL = 'ada.lovelace@example.org';

let bq: BigQueryFake;
let server: StartedProcess;
let dir: string;
let token: string;
let base: string;
let env: Record<string, string>;
let configFile: string;

beforeAll(async () => {
  const keys = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });
  const email = 'tagrelay-e2e@my-project-123.iam.gserviceaccount.com';
  bq = await startBigQueryFake({ projectId: 'my-project-123', dataset: 'analytics', tables: { tagrelay_events: TAGRELAY_SCHEMA }, clientEmail: email, publicKey: keys.publicKey });
  dir = mkdtempSync(join(tmpdir(), 'tagrelay-wh-'));
  const { privateJwk } = await generateSigningKey();
  const config = {
    dev_mode: false,
    privacy: { pseudonymization: { salt: SALT, salt_id: 'e2e' } },
    consent: { receipts: { signing_key: JSON.stringify(privateJwk) } },
    admin: { jwt: { secret: ADMIN_SECRET } },
    delivery: { backoff_base: '20ms', backoff_max: '200ms', poll_interval: '50ms' },
    destinations: [
      { id: 'lake', type: 'sqlite' },
      { id: 'ch', type: 'clickhouse', url: ch.server.url, username: CH_USER, password: '${CH_PASSWORD}', table: 'e2e_events', batch: { max_wait_ms: 0 } },
      { id: 'bq', type: 'bigquery', project_id: 'my-project-123', dataset: 'analytics', credentials: '${BQ_KEY}', endpoint: bq.url, batch: { max_wait_ms: 0 } },
      { id: 'pg', type: 'postgres', connection_string: pg.url, table: 'e2e_events', batch: { max_wait_ms: 0 } },
    ],
  };
  const file = join(dir, 'tagrelay.yaml');
  writeFileSync(file, stringify(config));
  const key = JSON.stringify({ type: 'service_account', project_id: 'my-project-123', private_key_id: 'e2e', private_key: keys.privateKey, client_email: email, token_uri: bq.tokenUri });
  env = { TAGRELAY_DATA_DIR: dir, CH_PASSWORD, BQ_KEY: key };
  configFile = file;
  server = await startProcess(['serve', '--config', file], env);
  base = `http://127.0.0.1:${server.port}`;
  token = await hsToken({ sub: 'e2e', scope: 'dsr:read dsr:write' }, { exp: '1h' });
}, 60_000);

afterAll(async () => {
  const code = await server?.stop();
  await bq?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  expect(code).toBe(0);
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // A table the destination has not created yet answers an error: keep waiting.
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${server.stderr().slice(-1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Expected {
  event_id: string;
  name: string;
  user_id: string;
  client_id: string;
  page_url: string;
}

describe('warehouses end to end (real ClickHouse, real PostgreSQL, BigQuery fake)', () => {
  const events = [
    { event_id: 'e2e-wh-1', name: 'page_view', user: { user_id: 'crm-1', email: EMAIL }, client: { client_id: 'cid-1' }, page: { url: 'https://shop.example/' } },
    { event_id: 'e2e-wh-2', name: 'purchase', params: { value: 42.5, currency: 'EUR' }, user: { user_id: 'crm-1' }, client: { client_id: 'cid-1' }, page: { url: 'https://shop.example/checkout' } },
    { event_id: 'e2e-wh-3', name: 'sign_up', user: { user_id: 'crm-2' }, client: { client_id: 'cid-2' }, page: { url: 'https://shop.example/welcome' } },
  ].map((e) => ({ ...e, consent: { analytics_storage: 'granted' } }));
  const expected: Expected[] = events.map((e) => ({ event_id: e.event_id, name: e.name, user_id: hmac(e.user.user_id), client_id: hmac(e.client.client_id), page_url: e.page.url }));

  it('events sent over HTTP arrive as exactly the expected rows in ClickHouse, BigQuery and PostgreSQL', async () => {
    const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 3 });

    const chRows = await until('3 rows in ClickHouse', async () => {
      const rows = await ch.server.rows<Expected & { data: string }>('SELECT event_id, name, user_id, client_id, page_url, data FROM default.e2e_events FINAL ORDER BY event_id');
      return rows.length >= 3 ? rows : undefined;
    });
    expect(chRows.map(({ data: _, ...r }) => r)).toEqual(expected);

    const bqRows = await until('3 rows in BigQuery', async () => (bq.tables.tagrelay_events!.length >= 3 ? bq.tables.tagrelay_events! : undefined));
    expect(bqRows.map((r) => ({ event_id: r.json.event_id, name: r.json.name, user_id: r.json.user_id, client_id: r.json.client_id, page_url: r.json.page_url })).sort((a, b) => String(a.event_id).localeCompare(String(b.event_id)))).toEqual(expected);
    // insertId is the event id: a redelivery cannot double a row.
    const sent = bq.received.filter((r) => r.path.endsWith('/insertAll')).flatMap((r) => (r.body as { rows: { insertId: string }[] }).rows.map((x) => x.insertId));
    expect(new Set(sent)).toEqual(new Set(expected.map((e) => e.event_id)));

    const pgRows = await until('3 rows in PostgreSQL', async () => {
      const rows = await sql<Expected>(pg.url, 'SELECT event_id, name, user_id, client_id, page_url FROM public.e2e_events ORDER BY event_id');
      return rows.length >= 3 ? rows : undefined;
    });
    expect(pgRows).toEqual(expected);

    // The same rows as the embedded warehouse; no clear email, user id or IP anywhere.
    const lake = new Database(join(dir, 'tagrelay.db'), { readonly: true });
    const local = lake.prepare('SELECT event_id, name, user_id, client_id, page_url FROM events ORDER BY event_id').all();
    lake.close();
    expect(local).toEqual(expected);
    const everything = JSON.stringify([chRows, bqRows.map((r) => r.json)]);
    for (const clear of [EMAIL, 'crm-1', 'crm-2', 'cid-1']) expect(everything).not.toContain(clear);
    expect(everything).not.toMatch(/"ip"/);
    // The BigQuery row's JSON column carries the keyed email hash, as the embedded warehouse does.
    const first = JSON.parse(String(bqRows.find((r) => r.json.event_id === 'e2e-wh-1')!.json.data)) as { hashed_user?: { em?: string } };
    expect(first.hashed_user?.em).toMatch(/^[a-f0-9]{64}$/);
  });

  it('an erasure through the admin API removes exactly the person\'s rows in every store; the receipt lists each, BigQuery\'s buffer honestly', async () => {
    const res = await fetch(`${base}/admin/v1/erasure`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: 'crm-1' }),
    });
    expect(res.status).toBe(200);
    const receipt = (await res.json()) as { counts: { events: number }; warehouses: Record<string, unknown> };
    expect(receipt.counts.events).toBe(2);
    expect(receipt.warehouses).toEqual({
      ch: { type: 'clickhouse', status: 'erased', rows: 2 },
      pg: { type: 'postgres', status: 'erased', rows: 2 },
      // Streamed seconds ago: still in BigQuery's streaming buffer, which DML cannot change.
      bq: { type: 'bigquery', status: 'partial', rows: 0, remaining: 2, reason: 'bigquery.streaming_buffer' },
    });
    expect(JSON.stringify(receipt)).not.toContain('crm-1');

    expect((await ch.server.rows<{ event_id: string }>('SELECT event_id FROM default.e2e_events')).map((r) => r.event_id)).toEqual(['e2e-wh-3']);
    expect((await sql<{ event_id: string }>(pg.url, 'SELECT event_id FROM public.e2e_events')).map((r) => r.event_id)).toEqual(['e2e-wh-3']);
    expect(bq.tables.tagrelay_events!.map((r) => r.json.event_id).sort()).toEqual(['e2e-wh-1', 'e2e-wh-2', 'e2e-wh-3']);
    // (The startup retention purge ran its own DELETE before.) The DELETE BigQuery refused, then the one
    // limited to rows out of the buffer, then the count of what is left.
    const erasure = bq.queries.filter((q) => q.query.includes('UNNEST(@user_keys)'));
    expect(erasure.map((q) => q.query.replace(/ WHERE .*/, ''))).toEqual([
      'DELETE FROM `my-project-123.analytics.tagrelay_events`',
      'DELETE FROM `my-project-123.analytics.tagrelay_events`',
      'SELECT COUNT(*) FROM `my-project-123.analytics.tagrelay_events`',
    ]);
    expect(erasure[0]!.params).toMatchObject({ user_keys: [hmac('crm-1')] });
  });

  it('the retention purge through the admin API reaches every warehouse (nothing is due yet)', async () => {
    const res = await fetch(`${base}/admin/v1/retention/purge`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { warehouses: { destination: string; rule: string; action: string; rows: number | null }[] };
    const rows = body.warehouses.filter((w) => w.rule === 'events').sort((a, b) => a.destination.localeCompare(b.destination));
    expect(rows).toEqual([
      { destination: 'bq', rule: 'events', action: 'delete', rows: 0 },
      { destination: 'ch', rule: 'events', action: 'delete', rows: 0 },
      { destination: 'pg', rule: 'events', action: 'delete', rows: 0 },
    ]);
    expect(body.warehouses.filter((w) => w.rule === 'events.ip').map((w) => [w.destination, w.action]).sort()).toEqual([
      ['bq', 'not_supported'],
      ['ch', 'not_supported'],
      ['pg', 'null_field'],
    ]);
  });

  it('`tagrelay purge` (the CLI) applies the retention rules to the warehouses too', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', 'purge', '--config', configFile], {
      env: { ...process.env, ...env, TAGRELAY_LOG_LEVEL: 'error' },
    });
    for (const id of ['ch', 'bq', 'pg']) expect(stdout).toMatch(new RegExp(`^  ${id}:events\\s+delete\\s+0 row\\(s\\)$`, 'm'));
    expect(stdout).toMatch(/^ {2}ch:events\.ip\s+not_supported\s+- row\(s\) \(clickhouse\.field_rule_not_supported\)$/m);
  });
});
