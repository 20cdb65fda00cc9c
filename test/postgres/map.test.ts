import { describe, expect, it } from 'vitest';
import {
  PG_MAX_ROWS,
  classifyPgFailure,
  connectionSecrets,
  createTableSql,
  insertParams,
  insertSql,
  postgres,
  postgresConfigSchema,
} from '../../src/destinations/postgres.js';
import { sqlite } from '../../src/destinations/sqlite.js';
import { destinationConfigSchema } from '../../src/destinations/index.js';
import type { EventRow } from '../../src/destinations/sqlite.js';
import { consent, event, T0 } from '../destinations/fixtures.js';

const CONFIG = postgresConfigSchema.parse({ id: 'wh', type: 'postgres', connection_string: 'postgres://u:s3cret@db:5432/x' });
const MAP_CTX = { action: 'send' as const, reasons: [] };

describe('postgres map (golden)', () => {
  const input = event({
    event_id: 'evt-42',
    name: 'purchase',
    time: T0,
    received_at: T0 + 1500,
    params: { value: 9.5, currency: 'EUR' },
    items: [{ item_id: 'SKU1', price: 9.5, quantity: 1 }],
    user: { user_id: 'p:0f0f' },
    hashed_user: { em: 'a'.repeat(64) },
    salt_id: 's1',
    page: { url: 'https://shop.example/checkout' },
    request: { source: 'native', headers: {}, cookies: {}, ip: '203.0.113.0' },
  });

  it('maps a minimized event to the warehouse row', () => {
    const result = postgres.map(input, CONFIG, MAP_CTX);
    expect('payload' in result).toBe(true);
    const row = (result as { payload: EventRow }).payload;
    expect({ ...row, data: JSON.parse(row.data) }).toEqual({
      event_id: 'evt-42',
      name: 'purchase',
      time: 1714564800000,
      received_at: 1714564801500,
      client_id: '1234567890.1714564800',
      session_id: '1714564800',
      user_id: 'p:0f0f',
      page_url: 'https://shop.example/checkout',
      consent_mode: 'send',
      device_type: null,
      country: null,
      channel: null,
      source: null,
      medium: null,
      campaign: null,
      value: 9.5,
      currency: 'EUR',
      kind: null,
      rule_id: null,
      data: {
        params: { value: 9.5, currency: 'EUR' },
        items: [{ item_id: 'SKU1', price: 9.5, quantity: 1 }],
        user: { user_id: 'p:0f0f' },
        hashed_user: { em: 'a'.repeat(64) },
        salt_id: 's1',
        page: { url: 'https://shop.example/checkout' },
        client: { client_id: '1234567890.1714564800', session_id: '1714564800', engagement_time_msec: 120 },
        consent: consent(),
        source: 'native',
        ip: '203.0.113.0',
      },
    });
  });

  it('is the same row the embedded sqlite warehouse stores', () => {
    expect(postgres.map(input, CONFIG, MAP_CTX)).toEqual(sqlite.map(input, { id: 'lake', type: 'sqlite' } as never, MAP_CTX));
  });

  it('is pure: same input, same output, input untouched', () => {
    const before = structuredClone(input);
    expect(postgres.map(input, CONFIG, MAP_CTX)).toEqual(postgres.map(input, CONFIG, MAP_CTX));
    expect(input).toEqual(before);
  });

  it('binds twenty parameters per row (the report columns last), times as ISO 8601', () => {
    const row = (postgres.map(input, CONFIG, MAP_CTX) as { payload: EventRow }).payload;
    const params = insertParams([row, { ...row, event_id: 'evt-43', time: Number.NaN }]);
    expect(params).toHaveLength(40);
    expect(params.slice(0, 4)).toEqual(['evt-42', 'purchase', '2024-05-01T12:00:00.000Z', '2024-05-01T12:00:01.500Z']);
    expect(params.slice(9, 20)).toEqual(['send', null, null, null, null, null, null, 9.5, 'EUR', null, null]);
    expect(params[22]).toBeNull();
  });

  it('records the consent mode the warehouse received the event under', () => {
    const row = (postgres.map(input, CONFIG, { action: 'anonymize', reasons: [] }) as { payload: EventRow }).payload;
    expect(row.consent_mode).toBe('anonymize');
  });
});

describe('postgres SQL', () => {
  it('creates the documented table', () => {
    expect(createTableSql({ schema: 'analytics', table: 'events' })).toBe(
      'CREATE TABLE IF NOT EXISTS "analytics"."events" (event_id text PRIMARY KEY, name text NOT NULL, time timestamptz NOT NULL, ' +
        'received_at timestamptz NOT NULL, client_id text, session_id text, user_id text, page_url text, data jsonb NOT NULL, ' +
        'consent_mode text, device_type text, country text, channel text, source text, medium text, campaign text, value float8, currency text, kind text, rule_id text)',
    );
  });

  it('inserts many rows in one idempotent statement', () => {
    const cols = 'event_id, name, time, received_at, client_id, session_id, user_id, page_url, data, consent_mode, device_type, country, channel, source, medium, campaign, value, currency, kind, rule_id';
    const tuple = (o: number) =>
      `($${o + 1}, $${o + 2}, $${o + 3}::timestamptz, $${o + 4}::timestamptz, $${o + 5}, $${o + 6}, $${o + 7}, $${o + 8}, $${o + 9}::jsonb, ` +
      Array.from({ length: 11 }, (_, i) => `$${o + 10 + i}${i === 7 ? '::float8' : ''}`).join(', ') +
      ')';
    expect(insertSql({ schema: 'public', table: 't' }, 2)).toBe(`INSERT INTO "public"."t" (${cols}) VALUES ${tuple(0)}, ${tuple(20)} ON CONFLICT (event_id) DO NOTHING`);
  });

  it('stays under the 65535 bind parameters of one statement', () => {
    expect(PG_MAX_ROWS * 20).toBeLessThanOrEqual(65535);
    expect(insertSql({ schema: 'public', table: 't' }, PG_MAX_ROWS)).toContain(`$${PG_MAX_ROWS * 20})`);
  });
});

