import { afterEach, describe, expect, it } from 'vitest';
import { postgres, postgresConfigSchema, type PostgresConfig } from '../../src/destinations/postgres.js';
import type { EventRow } from '../../src/destinations/sqlite.js';
import type { OutboxItem, SendContext } from '../../src/destinations/types.js';
import type { PostgresPort } from '../../src/ports.js';
import { createPostgresPort } from '../../src/runtime/node/postgres.js';
import { event, outbox, recordingLogger, T0 } from '../destinations/fixtures.js';
import { sql, usePostgres } from './server.js';

const pgServer = usePostgres();
let port: PostgresPort | undefined;
const log = recordingLogger();
afterEach(async () => {
  await port?.end();
  port = undefined;
});

function config(over: Partial<PostgresConfig> & { table: string }): PostgresConfig {
  return postgresConfigSchema.parse({ id: 'wh', type: 'postgres', connection_string: pgServer.url, ...over });
}

function ctx(): SendContext {
  port = createPostgresPort({ log, max: 2, connectTimeoutMs: 2000 });
  return { fetch, now: () => T0, log, db: undefined as never, postgres: port, limit: (fn) => fn() };
}

/** n outbox items whose payloads are what `map` makes of distinct events. */
function items(n: number, over: (i: number) => Partial<Parameters<typeof event>[0]> = () => ({})): OutboxItem<EventRow>[] {
  const rows = Array.from({ length: n }, (_, i) => {
    const mapped = postgres.map(event({ event_id: `evt-${i + 1}`, name: `e_${i + 1}`, time: T0 + i, ...over(i) }), config({ table: 'x' }), { action: 'send', reasons: [] });
    return (mapped as { payload: EventRow }).payload;
  });
  return outbox(rows);
}

