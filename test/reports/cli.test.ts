/** `tagrelay report` as a real process: the same numbers as the library, a table, CSV, exit 2 on bad input, old stores migrated. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { parseReportParams, runReport, sqliteSource } from '../../src/reports/index.js';
import { runCli } from '../helpers/process.js';
import { generate, type Dataset } from './generator.js';
import { loadSqlite } from './load.js';

const dir = mkdtempSync(join(tmpdir(), 'tagrelay-report-cli-'));
const dbFile = join(dir, 'tagrelay.db');
let ds: Dataset;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(async () => {
  const db = openSqlite(dbFile);
  await migrate(db);
  ds = generate({ seed: 7, visitors: 300 });
  await loadSqlite(db, ds.rows);
  await db.close();
});

const cli = (args: string[]) => runCli(['report', ...args, '--db', dbFile, '--since', String(ds.since), '--until', String(ds.until)]);

describe('tagrelay report', () => {
  it('prints the same report as the library (json)', async () => {
    const r = await cli(['funnel', '--by', 'channel', '--format', 'json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const db = openSqlite(dbFile);
    const expected = await runReport(sqliteSource(db), 'funnel', parseReportParams('funnel', { since: String(ds.since), until: String(ds.until), by: 'channel' }, Date.now()), { now: Date.now() });
    await db.close();
    expect(JSON.parse(r.out)).toEqual(JSON.parse(JSON.stringify(expected)));
  });

  it('prints a table with the consent coverage, and CSV', async () => {
    const table = await cli(['revenue']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/^revenue \d{4}-\d\d-\d\dT.* → /);
    expect(table.out).toMatch(/events: \d+ — full \d+, anonymized \d+, cookieless \d+ \(only events seen in full count as users and sessions\)/);
    expect(table.out).toContain('conversion_%');
    const csv = await cli(['cohorts', '--format', 'csv']);
    expect(csv.out.split('\n')[0]).toMatch(/^cohort_week,users,w0_%,w1_%/);
  });

  it('exits 2 with the flag named for a bad report or parameter', async () => {
    const bad = await cli(['funnel', '--by', 'planet']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--by: by expects one of device, country, channel, source, medium, campaign');
    const unknown = await cli(['nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('unknown report');
  });

  it('migrates a store from before the report columns and counts its rows as unknown consent', async () => {
    const old = join(dir, 'old.db');
    const raw = new Database(old);
    raw.exec('CREATE TABLE events (event_id TEXT PRIMARY KEY, name TEXT NOT NULL, time INTEGER NOT NULL, received_at INTEGER NOT NULL, client_id TEXT, session_id TEXT, user_id TEXT, page_url TEXT, data TEXT NOT NULL)');
    raw.prepare('INSERT INTO events VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run('old-1', 'view_item', Date.now() - 3_600_000, Date.now(), 'c1', 's1', null, null, '{}');
    raw.close();
    const r = await runCli(['report', 'funnel', '--db', old, '--since', '1d', '--format', 'json']);
    expect(r.err).toBe('');
    const body = JSON.parse(r.out) as { coverage: Record<string, number>; data: { total: { count: number }[] } };
    expect(body.coverage).toEqual({ events: 1, full: 0, anonymized: 0, cookieless: 0, unknown: 1 });
    expect(body.data.total[0]!.count).toBe(0);
  });
});
