import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { warehouseRow } from '../../src/destinations/sqlite.js';
import type { Event } from '../../src/event.js';
import { makeEvent, yaml } from './helpers.js';
import { runCli } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'tagrelay-plan-check-'));
const dataDir = join(dir, 'data');
const dbFile = join(dataDir, 'tagrelay.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `tagrelay plan …` as a child process. */
const cli = (args: string[], env: Record<string, string> = {}) => runCli(['plan', ...args], env);

const DAY = 86_400_000;
const SECRET = 'someone@example.com';

beforeAll(async () => {
  const now = Date.now();
  const at = (daysAgo: number, i: number) => ({ time: now - daysAgo * DAY, received_at: now - daysAgo * DAY + i });
  const item = { item_id: 'SKU_1', price: 10, quantity: 1 };
  const events: Event[] = [];
  for (let i = 0; i < 1200; i++) events.push(makeEvent({ event_id: `pv-${i}`, name: 'page_view', ...at(1, i) }));
  for (let i = 0; i < 3; i++) {
    events.push(makeEvent({ event_id: `ok-${i}`, name: 'purchase', params: { transaction_id: `T${i}`, value: 10, currency: 'EUR' }, items: [item], ...at(2, i) }));
  }
  // A value sent as text, a lower-case currency and an item without id or name.
  events.push(makeEvent({ event_id: 'bad-1', name: 'purchase', params: { transaction_id: 'T9', value: '10.00', currency: 'eur' }, items: [item], ...at(1, 1) }));
  events.push(makeEvent({ event_id: 'bad-2', name: 'purchase', params: { transaction_id: 'T8', value: '12.50', currency: 'EUR' }, items: [item, { price: 3 }], ...at(1, 2) }));
  events.push(makeEvent({ event_id: 'cc-1', name: 'addToCart', params: { note: SECRET }, user: { email: SECRET }, ...at(3, 0) }));
  // Older than --since 7d: not checked.
  events.push(makeEvent({ event_id: 'old-1', name: 'purchase', params: {}, ...at(30, 0) }));
  const db = openSqlite(dbFile);
  await migrate(db);
  const INSERT = 'INSERT INTO events (event_id, name, time, received_at, client_id, session_id, user_id, page_url, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)';
  await db.batch(
    events.map((e) => {
      const r = warehouseRow(e);
      return { sql: INSERT, params: [r.event_id, r.name, r.time, r.received_at, r.client_id, r.session_id, r.user_id, r.page_url, r.data] };
    }),
  );
  await db.close();
  writeFileSync(
    join(dir, 'plan.yaml'),
    yaml('mode: quarantine', 'unplanned: warn', 'extends: [ga4_ecommerce, ga4_automatic]', 'events:', '  purchase:', '    params:', '      payment_type: { type: string, enum: [card, paypal] }'),
  );
  writeFileSync(join(dir, 'site.yaml'), yaml('server:', `  data_dir: ${dataDir}`, 'tracking_plan:', '  mode: drop', '  extends: [ga4_ecommerce]'));
  writeFileSync(join(dir, 'broken.yaml'), yaml('mode: quarantine', 'events:', '  purchase:', '    params:', "      coupon: { type: string, pattern: '(a+)+' }"));
});

describe('tagrelay plan check', { timeout: 60_000 }, () => {
  it('prints per event name what the new plan would warn, quarantine or drop, with the top paths', async () => {
    const r = await cli(['check', '--plan', join(dir, 'plan.yaml'), '--db', dbFile, '--since', '7d']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/1206 stored event\(s\) received since .* \(7d\)/);
    expect(r.out).toContain('plan: mode quarantine, unplanned warn, naming warn');
    expect(r.out).toMatch(/^purchase\s+5\s+3\s+0\s+2\s+0$/m);
    expect(r.out).toMatch(/^\s+2× params\.value  plan\.type: expected number ≥ 0, got numeric string$/m);
    expect(r.out).toMatch(/^\s+1× params\.currency  plan\.type: expected ISO 4217 currency code, got string of three letters, not a known upper-case code$/m);
    expect(r.out).toMatch(/^\s+1× params\.items\[\]  plan\.item_id: expected an item with item_id or item_name, got none of them$/m);
    expect(r.out).toMatch(/^addToCart\s+1\s+0\s+1\s+0\s+0$/m);
    expect(r.out).toMatch(/^\s+1× name  plan\.unplanned: expected an event in the tracking plan, got unplanned event \(suggest add_to_cart\)$/m);
    expect(r.out).toMatch(/^page_view\s+1200\s+1200\s+0\s+0\s+0$/m);
    expect(r.out).toContain('would warn 1, quarantine 2 and drop 0 of 1206 event(s)');
    // Values never: neither the personal data nor the wrong values themselves.
    expect(r.out).not.toContain(SECRET);
    expect(r.out).not.toMatch(/10\.00|12\.50|\beur\b/);
  });

  it('--format json gives the same as data', async () => {
    const r = await cli(['check', '--plan', join(dir, 'plan.yaml'), '--db', dbFile, '--format', 'json', '--top', '1']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as { checked: number; outcomes: Record<string, number>; events: { event: string; outcomes: Record<string, number>; top: { path: string; count: number }[] }[]; since: string };
    expect(body.checked).toBe(1206);
    expect(body.outcomes).toEqual({ pass: 1203, warn: 1, quarantine: 2, drop: 0 });
    const purchase = body.events.find((e) => e.event === 'purchase')!;
    expect(purchase.top).toEqual([expect.objectContaining({ path: 'params.value', code: 'plan.type', count: 2 })]);
    expect(Date.parse(body.since)).toBeGreaterThan(Date.now() - 8 * 86_400_000);
  });

  it('a shorter window checks fewer events; a config file with tracking_plan works too, and finds the store from its data_dir', async () => {
    const r = await cli(['check', '--plan', join(dir, 'site.yaml'), '--config', join(dir, 'site.yaml'), '--since', '36h', '--format', 'json']);
    expect(r.err).toBe('');
    const body = JSON.parse(r.out) as { checked: number; plan: { mode: string }; outcomes: Record<string, number> };
    expect(body.checked).toBe(1202);
    expect(body.plan.mode).toBe('drop');
    expect(body.outcomes.drop).toBe(2);
  });

  it('refuses a plan with a runaway regex, with file:line:col', async () => {
    const bad = await cli(['check', '--plan', join(dir, 'broken.yaml'), '--db', dbFile]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/broken\.yaml:5:\d+ events\.purchase\.params\.coupon\.pattern: nested repetition/);
  });

  it('refuses bad arguments and a missing store', async () => {
    const noPlan = await cli(['check', '--db', dbFile]);
    expect(noPlan.code).toBe(2);
    expect(noPlan.err).toContain('usage: tagrelay plan check');
    expect((await cli(['check', '--plan', join(dir, 'plan.yaml'), '--db', dbFile, '--since', 'a week'])).code).toBe(2);
    const noDb = await cli(['check', '--plan', join(dir, 'plan.yaml'), '--db', join(dir, 'missing.db')]);
    expect(noDb.code).toBe(2);
    expect(noDb.err).toContain('no store at');
  });
});