describe('postgres send against a real server', () => {
  it('creates the table and inserts the batch; rows read back with their types', async () => {
    const c = config({ table: 'basic' });
    const result = await postgres.send(items(3), c, ctx());
    expect(result).toEqual({ delivered: [1, 2, 3], retry: [], failed: [] });
    const rows = await sql<{ event_id: string; name: string; time: Date; received_at: Date; client_id: string; data: { client: { client_id: string } } }>(
      pgServer.url,
      'SELECT event_id, name, time, received_at, client_id, data FROM public.basic ORDER BY event_id',
    );
    expect(rows.map((r) => [r.event_id, r.name, r.time.getTime(), r.received_at.getTime()])).toEqual([
      ['evt-1', 'e_1', T0, T0],
      ['evt-2', 'e_2', T0 + 1, T0],
      ['evt-3', 'e_3', T0 + 2, T0],
    ]);
    expect(rows[0]!.data.client.client_id).toBe(rows[0]!.client_id);
    const types = await sql<{ column_name: string; data_type: string }>(
      pgServer.url,
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'basic' AND column_name IN ('time', 'data', 'event_id') ORDER BY column_name",
    );
    expect(types.map((t) => `${t.column_name}:${t.data_type}`)).toEqual(['data:jsonb', 'event_id:text', 'time:timestamp with time zone']);
  });

  it('is idempotent under redelivery, also with a duplicate inside one batch', async () => {
    const c = config({ table: 'redelivery' });
    const batch = items(2);
    expect((await postgres.send(batch, c, ctx())).delivered).toEqual([1, 2]);
    const again = [...batch, { ...batch[0]!, id: 3 }];
    expect(await postgres.send(again, c, ctx())).toEqual({ delivered: [1, 2, 3], retry: [], failed: [] });
    const counted = await sql<{ n: string }>(pgServer.url, 'SELECT count(*) AS n FROM public.redelivery');
    expect(counted.map((r) => Number(r.n))).toEqual([2]);
  });

  it('writes into the configured schema', async () => {
    await sql(pgServer.url, 'CREATE SCHEMA analytics');
    const c = config({ schema: 'analytics', table: 'web' });
    expect((await postgres.send(items(1), c, ctx())).delivered).toEqual([1]);
    expect(await sql(pgServer.url, 'SELECT event_id FROM analytics.web')).toEqual([{ event_id: 'evt-1' }]);
  });

  it('isolates a row the server refuses: its neighbours are stored, it fails with the SQLSTATE', async () => {
    const c = config({ table: 'bad_row' });
    // PostgreSQL text cannot hold NUL (22021); the row fails, the other four must not.
    const result = await postgres.send(items(5, (i) => (i === 2 ? { name: 'bad\u0000name' } : {})), c, ctx());
    expect(result.delivered.sort()).toEqual([1, 2, 4, 5]);
    expect(result.retry).toEqual([]);
    expect(result.failed).toHaveLength(1);
    expect(result.failed[0]!.id).toBe(3);
    expect(result.failed[0]!.error).toMatch(/^postgres\.sqlstate_22021: /);
    const rows = await sql<{ event_id: string }>(pgServer.url, 'SELECT event_id FROM public.bad_row ORDER BY event_id');
    expect(rows.map((r) => r.event_id)).toEqual(['evt-1', 'evt-2', 'evt-4', 'evt-5']);
  });

  it('create_table: false and no table → every item failed with 42P01', async () => {
    const result = await postgres.send(items(2), config({ table: 'missing', create_table: false }), ctx());
    expect(result.delivered).toEqual([]);
    expect(result.failed.map((f) => f.id)).toEqual([1, 2]);
    expect(result.failed[0]!.error).toMatch(/^postgres\.sqlstate_42P01: relation "public\.missing" does not exist/);
  });

  it('re-creates a table dropped after the first send', async () => {
    const c = config({ table: 'dropped' });
    const context = ctx();
    expect((await postgres.send(items(1), c, context)).delivered).toEqual([1]);
    await sql(pgServer.url, 'DROP TABLE public.dropped');
    expect((await postgres.send(items(2).slice(1), c, context)).delivered).toEqual([2]);
    expect(await sql(pgServer.url, 'SELECT event_id FROM public.dropped')).toEqual([{ event_id: 'evt-2' }]);
  });

  describe('a role without privileges', () => {
    const password = 'ro-S3cret/pw';
    async function roleUrl(): Promise<string> {
      await sql(pgServer.url, `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'reader') THEN CREATE ROLE reader LOGIN PASSWORD 'x'; END IF; END $$`);
      const url = new URL(pgServer.url);
      url.username = 'reader';
      url.password = encodeURIComponent(password);
      return url.toString();
    }

    it('cannot create the table → failed with 42501, the password masked', async () => {
      const c = postgresConfigSchema.parse({ id: 'wh', type: 'postgres', connection_string: await roleUrl(), table: 'not_mine' });
      const result = await postgres.send(items(2), c, ctx());
      expect(result.delivered).toEqual([]);
      expect(result.failed.map((f) => f.id)).toEqual([1, 2]);
      expect(result.failed[0]!.error).toMatch(/^postgres\.sqlstate_42501: permission denied for schema public/);
    });

    it('cannot insert into an existing table → failed with 42501; no secret in results or logs', async () => {
      await sql(pgServer.url, 'CREATE TABLE public.locked (LIKE public.basic INCLUDING ALL)');
      const url = await roleUrl();
      const c = postgresConfigSchema.parse({ id: 'wh', type: 'postgres', connection_string: url, table: 'locked', create_table: false });
      const result = await postgres.send(items(1), c, ctx());
      expect(result.failed).toEqual([{ id: 1, error: expect.stringMatching(/^postgres\.sqlstate_42501: permission denied for table locked/) }]);
      const seen = JSON.stringify(result) + log.lines.join('\n');
      for (const secret of [password, encodeURIComponent(password), url]) expect(seen).not.toContain(secret);
    });
  });

  it('a port nobody listens on → every item retried (connection error)', async () => {
    const url = new URL(pgServer.url);
    url.port = '1';
    const c = postgresConfigSchema.parse({ id: 'wh', type: 'postgres', connection_string: url.toString(), table: 'nowhere' });
    const result = await postgres.send(items(3), c, ctx());
    expect(result.delivered).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.retry.map((r) => r.id)).toEqual([1, 2, 3]);
    expect(result.retry[0]!.error).toMatch(/^postgres\.connection: .*ECONNREFUSED/);
  });

  it('a runtime without the port → failed postgres.unavailable_on_runtime', async () => {
    const result = await postgres.send(items(2), config({ table: 'none' }), { fetch, now: () => T0, log, db: undefined as never, limit: (fn) => fn() });
    expect(result.failed.map((f) => [f.id, f.error.split(':')[0]])).toEqual([
      [1, 'postgres.unavailable_on_runtime'],
      [2, 'postgres.unavailable_on_runtime'],
    ]);
  });

  // Last: it stops the server for good.
  it('the server stopped after the pool connected → retry, never failed', async () => {
    const c = config({ table: 'stopped' });
    const context = ctx();
    expect((await postgres.send(items(1), c, context)).delivered).toEqual([1]);
    pgServer.server.stop();
    const result = await postgres.send(items(3).slice(1), c, context);
    expect(result.delivered).toEqual([]);
    expect(result.failed).toEqual([]);
    expect(result.retry.map((r) => r.id)).toEqual([2, 3]);
    expect(result.retry[0]!.error).toMatch(/^postgres\.(connection|sqlstate_57P0[123]): /);
    // Once the pool has dropped its dead connections, new ones are refused: still a retry.
    const later = await postgres.send(items(3).slice(1), c, context);
    expect(later.retry.map((r) => r.id)).toEqual([2, 3]);
    expect(later.retry[0]!.error).toMatch(/^postgres\.connection: .*ECONNREFUSED/);
  });
});
