import { beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { REPORT_SUMMARY_BACKFILL } from '../../src/store/report-summary.js';
import { sqliteSource, type ReportSource } from '../../src/reports/index.js';
import { generate, type Dataset } from './generator.js';
import { loadSqlite } from './load.js';
import { cutRange, reportSuite } from './suite.js';
import { summaryOf } from './summary.js';

let state: { source: ReportSource; ds: Dataset };

beforeAll(async () => {
  const db = openSqlite(':memory:');
  await migrate(db);
  const ds = generate({ seed: 16, visitors: 1500 });
  await loadSqlite(db, ds.rows);
  // A delivery that settles a batch again inserts nothing twice (INSERT OR IGNORE): the summary neither.
  await loadSqlite(db, ds.rows.slice(0, 2000));
  state = { source: sqliteSource(db), ds };
});

describe('reports on the embedded warehouse (SQLite) equal the generator truth', () => {
  reportSuite(() => state);
});

describe('reports on the embedded warehouse over a range cut inside hours and sessions', () => {
  reportSuite(() => ({ source: state.source, ds: cutRange(state.ds) }));
});

describe('the report summary follows every write to the warehouse', () => {
  it('inserts (in any order, in bursts past a piece), deletes and updates leave it equal to a rebuild from the rows', async () => {
    const db = openSqlite(':memory:');
    await migrate(db);
    const ds = generate({ seed: 7, visitors: 300 });
    // Rows out of time order; a burst of 150 events in one hour of one session (three pieces).
    await loadSqlite(db, [...ds.rows].reverse());
    const base = ds.rows.find((r) => r.consent_mode === 'send')!;
    const hour = Math.floor(base.time / 3_600_000) * 3_600_000;
    await loadSqlite(db, Array.from({ length: 150 }, (_, i) => ({ ...base, event_id: `burst${i}`, time: hour + ((i * 7919) % 3600) * 1000, channel: `ch${i}`, value: i, currency: 'USD' })));
    const parts = await db.all<{ n: number }>('SELECT n FROM report_pieces WHERE hour = ? AND client_id = ?', [hour / 3_600_000, base.client_id]);
    expect(parts.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...parts.map((p) => p.n))).toBeLessThanOrEqual(32);
    expect(parts.length).toBeGreaterThanOrEqual(5);
    // An erasure (by event id), a retention purge of a field (client_id nulled: no longer a unit), a changed dimension.
    const ids = ds.rows.filter((_, i) => i % 9 === 0).map((r) => r.event_id);
    for (let i = 0; i < ids.length; i += 200) await db.run(`DELETE FROM events WHERE event_id IN (${ids.slice(i, i + 200).map(() => '?').join(', ')})`, ids.slice(i, i + 200));
    await db.run("UPDATE events SET client_id = NULL WHERE event_id IN (SELECT event_id FROM events WHERE consent_mode = 'send' ORDER BY event_id LIMIT 150)");
    await db.run("UPDATE events SET channel = 'changed', time = time + 1 WHERE event_id IN (SELECT event_id FROM events WHERE consent_mode = 'send' ORDER BY event_id DESC LIMIT 150)");
    const kept = await summaryOf(db);
    expect(kept.pieces.length).toBeGreaterThan(100);
    await db.batch(REPORT_SUMMARY_BACKFILL.map((sql) => ({ sql })));
    expect(kept).toEqual(await summaryOf(db));
  });
});

describe('a store written before the summary existed', () => {
  let before: { source: ReportSource; ds: Dataset };
  beforeAll(async () => {
    const db = openSqlite(':memory:');
    await migrate(db);
    const ds = generate({ seed: 16, visitors: 1500 });
    await loadSqlite(db, ds.rows);
    // As an older release left it: no summary, no marker. Starting again fills it.
    await db.exec("DELETE FROM report_pieces; DELETE FROM kv WHERE key = 'report_summary'");
    await migrate(db);
    // An erasure afterwards: the erased visitors leave every report.
    const erased = ds.visitors.filter((v, i) => v.mode === 'send' && i % 5 === 0);
    for (const v of erased) await db.run('DELETE FROM events WHERE client_id = ?', [v.client_id]);
    before = { source: sqliteSource(db), ds: { ...ds, visitors: ds.visitors.filter((v) => !erased.includes(v)) } };
  });
  describe('is filled at start, and an erasure leaves the reports equal to the truth without the erased visitors', () => {
    reportSuite(() => before);
  });
});
