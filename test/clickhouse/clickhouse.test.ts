/**
 * The ClickHouse destination against a real ClickHouse server (Debian's clickhouse-server, started by
 * test/clickhouse/server.ts): inserts, row-level errors, credentials, retention and erasure.
 */
import { describe, expect, it } from 'vitest';
import { clickhouse, clickhouseConfigSchema, createTableSql, erasureWhere, hasTtl, supportsTtl, ttlClause, type ClickHouseConfig, type ClickHouseRow } from '../../src/destinations/clickhouse.js';
import type { OutboxItem, SendContext } from '../../src/destinations/types.js';
import type { WarehouseContext } from '../../src/destinations/warehouse.js';
import { captureLog } from '../helpers/runtime.js';
import { CH_PASSWORD, CH_USER, useClickHouse } from './server.js';

const ch = useClickHouse();
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 10, 29, 12, 0, 0);

let tables = 0;
function config(over: Partial<ClickHouseConfig> = {}): ClickHouseConfig {
  return clickhouseConfigSchema.parse({ id: 'ch', type: 'clickhouse', url: ch.server.url, username: CH_USER, password: CH_PASSWORD, table: `t${++tables}`, ...over });
}

function ctx(now = NOW): SendContext & WarehouseContext {
  return { fetch: (i, init) => fetch(i, init), now: () => now, log: captureLog(), db: undefined as never, limit: (fn) => fn() };
}

function row(id: string, over: Partial<ClickHouseRow> = {}): ClickHouseRow {
  const t = Math.floor(NOW / 1000);
  return { event_id: id, name: 'page_view', time: t, received_at: t, client_id: '', session_id: '', user_id: '', page_url: '', data: '{}', ...over };
}

const items = (rows: ClickHouseRow[]): OutboxItem<ClickHouseRow>[] => rows.map((payload, i) => ({ id: i + 1, event_id: payload.event_id, payload, attempts: 0, created_at: NOW }));

async function ids(c: ClickHouseConfig): Promise<string[]> {
  const rows = await ch.server.rows<{ event_id: string }>(`SELECT DISTINCT event_id FROM \`${c.database}\`.\`${c.table}\` ORDER BY event_id`);
  return rows.map((r) => r.event_id);
}

describe('clickhouse: the engine the tests run on', () => {
  it('is a real ClickHouse server answering version()', () => {
    expect(ch.server.version).toMatch(/^\d+\.\d+/);
  });
});

describe('clickhouse send (real server)', () => {
  it('creates the table and inserts every row exactly as mapped (JSONEachRow), unicode and quotes intact', async () => {
    const c = config();
    const rows = [row('e1', { user_id: 'u1', data: JSON.stringify({ params: { q: "it's \"quoted\" — ☃" } }) }), row('e2', { client_id: 'c2', page_url: 'https://shop.example/a?b=1' })];
    const res = await clickhouse.send(items(rows), c, ctx());
    expect(res).toEqual({ delivered: [1, 2], retry: [], failed: [] });
    const back = await ch.server.rows<Record<string, unknown>>(
      `SELECT event_id, name, toUnixTimestamp(time) AS time, toUnixTimestamp(received_at) AS received_at, client_id, session_id, user_id, page_url, data FROM default.${c.table} ORDER BY event_id`,
    );
    expect(back.map((r) => ({ ...r, time: Number(r.time), received_at: Number(r.received_at) }))).toEqual(rows);
  });

  it('a row ClickHouse cannot parse is isolated by bisection: it fails with the ClickHouse code, its neighbours land', async () => {
    const c = config();
    const bad = row('bad', { time: 'yesterday' as unknown as number });
    const res = await clickhouse.send(items([row('a'), row('b'), bad, row('d')]), c, ctx());
    expect(res.delivered.sort()).toEqual([1, 2, 4]);
    expect(res.retry).toEqual([]);
    expect(res.failed).toHaveLength(1);
    expect(res.failed[0]!.id).toBe(3);
    expect(res.failed[0]!.error).toMatch(/^clickhouse\.code_\d+: /);
    expect(await ids(c)).toEqual(['a', 'b', 'd']);
  });

  it('a wrong password fails the batch for good (the password never appears in the error)', async () => {
    const c = config({ password: 'not-the-password-xyz' });
    const res = await clickhouse.send(items([row('x'), row('y')]), c, ctx());
    expect(res.delivered).toEqual([]);
    expect(res.failed.map((f) => f.id)).toEqual([1, 2]);
    expect(res.failed[0]!.error).toMatch(/^clickhouse\.code_(193|516): /);
    expect(JSON.stringify(res)).not.toContain('not-the-password-xyz');
  });

  it('a server that is not there is retried (network error), not failed', async () => {
    const c = config({ url: 'http://127.0.0.1:9', timeout_ms: 2000 });
    const res = await clickhouse.send(items([row('x')]), c, ctx());
    expect(res.retry).toHaveLength(1);
    expect(res.retry[0]!.error).toMatch(/^clickhouse\.(network error|timeout)/);
  });

  it('a table dropped after it was created is created again', async () => {
    const c = config();
    await clickhouse.send(items([row('one')]), c, ctx());
    await ch.server.query(`DROP TABLE default.${c.table}`);
    const res = await clickhouse.send(items([row('two')]), c, ctx());
    expect(res.delivered).toEqual([1]);
    expect(await ids(c)).toEqual(['two']);
  });
});

