/**
 * Issue 14 §1–2 wired into the event path: the tracking plan's three modes at the door, replay of a
 * quarantined event after the plan is fixed, counts in the store, and derived micro-conversions that
 * flow like any event and are never derived twice.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { post, testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { replayDeadLetters } from '../../src/delivery/dead-letter.js';

const apps: TagrelayApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.services.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const GRANTED = { analytics_storage: 'granted' };
const items = [{ item_id: 'SKU1', price: 10, quantity: 1 }];
const good = { name: 'purchase', event_id: 'p-good', params: { transaction_id: 'T1', value: 10, currency: 'EUR', items } };
const bad = { name: 'purchase', event_id: 'p-bad', params: { value: 10, currency: 'EUR', items } };

function app(input: ConfigInput, file = ':memory:') {
  const a = testApp(input, { file }).app;
  apps.push(a);
  return a;
}

const plan = (mode: 'warn' | 'drop' | 'quarantine') => ({ tracking_plan: { mode, extends: ['ga4_ecommerce'] } }) as ConfigInput;

describe('tracking plan at the door', () => {
  it('drop: the violating event is rejected with its path and ERR_PLAN_VIOLATION; its neighbour is stored', async () => {
    const a = app(plan('drop'));
    const res = await post(a, '/v1/events', { events: [{ name: 'x', event_id: 42 }, bad, good], context: { consent: GRANTED } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; code: string; field: string; message: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [0, 'ERR_INVALID_TYPE'],
      [1, 'ERR_PLAN_VIOLATION'],
    ]);
    expect(body.rejected[1]!.field).toBe('params.transaction_id');
    await a.services.worker.drain();
    expect(await a.services.runtime.db.all('SELECT event_id FROM events')).toEqual([{ event_id: 'p-good' }]);
  });

  it('warn: the event flows, its decisions carry the violation, and the counts are stored', async () => {
    const a = app(plan('warn'));
    await post(a, '/v1/events', { ...bad, consent: GRANTED });
    await a.services.worker.drain();
    const [log] = await a.services.runtime.db.all<{ status: string; reasons: string }>("SELECT status, reasons FROM delivery_log WHERE event_id = 'p-bad'");
    expect(log!.status).toBe('delivered');
    expect(JSON.parse(log!.reasons)).toContain('plan.required:params.transaction_id');
    await post(a, '/v1/events', { ...good, consent: GRANTED });
    const counts = await a.services.runtime.db.all<{ event: string; path: string; code: string; count: number }>('SELECT event, path, code, count FROM plan_counts ORDER BY code, path');
    expect(counts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ event: 'purchase', path: '', code: 'outcome.warn', count: 1 }),
        expect.objectContaining({ event: 'purchase', path: 'params.transaction_id', code: 'plan.required', count: 1 }),
      ]),
    );
  });

  it('quarantine: dead-lettered with plan.violation:<path>; replayed after the plan is fixed, it is delivered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-plan-'));
    dirs.push(dir);
    const file = join(dir, 'store.db');
    const strict = app(plan('quarantine'), file);
    await post(strict, '/v1/events', { ...bad, consent: GRANTED });
    await strict.services.worker.drain();
    expect(await strict.services.runtime.db.all('SELECT destination_id, reason FROM dead_letter')).toEqual([{ destination_id: 'lake', reason: 'plan.violation:params.transaction_id' }]);
    expect(await strict.services.runtime.db.all('SELECT event_id FROM events')).toEqual([]);
    await strict.services.close();
    apps.splice(apps.indexOf(strict), 1);

    // The plan now accepts purchases without a transaction id (the site's own rule overrides the built-in one).
    const fixed = app({ tracking_plan: { mode: 'quarantine', extends: ['ga4_ecommerce'], events: { purchase: { params: { transaction_id: { type: 'string', required: false } } } } } } as ConfigInput, file);
    await fixed.services.ready;
    const [{ id }] = (await fixed.services.runtime.db.all<{ id: number }>('SELECT id FROM dead_letter')) as [{ id: number }];
    expect(await replayDeadLetters(fixed.services.runtime.db, { ids: [id] }, Date.now())).toBe(1);
    await fixed.services.worker.drain();
    expect(await fixed.services.runtime.db.all('SELECT event_id FROM events')).toEqual([{ event_id: 'p-bad' }]);
    expect(await fixed.services.runtime.db.all('SELECT id FROM dead_letter')).toEqual([]);
  });
});

describe('conversion rules', () => {
  const rules = {
    conversions: [
      { id: 'pricing', when: { event: 'page_view', page: '/pricing*' }, emit: { name: 'view_pricing' }, kind: 'micro' },
      { id: 'video', when: { event: 'video_complete' }, emit: { name: 'video_watched', value: 2 }, kind: 'micro' },
    ],
  } as ConfigInput;

  it('a page view on /pricing derives view_pricing: stored with its kind and source, never derived twice', async () => {
    const a = app(rules);
    const source = { name: 'page_view', event_id: 'pv-1', page: { url: 'https://shop.example/pricing/teams' }, consent: GRANTED };
    expect(await (await post(a, '/v1/events', source)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await post(a, '/v1/events', source)).json()).toMatchObject({ duplicates: 1 });
    await post(a, '/v1/events', { name: 'page_view', event_id: 'pv-2', page: { url: 'https://shop.example/about' }, consent: GRANTED });
    await a.services.worker.drain();
    const rows = await a.services.runtime.db.all<{ event_id: string; name: string; data: string }>('SELECT event_id, name, data FROM events ORDER BY event_id');
    expect(rows.map((r) => r.name).sort()).toEqual(['page_view', 'page_view', 'view_pricing']);
    const derived = rows.find((r) => r.name === 'view_pricing')!;
    expect(JSON.parse(derived.data)).toMatchObject({ kind: 'micro', derived_from: { event_id: 'pv-1', rule_id: 'pricing' } });
    expect(await a.services.runtime.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM records WHERE json_extract(data, '$.derived_from.rule_id') = 'pricing'")).toEqual({ n: 1 });
  });

  it('a derived event inherits the consent of its source: denied analytics → the warehouse row is anonymized', async () => {
    const a = app(rules);
    await post(a, '/v1/events', { name: 'video_complete', event_id: 'v-1', client: { client_id: '123.456' }, consent: { analytics_storage: 'denied' } });
    await a.services.worker.drain();
    const rows = await a.services.runtime.db.all<{ name: string; client_id: string | null; data: string }>('SELECT name, client_id, data FROM events ORDER BY name');
    expect(rows.map((r) => r.name)).toEqual(['video_complete', 'video_watched']);
    for (const r of rows) expect(r.client_id).not.toBe('123.456');
    expect(JSON.parse(rows[1]!.data).params.value).toBe(2);
  });
});
