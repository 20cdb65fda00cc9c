/**
 * Retention and data-subject erasure in the PostgreSQL warehouse, against a real server: exactly the
 * due rows are deleted, exactly the due fields nulled, exactly the subject's rows erased.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { postgres, postgresConfigSchema, type PostgresConfig } from '../../src/destinations/postgres.js';
import type { EventRow } from '../../src/destinations/sqlite.js';
import type { OutboxItem } from '../../src/destinations/types.js';
import type { WarehouseContext } from '../../src/destinations/warehouse.js';
import type { PostgresPort } from '../../src/ports.js';
import { createPostgresPort } from '../../src/runtime/node/postgres.js';
import { recordingLogger } from '../destinations/fixtures.js';
import { sql, usePostgres } from './server.js';

const pgServer = usePostgres();
const log = recordingLogger();
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);
let port: PostgresPort | undefined;
afterEach(async () => {
  await port?.end();
  port = undefined;
});

let tables = 0;
function config(): PostgresConfig {
  return postgresConfigSchema.parse({ id: 'pg', type: 'postgres', connection_string: pgServer.url, table: `ret_${++tables}` });
}

function ctx() {
  port ??= createPostgresPort({ log, max: 2, connectTimeoutMs: 2000 });
  return { fetch, now: () => NOW, log, db: undefined as never, postgres: port, limit: <T>(fn: () => Promise<T>) => fn() } satisfies WarehouseContext & Record<string, unknown>;
}

function row(id: string, daysAgo: number, over: Partial<EventRow> = {}, data: Record<string, unknown> = {}): EventRow {
  const at = NOW - daysAgo * DAY;
  return {
    event_id: id,
    name: 'page_view',
    time: at,
    received_at: at,
    client_id: null,
    session_id: null,
    user_id: null,
    page_url: null,
    consent_mode: 'send',
    device_type: null,
    country: null,
    channel: null,
    source: null,
    medium: null,
    campaign: null,
    value: null,
    currency: null,
    kind: null,
    rule_id: null,
    data: JSON.stringify({ params: {}, ip: '192.0.2.0', page: { url: 'https://shop.example/', referrer: 'https://ref.example/', title: 'Shop' }, ...data }),
    ...over,
  } as EventRow;
}

async function load(c: PostgresConfig, rows: EventRow[]): Promise<void> {
  const items: OutboxItem<EventRow>[] = rows.map((payload, i) => ({ id: i + 1, event_id: payload.event_id, payload, attempts: 0, created_at: NOW }));
  expect((await postgres.send(items, c, ctx())).delivered).toHaveLength(rows.length);
}

const ids = async (c: PostgresConfig) => (await sql<{ event_id: string }>(pgServer.url, `SELECT event_id FROM public.${c.table} ORDER BY event_id`)).map((r) => r.event_id);

describe('postgres retention (real server)', () => {
  it('deletes exactly the rows past the events rule and nulls exactly the fields past their rules', async () => {
    const c = config();
    await load(c, [row('d01', 1, { user_id: 'u1' }), row('d10', 10, { user_id: 'u10', page_url: 'https://shop.example/' }), row('d40', 40), row('d400', 400)]);

    const counts = await postgres.warehouse!.purge(c, { events: 30 * DAY, 'events.ip': 7 * DAY, 'events.user_id': 5 * DAY, 'events.page_url': 60 * DAY }, ctx());
    expect(counts).toEqual([
      { destination: 'pg', rule: 'events', action: 'delete', rows: 2 },
      { destination: 'pg', rule: 'events.ip', action: 'null_field', rows: 1 },
      { destination: 'pg', rule: 'events.user_id', action: 'null_field', rows: 1 },
      { destination: 'pg', rule: 'events.page_url', action: 'null_field', rows: 0 },
    ]);
    expect(await ids(c)).toEqual(['d01', 'd10']);
    const rows = await sql<{ event_id: string; user_id: string | null; page_url: string | null; data: Record<string, unknown> }>(
      pgServer.url,
      `SELECT event_id, user_id, page_url, data FROM public.${c.table} ORDER BY event_id`,
    );
    // d01 is inside every window; d10 lost its IP (7d) and user id (5d), kept its page (60d).
    expect(rows[0]).toMatchObject({ event_id: 'd01', user_id: 'u1', data: { ip: '192.0.2.0' } });
    expect(rows[1]!.user_id).toBeNull();
    expect(rows[1]!.page_url).toBe('https://shop.example/');
    expect(rows[1]!.data).not.toHaveProperty('ip');
    expect(rows[1]!.data).toMatchObject({ page: { url: 'https://shop.example/', title: 'Shop' } });

    // Run again: nothing is due any more.
    const again = await postgres.warehouse!.purge(c, { events: 30 * DAY, 'events.ip': 7 * DAY }, ctx());
    expect(again.map((x) => x.rows)).toEqual([0, 0]);
  });

  it('the page_url rule removes the URL and the referrer from the JSON, keeping the title', async () => {
    const c = config();
    await load(c, [row('old', 20, { page_url: 'https://shop.example/' })]);
    expect(await postgres.warehouse!.purge(c, { 'events.page_url': 10 * DAY }, ctx())).toEqual([{ destination: 'pg', rule: 'events.page_url', action: 'null_field', rows: 1 }]);
    const [r] = await sql<{ page_url: string | null; data: { page: Record<string, unknown> } }>(pgServer.url, `SELECT page_url, data FROM public.${c.table}`);
    expect(r!.page_url).toBeNull();
    expect(r!.data.page).toEqual({ title: 'Shop' });
  });

  it('a table not created yet holds nothing: zero rows, no failure', async () => {
    expect(await postgres.warehouse!.purge(config(), { events: DAY }, ctx())).toEqual([{ destination: 'pg', rule: 'events', action: 'delete', rows: 0 }]);
  });

  it('an unreachable server is a failed count whose reason does not carry the connection string', async () => {
    const c = postgresConfigSchema.parse({ id: 'pg', type: 'postgres', connection_string: 'postgres://u:secret-pw-77@127.0.0.1:9/db' });
    const counts = await postgres.warehouse!.purge(c, { events: DAY }, ctx());
    expect(counts[0]).toMatchObject({ destination: 'pg', rule: 'events', action: 'failed', rows: null });
    expect(JSON.stringify(counts)).not.toContain('secret-pw-77');
  });
});

describe('postgres erasure (real server)', () => {
  it('deletes exactly the subject rows: user key, client key without another user, email key, event id', async () => {
    const c = config();
    const em = 'e'.repeat(64);
    await load(c, [
      row('u-own', 1, { user_id: 'U' }),
      row('c-anon', 1, { client_id: 'C' }),
      row('c-same-user', 1, { client_id: 'C', user_id: 'U' }),
      row('c-other-user', 1, { client_id: 'C', user_id: 'OTHER' }),
      row('by-email', 1, {}, { hashed_user: { em } }),
      row('by-id', 1),
      row('bystander', 1, { user_id: 'B', client_id: 'D' }, { hashed_user: { em: 'f'.repeat(64) } }),
    ]);
    const receipt = await postgres.warehouse!.erase(c, { eventIds: ['by-id'], userKeys: ['U'], clientKeys: ['C'], hashKeys: [em] }, ctx());
    expect(receipt).toEqual({ type: 'postgres', status: 'erased', rows: 5 });
    expect(await ids(c)).toEqual(['bystander', 'c-other-user']);
  });

  it('an empty subject erases nothing', async () => {
    const c = config();
    await load(c, [row('keep', 1, { user_id: 'U' })]);
    expect(await postgres.warehouse!.erase(c, { eventIds: [], userKeys: [], clientKeys: [], hashKeys: [] }, ctx())).toEqual({ type: 'postgres', status: 'erased', rows: 0 });
    expect(await ids(c)).toEqual(['keep']);
  });
});
