/**
 * Alarms on the real app: events accepted over /v1/events become records the rollup reads (names,
 * consent, Meta match keys), and a destination the real delivery worker fails on raises
 * `destination_failing` through `services.alarms`, then resolves when deliveries succeed again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { clock, post, testApp } from '../helpers/runtime.js';
import { startFake, type VendorFake } from '../fakes/fake-server.js';
import { waitFor } from '../helpers/deadline.js';
import { exposition } from '../../src/metrics/exposition.js';

const fakes: VendorFake[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

const event = (name: string, i: number, extra: Record<string, unknown> = {}) => ({
  name,
  event_id: `${name}-${i}`,
  client: { client_id: `${1000 + i}.1700000000` },
  page: { url: 'https://shop.example/p' },
  ...extra,
});

describe('alarms on the real app', () => {
  it('rolls up accepted events: counts per name, analytics denied, Meta match keys', async () => {
    const now = clock(Date.UTC(2026, 10, 23, 12, 0, 0));
    // A Meta-flavoured destination, so the records keep Meta's hashes where consent allows.
    const { app } = testApp({ destinations: [{ id: 'hook', type: 'webhook', url: 'http://127.0.0.1:9/in', secret: 'x'.repeat(32), requires: ['ad_storage', 'ad_user_data'] }] }, { now });
    // No consent signal in an opt-in region: analytics denied.
    for (let i = 0; i < 3; i++) expect((await post(app, '/v1/events', event('page_view', i))).status).toBe(202);
    // Explicit consent, an email (hashed at accept for Meta), and a client-sent fbp on an add_to_cart without consent.
    for (let i = 0; i < 2; i++) {
      const res = await post(app, '/v1/events', event('purchase', i, { consent: { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' }, user: { email: `buyer${i}@example.com` } }));
      expect(res.status).toBe(202);
    }
    expect((await post(app, '/v1/events', event('add_to_cart', 9, { client: { client_id: '9.1700000000', fbp: 'fb.1.1700000000000.42' } }))).status).toBe(202);
    await app.services.outbox.flush();
    now.now += 60_000;
    const tick = await app.services.alarms.tick();
    expect(tick.evaluated).toBe(true);
    const rows = await app.services.runtime.db.all<{ metric: string; key: string; value: number }>("SELECT metric, key, SUM(value) AS value FROM alarm_rollup WHERE metric <> 'last' GROUP BY metric, key ORDER BY metric, key");
    expect(rows).toEqual([
      { metric: 'ads', key: '', value: 2 },
      { metric: 'denied', key: '', value: 4 },
      { metric: 'ev', key: 'add_to_cart', value: 1 },
      { metric: 'ev', key: 'page_view', value: 3 },
      { metric: 'ev', key: 'purchase', value: 2 },
      { metric: 'matched', key: '', value: 2 },
    ]);
    // When each name was last received: the record's received_at (the clock at accept).
    const last = await app.services.runtime.db.all<{ key: string; value: number }>("SELECT key, value FROM alarm_rollup WHERE metric = 'last' ORDER BY key");
    expect(last).toEqual(['add_to_cart', 'page_view', 'purchase'].map((key) => ({ key, value: Date.UTC(2026, 10, 23, 12, 0, 0) })));
    // Every name seen is watched for stopping ("ok": it just arrived).
    expect(tick.conditions.filter((c) => c.kind === 'event_stopped').map((c) => [c.subject, c.state]).sort()).toEqual([
      ['add_to_cart', 'ok'],
      ['page_view', 'ok'],
      ['purchase', 'ok'],
    ]);
    await app.services.close();
  });

  it('a destination failing in the real delivery worker fires destination_failing, and resolves once it delivers again', async () => {
    let down = true;
    const hook = await startFake(() => (down ? { status: 503, body: '{"error":"unavailable"}' } : { status: 200, body: '{}' }));
    fakes.push(hook);
    const now = clock(Date.UTC(2026, 10, 23, 12, 0, 0));
    const { app } = testApp(
      {
        destinations: [{ id: 'hook', type: 'webhook', url: `${hook.url}/in`, secret: 'x'.repeat(32) }],
        // Every item attempted (no breaker pause on the hand-moved clock), and retries minutes apart, so
        // moving the clock past the 30 s read lag does not re-stamp the failures before the tick reads them.
        delivery: { breaker: { failures: 1000 }, backoff_base: '10m', backoff_max: '10m' },
        alarms: { destination_failing: { min_outcomes: 10 } },
      },
      { now },
    );
    await app.services.ready;
    const granted = { consent: { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' } };
    for (let i = 0; i < 30; i++) expect((await post(app, '/v1/events', event('page_view', i, granted))).status).toBe(202);
    const db = app.services.runtime.db;
    await waitFor('the worker recorded failures', async () => ((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_log WHERE status = 'retrying'"))!.n >= 30 ? true : undefined), { timeoutMs: 30_000 });
    // Decision records are read 30 s late (they are stamped before their batch commits).
    now.now += 31_000;
    const fired = await app.services.alarms.tick();
    expect(fired.fired.map((a) => a.key)).toEqual(['destination_failing:hook']);
    expect(app.services.alarms.open().map((a) => [a.kind, a.subject])).toEqual([['destination_failing', 'hook']]);
    expect(app.services.alarms.open()[0]!.seen).toBe(100);
    // The metrics channel: /metrics shows the open alarm.
    expect(await exposition(app.services.metrics.registry)).toContain('tagrelay_alarm_open{kind="destination_failing",subject="hook"} 1');
    // The vendor recovers; past the breaker's cooldown and the window, the retries deliver.
    down = false;
    now.now += 16 * 60_000;
    app.services.worker.wake();
    await waitFor('the retries delivered', async () => ((await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_log WHERE status = 'delivered'"))!.n >= 30 ? true : undefined), { timeoutMs: 30_000 });
    now.now += 31_000;
    const resolved = await app.services.alarms.tick();
    expect(resolved.resolved.map((a) => a.key)).toEqual(['destination_failing:hook']);
    expect(app.services.alarms.open()).toEqual([]);
    expect(await exposition(app.services.metrics.registry)).not.toContain('tagrelay_alarm_open{');
    await app.services.close();
  });
});
