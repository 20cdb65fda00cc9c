/**
 * The report summary's hour counts (`report_hours`) and the fill of a store written before the summary:
 * the counts follow every write exactly; a store whose summary is not complete answers every report
 * from the rows (equal to the truth); the fill runs in steps while rows are written, erased and
 * changed between them, resumes after a stop, and leaves the summary equal to a rebuild from the rows
 * and every report equal to the truth (also over a range cut inside hours).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { fillReportSummary, REPORT_SUMMARY_BACKFILL, summaryComplete } from '../../src/store/report-summary.js';
import { sqliteSource, type ReportSource } from '../../src/reports/index.js';
import type { SqlDb } from '../../src/ports.js';
import { generate, type Dataset } from './generator.js';
import { summaryOf } from './summary.js';
import { loadSqlite } from './load.js';
import { cutRange, reportSuite } from './suite.js';

/** Rebuild both tables from the rows and compare with what the triggers (and fill) kept. */
async function expectEqualToRebuild(db: SqlDb): Promise<void> {
  const kept = await summaryOf(db);
  await db.batch(REPORT_SUMMARY_BACKFILL.map((sql) => ({ sql })));
  expect(kept).toEqual(await summaryOf(db));
}

describe('report_hours follows every write to the warehouse', () => {
  it('inserts, duplicates, deletes and updates of every counted column leave it equal to a count of the rows', async () => {
    const db = openSqlite(':memory:');
    await migrate(db);
    const ds = generate({ seed: 5, visitors: 300 });
    await loadSqlite(db, [...ds.rows].reverse());
    // Settled again: INSERT OR IGNORE skips them, and the counts do not move.
    await loadSqlite(db, ds.rows.slice(0, 500));
    const hours = await db.all<{ mode: string; rule: string; n: number }>('SELECT mode, rule, n FROM report_hours');
    expect(hours.reduce((a, h) => a + h.n, 0)).toBe(ds.rows.length);
    expect(new Set(hours.map((h) => h.mode))).toEqual(new Set(['send', 'anonymize', 'cookieless']));
    expect(hours.some((h) => h.rule === 'pricing')).toBe(true);
    const ids = ds.rows.filter((_, i) => i % 7 === 0).map((r) => r.event_id);
    for (let i = 0; i < ids.length; i += 200) await db.run(`DELETE FROM events WHERE event_id IN (${ids.slice(i, i + 200).map(() => '?').join(', ')})`, ids.slice(i, i + 200));
    // A row without a recorded consent mode (an older row), a moved time, a changed value and currency, a renamed event, a rule dropped.
    await db.run("UPDATE events SET consent_mode = NULL WHERE event_id IN (SELECT event_id FROM events ORDER BY event_id LIMIT 40)");
    await db.run('UPDATE events SET time = time + 3600000 * 5 + 17 WHERE event_id IN (SELECT event_id FROM events ORDER BY event_id DESC LIMIT 60)');
    await db.run("UPDATE events SET value = 12.5, currency = 'USD' WHERE name = 'purchase' AND event_id IN (SELECT event_id FROM events ORDER BY time LIMIT 300)");
    await db.run("UPDATE events SET name = 'purchase_refunded' WHERE name = 'purchase' AND event_id IN (SELECT event_id FROM events ORDER BY time DESC LIMIT 300)");
    await db.run("UPDATE events SET kind = NULL WHERE kind = 'micro' AND event_id IN (SELECT event_id FROM events ORDER BY event_id LIMIT 500)");
    expect((await db.get<{ n: number }>("SELECT SUM(n) AS n FROM report_hours WHERE mode = ''"))!.n).toBe(40);
    expect((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM report_hours WHERE currency = 'USD'"))!.n).toBeGreaterThan(0);
    expect((await db.get<{ n: number }>('SELECT SUM(n) AS n FROM report_hours'))!.n).toBe(ds.rows.length - ids.length);
    // No line is left at zero rows.
    expect(await db.get('SELECT 1 AS x FROM report_hours WHERE n <= 0')).toBeUndefined();
    await expectEqualToRebuild(db);
  });
});

/** A store as an older release left it: rows, no summary, no marker. */
async function olderStore(ds: Dataset, rows = ds.rows): Promise<SqlDb> {
  const db = openSqlite(':memory:');
  await migrate(db);
  await loadSqlite(db, rows);
  await db.exec("DELETE FROM report_pieces; DELETE FROM report_hours; DELETE FROM kv WHERE key = 'report_summary'");
  await migrate(db);
  return db;
}

describe('a store written before the summary, not filled yet', () => {
  let state: { source: ReportSource; ds: Dataset };
  beforeAll(async () => {
    const ds = generate({ seed: 16, visitors: 1500 });
    const db = await olderStore(ds);
    expect(await summaryComplete(db)).toBe(false);
    expect(await db.get('SELECT 1 AS x FROM report_pieces')).toBeUndefined();
    state = { source: sqliteSource(db), ds };
  });
  describe('answers every report from the rows, equal to the truth', () => {
    reportSuite(() => state);
  });
});

describe('the fill of an older store, in steps, while rows are written, erased and changed', () => {
  let db: SqlDb;
  let state: { source: ReportSource; ds: Dataset };
  let steps = 0;
  beforeAll(async () => {
    const ds = generate({ seed: 23, visitors: 1500 });
    const erased = ds.visitors.filter((v, i) => v.mode === 'send' && i % 6 === 0);
    const erasedIds = new Set(erased.map((v) => v.client_id));
    // Rows that arrive during the fill (late ones included: every fourth row, in any hour), never of an erased visitor.
    const late = ds.rows.filter((r, i) => i % 4 === 1 && !erasedIds.has(r.client_id ?? ''));
    const lateIds = new Set(late.map((r) => r.event_id));
    db = await olderStore(ds, ds.rows.filter((r) => !lateIds.has(r.event_id)));
    // Rows changed during the fill and put back later (their hour can move: update triggers on both tables).
    const picked = ds.rows.filter((r) => r.consent_mode === 'send' && !lateIds.has(r.event_id) && !erasedIds.has(r.client_id ?? '')).slice(0, 80);
    // A write between steps: a batch of late rows or an erasure, in turns; the change first, putting it back last.
    const batches: (() => Promise<unknown>)[] = [];
    for (let i = 0; i < late.length; i += 400) batches.push(() => loadSqlite(db, late.slice(i, i + 400)));
    const erasures = erased.map((v) => () => db.run('DELETE FROM events WHERE client_id = ?', [v.client_id]));
    const writes: (() => Promise<unknown>)[] = [
      () => db.run(`UPDATE events SET channel = 'moved', time = time + 1800001 WHERE event_id IN (${picked.map(() => '?').join(', ')})`, picked.map((r) => r.event_id)),
    ];
    const every = Math.max(1, Math.floor(erasures.length / batches.length));
    erasures.forEach((e, i) => {
      if (i % every === 0 && batches.length > 0) writes.push(batches.shift()!);
      writes.push(e);
    });
    writes.push(...batches);
    writes.push(() => db.batch(picked.map((r) => ({ sql: 'UPDATE events SET channel = ?, time = time - 1800001 WHERE event_id = ?', params: [r.channel, r.event_id] }))));
    // Stops after a few steps (a shutdown), then a restart resumes where it stopped.
    const stop = new Error('stop');
    let paused = 0;
    await expect(
      fillReportSummary(db, {
        stepRows: 300,
        pause: async () => {
          await writes.shift()?.();
          if (++paused === 6) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(await summaryComplete(db)).toBe(false);
    expect(await db.get("SELECT 1 AS x FROM kv WHERE key = 'report_summary_fill'")).toBeDefined();
    steps = await fillReportSummary(db, { stepRows: 300, pause: async () => void (await writes.shift()?.()) });
    while (writes.length > 0) await writes.shift()!();
    expect(await db.get("SELECT 1 AS x FROM events WHERE channel = 'moved'")).toBeUndefined();
    expect((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events'))!.n).toBe(ds.rows.filter((r) => !erasedIds.has(r.client_id ?? '')).length);
    state = { source: sqliteSource(db), ds: { ...ds, visitors: ds.visitors.filter((v) => !erasedIds.has(v.client_id)) } };
  });

  it('completes (resumed after a stop), and its summary equals a rebuild from the rows', async () => {
    expect(steps).toBeGreaterThan(5);
    expect(await summaryComplete(db)).toBe(true);
    expect(await db.get("SELECT 1 AS x FROM kv WHERE key = 'report_summary_fill'")).toBeUndefined();
    await expectEqualToRebuild(db);
  });
  describe('every report equals the truth', () => {
    reportSuite(() => state);
  });
  describe('every report equals the truth over a range cut inside hours', () => {
    reportSuite(() => ({ source: state.source, ds: cutRange(state.ds) }));
  });
});