describe('postgres config', () => {
  const base = { id: 'wh', type: 'postgres', connection_string: 'postgresql://u:pw@h/db' };
  const cases: { name: string; input: Record<string, unknown>; ok: boolean }[] = [
    { name: 'defaults', input: base, ok: true },
    { name: 'custom schema and table', input: { ...base, schema: 'analytics', table: 'web_events' }, ok: true },
    { name: 'quote in table', input: { ...base, table: 'x"; DROP TABLE y; --' }, ok: false },
    { name: 'upper case table', input: { ...base, table: 'Events' }, ok: false },
    { name: 'dotted schema', input: { ...base, schema: 'a.b' }, ok: false },
    { name: 'table too long', input: { ...base, table: 'x'.repeat(64) }, ok: false },
    { name: 'not a postgres URL', input: { ...base, connection_string: 'mysql://u:pw@h/db' }, ok: false },
    { name: 'empty connection string', input: { ...base, connection_string: '' }, ok: false },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.ok ? 'valid' : 'invalid'}`, () => {
      expect(destinationConfigSchema.safeParse(c.input).success).toBe(c.ok);
    });
  }

  it('fills the defaults', () => {
    expect(postgresConfigSchema.parse(base)).toMatchObject({ schema: 'public', table: 'tagrelay_events', create_table: true, enabled: true });
  });

  it('never echoes a rejected connection string in the error', () => {
    const result = postgresConfigSchema.safeParse({ ...base, connection_string: 'mysql://admin:hunter2@db/x' });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain('hunter2');
  });
});

describe('postgres failure classification', () => {
  const secrets = connectionSecrets('postgres://app:p%40ss@db.internal:5432/warehouse');
  const fail = (sqlstate: string | undefined, message = 'boom') => Object.assign(new Error(message), sqlstate ? { sqlstate } : {});
  const cases: { state: string | undefined; kind: 'retry' | 'failed'; rowLevel: boolean; what: string }[] = [
    { state: undefined, kind: 'retry', rowLevel: false, what: 'connection refused / timeout (no SQLSTATE)' },
    { state: '08006', kind: 'retry', rowLevel: false, what: 'connection failure' },
    { state: '08001', kind: 'retry', rowLevel: false, what: 'unable to connect' },
    { state: '40001', kind: 'retry', rowLevel: false, what: 'serialization failure' },
    { state: '40P01', kind: 'retry', rowLevel: false, what: 'deadlock' },
    { state: '57P03', kind: 'retry', rowLevel: false, what: 'cannot connect now (starting up)' },
    { state: '57P01', kind: 'retry', rowLevel: false, what: 'admin shutdown' },
    { state: '57014', kind: 'retry', rowLevel: false, what: 'statement timeout' },
    { state: '53300', kind: 'retry', rowLevel: false, what: 'too many connections' },
    { state: '42P01', kind: 'failed', rowLevel: false, what: 'undefined table' },
    { state: '42501', kind: 'failed', rowLevel: false, what: 'permission denied' },
    { state: '42601', kind: 'failed', rowLevel: false, what: 'syntax error' },
    { state: '28P01', kind: 'failed', rowLevel: false, what: 'password authentication failed' },
    { state: '3D000', kind: 'failed', rowLevel: false, what: 'database does not exist' },
    { state: '22P05', kind: 'failed', rowLevel: true, what: 'untranslatable character in jsonb' },
    { state: '22021', kind: 'failed', rowLevel: true, what: 'invalid byte sequence (NUL)' },
    { state: '23502', kind: 'failed', rowLevel: true, what: 'not null violation' },
  ];
  for (const c of cases) {
    it(`${c.state ?? 'no SQLSTATE'} (${c.what}) → ${c.kind}${c.rowLevel ? ', row level' : ''}`, () => {
      const v = classifyPgFailure(fail(c.state), secrets);
      expect([v.kind, v.rowLevel]).toEqual([c.kind, c.rowLevel]);
      expect(v.error).toBe(c.state ? `postgres.sqlstate_${c.state}: boom` : 'postgres.connection: boom');
    });
  }

  it('masks the connection string and its password, encoded or not', () => {
    const v = classifyPgFailure(fail(undefined, 'cannot reach postgres://app:p%40ss@db.internal:5432/warehouse (password p@ss, p%40ss)'), secrets);
    expect(v.error).not.toMatch(/p@ss|p%40ss|app:/);
    expect(v.error).toContain('****');
  });
});