describe('clickhouse retention (real server)', () => {
  it('removes exactly the rows older than the events rule; field rules are reported as not supported', async () => {
    const c = config();
    const at = (days: number) => Math.floor((NOW - days * DAY) / 1000);
    const rows = [row('d1', { received_at: at(1) }), row('d29', { received_at: at(29) }), row('d31', { received_at: at(31) }), row('d400', { received_at: at(400) })];
    expect((await clickhouse.send(items(rows), c, ctx())).delivered).toHaveLength(4);

    const counts = await clickhouse.warehouse!.purge(c, { events: 30 * DAY, 'events.ip': 7 * DAY }, ctx());
    expect(counts).toEqual([
      { destination: 'ch', rule: 'events', action: 'delete', rows: 2 },
      { destination: 'ch', rule: 'events.ip', action: 'not_supported', rows: null, reason: 'clickhouse.field_rule_not_supported' },
    ]);
    expect(await ids(c)).toEqual(['d1', 'd29']);

    // Nothing due: no mutation is issued, nothing changes.
    const again = await clickhouse.warehouse!.purge(c, { events: 30 * DAY }, ctx());
    expect(again).toEqual([{ destination: 'ch', rule: 'events', action: 'delete', rows: 0 }]);
    expect(await ids(c)).toEqual(['d1', 'd29']);
  });

  it('a table that does not exist yet is created by the purge (and holds nothing to purge)', async () => {
    const c = config();
    expect(await clickhouse.warehouse!.purge(c, { events: DAY }, ctx())).toEqual([{ destination: 'ch', rule: 'events', action: 'delete', rows: 0 }]);
    expect(await ch.server.query(`EXISTS TABLE default.${c.table}`)).toBe('1\n');
  });

  it('the DDL carries the TTL of the events rule on servers with TTL (≥ 19.6) and none on older ones', () => {
    expect(supportsTtl('18.16.1')).toBe(false);
    expect(supportsTtl('19.5.4')).toBe(false);
    expect(supportsTtl('19.6.2')).toBe(true);
    expect(supportsTtl('24.8.1.1')).toBe(true);
    expect(ttlClause(395 * DAY)).toBe('TTL received_at + INTERVAL 395 DAY');
    expect(ttlClause(90 * 60_000)).toBe('TTL received_at + INTERVAL 5400 SECOND');
    expect(createTableSql({ database: 'db', table: 't' }, 30 * DAY)).toMatch(/PARTITION BY toYYYYMMDD\(received_at\) ORDER BY \(received_at, event_id\) TTL received_at \+ INTERVAL 30 DAY$/);
    expect(createTableSql({ database: 'db', table: 't' })).not.toContain('TTL');
    // As ClickHouse 26.7 prints it in system.tables.engine_full (checked by hand with chDB).
    const engineFull = 'ReplacingMergeTree PARTITION BY toYYYYMMDD(received_at) ORDER BY (received_at, event_id) TTL received_at + toIntervalDay(30) SETTINGS index_granularity = 8192';
    expect(hasTtl(engineFull, 30 * DAY)).toBe(true);
    expect(hasTtl(engineFull, 31 * DAY)).toBe(false);
    expect(hasTtl('MergeTree ORDER BY x', 30 * DAY)).toBe(false);
  });
});

describe('clickhouse erasure (real server)', () => {
  it('deletes exactly the subject rows: by user key, by client key without another user, by email key, by event id', async () => {
    const c = config();
    const em = 'a'.repeat(64);
    const rows = [
      row('u-own', { user_id: 'U' }),
      row('c-anon', { client_id: 'C' }),
      row('c-other-user', { client_id: 'C', user_id: 'OTHER' }),
      row('by-email', { data: JSON.stringify({ params: { em: 'x' }, hashed_user: { em } }) }),
      row('by-id'),
      row('bystander', { user_id: 'B', client_id: 'D', data: JSON.stringify({ hashed_user: { em: 'b'.repeat(64) } }) }),
      row("quote'id"),
    ];
    expect((await clickhouse.send(items(rows), c, ctx())).delivered).toHaveLength(rows.length);
    const receipt = await clickhouse.warehouse!.erase(c, { eventIds: ['by-id', "quote'id"], userKeys: ['U'], clientKeys: ['C'], hashKeys: [em] }, ctx());
    expect(receipt).toEqual({ type: 'clickhouse', status: 'erased', rows: 5 });
    expect(await ids(c)).toEqual(['bystander', 'c-other-user']);
  });

  it('a subject with no keys erases nothing and issues no statement', async () => {
    expect(erasureWhere({ eventIds: [], userKeys: [], clientKeys: [], hashKeys: [] })).toBeUndefined();
    const c = config();
    expect(await clickhouse.warehouse!.erase(c, { eventIds: [], userKeys: [], clientKeys: [], hashKeys: [] }, ctx())).toEqual({ type: 'clickhouse', status: 'erased', rows: 0 });
  });

  it('an unreachable server is reported as failed in the receipt, without the password', async () => {
    const c = config({ url: 'http://127.0.0.1:9', timeout_ms: 1000 });
    const receipt = await clickhouse.warehouse!.erase(c, { eventIds: ['x'], userKeys: [], clientKeys: [], hashKeys: [] }, ctx());
    expect(receipt.status).toBe('failed');
    expect(JSON.stringify(receipt)).not.toContain(CH_PASSWORD);
  });
});
