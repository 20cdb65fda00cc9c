/**
 * A server over a store written before the report summary: `ready` does not wait for the fill; the
 * reports answer (exactly, from the rows) while it runs in the background, and read the summary once
 * it is complete — equal to the truth both times.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { summaryComplete } from '../../src/store/report-summary.js';
import type { FunnelData } from '../../src/reports/index.js';
import type { TagrelayApp } from '../../src/app.js';
import type { Runtime } from '../../src/ports.js';
import { testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { generate } from './generator.js';
import { loadSqlite } from './load.js';
import { funnelTruth } from './truth.js';

const ds = generate({ seed: 31, visitors: 2000 });
let app: TagrelayApp;
let runtime: Runtime;
let log: ReturnType<typeof testApp>['log'];

beforeAll(async () => {
  const file = join(mkdtempSync(join(tmpdir(), 'tagrelay-fill-')), 'tagrelay.db');
  const db = openSqlite(file);
  await migrate(db);
  await loadSqlite(db, ds.rows);
  // As an older release left it.
  await db.exec("DELETE FROM report_pieces; DELETE FROM report_hours; DELETE FROM kv WHERE key = 'report_summary'");
  await db.close();
  ({ app, runtime, log } = testApp({ admin: { jwt: { secret: ADMIN_SECRET } }, destinations: [{ id: 'warehouse', type: 'sqlite' }] }, { file }));
  await app.services.ready;
});
afterAll(async () => {
  await app.services.close();
});

async function funnel(): Promise<FunnelData> {
  const res = await app.request(`/admin/v1/reports/funnel?since=${ds.since}&until=${ds.until}&by=channel`, {
    headers: { authorization: `Bearer ${await hsToken({ scope: 'reports:read', sub: 'analyst' })}` },
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { data: FunnelData }).data;
}

describe('the background fill of an older store', () => {
  it('ready does not wait for it; reports are exact while it runs and after it completes', async () => {
    expect(ds.rows.length).toBeGreaterThan(8000);
    // Ready, and the fill (steps of 2,000 rows) not done yet: the report reads the rows.
    expect(await summaryComplete(runtime.db)).toBe(false);
    const truth = funnelTruth(ds, { steps: ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'], count: 'sessions', by: 'channel' });
    const during = await funnel();
    expect(during.total).toEqual(truth.total);
    expect(new Map(during.groups!.map((g) => [g.key, g.steps]))).toEqual(truth.groups);
    const deadline = Date.now() + 20_000;
    while (!(await summaryComplete(runtime.db)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await summaryComplete(runtime.db)).toBe(true);
    expect(log.lines.some((l) => l.msg === 'report summary: filled')).toBe(true);
    expect((await runtime.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM report_pieces'))!.n).toBeGreaterThan(1000);
    const after = await funnel();
    expect(after.total).toEqual(truth.total);
    expect(new Map(after.groups!.map((g) => [g.key, g.steps]))).toEqual(truth.groups);
  });
});
