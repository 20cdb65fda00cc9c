/**
 * Issue 13 (item 8), for real: SIGKILL the proxy while it delivers to GA4 and Meta, restart it on the
 * same store, and count. Every event answered 202 is durable at the kill and reaches each vendor after
 * the restart; what was recorded as delivered before the kill is not sent again; the only duplicates are
 * items the vendor had received but the store had not recorded yet — bounded by the worker's in-flight
 * window per destination. Reports the exact counts of accepted, delivered, duplicated and dead-lettered events.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import {
  META_PIXEL,
  META_TOKEN,
  copies,
  deliveredInStore,
  ga4Destination,
  ga4EventIds,
  kill,
  metaDestination,
  metaEventIds,
  postEvent,
  readStore,
  report,
  startProxy,
  tally,
  writeConfig,
  type ProxyProcess,
} from './harness.js';

const TOTAL = 400;
/** Events per claim (`delivery.claim_batch`) and per send (`batch.max_events`). */
const BATCH = 20;
/**
 * The most items one destination has claimed and not yet settled (in flight, or answered and waiting for
 * the settle commit): one claim batch (issue 13: duplicates ≤ one in-flight batch per destination).
 * Only these can be sent again after a crash.
 */
const IN_FLIGHT_WINDOW = BATCH;
const VENDORS = ['ga', 'meta'] as const;
type Vendor = (typeof VENDORS)[number];

describe('crash: SIGKILL mid-delivery, restart on the same data dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-crash-'));
  let ga: Ga4Fake;
  let meta: MetaFake;
  let proxy: ProxyProcess | undefined;

  afterAll(async () => {
    await kill(proxy);
    await ga?.close();
    await meta?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every 202 reaches each vendor; settled items are not resent; duplicates are only what was in flight at the kill', async ({ annotate }) => {
    // The fakes answer after 20–50 ms like real vendors, so requests are in flight when the proxy dies.
    ga = await startGa4Fake({ apiSecret: 'test-secret' });
    meta = await startMetaFake({ pixelId: META_PIXEL, accessToken: META_TOKEN });
    const batch = { max_events: BATCH, max_wait_ms: 5 };
    const config = writeConfig(dir, {
      destinations: [{ id: 'lake', type: 'sqlite' }, ga4Destination('ga', ga.url, { batch }), metaDestination('meta', meta.url, { batch })],
      delivery: { poll_interval: '50ms', backoff_base: '20ms', backoff_max: '200ms', claim_batch: BATCH },
    });
    const data = join(dir, 'data');
    proxy = await startProxy(config, data);
    const first = proxy;
    /** Event ids each vendor answered 2xx for, in order (requests answered later may still be in flight). */
    const vendorIds = (v: Vendor, from = 0, to?: number) =>
      v === 'ga'
        ? ga4EventIds(ga.received.slice(from, to).filter((r) => r.path === '/mp/collect' && r.status >= 200 && r.status < 300).map((r) => r.body))
        : metaEventIds(meta.received.slice(from, to).filter((r) => r.status === 200).map((r) => r.body as { data?: { event_id?: unknown }[] }));
    const received = (v: Vendor) => (v === 'ga' ? ga.received.length : meta.received.length);

    // Send from 8 paced concurrent clients; SIGKILL once half the events were answered and both vendors
    // have seen a few requests (or, on a slow machine, once 90% were answered).
    const status = new Map<string, number | 'no answer'>();
    let next = 0;
    let answered = 0;
    let killed: Promise<void> | undefined;
    const atKill: Record<Vendor, number> = { ga: 0, meta: 0 };
    const client = async () => {
      while (next < TOTAL) {
        const id = `crash-${next++}`;
        const s = await postEvent(first.base, id);
        status.set(id, s);
        if (s !== 'no answer') answered++;
        if (!killed && answered >= TOTAL / 2 && ((ga.received.length >= 2 * BATCH && meta.received.length >= 2) || answered >= 0.9 * TOTAL)) {
          killed = kill(first).then(() => {
            for (const v of VENDORS) atKill[v] = received(v);
          });
        }
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    await Promise.all(Array.from({ length: 8 }, client));
    await killed;
    expect(first.child.signalCode).toBe('SIGKILL');

    const acked = [...status].filter(([, s]) => s === 202).map(([id]) => id);
    const other = [...status].filter(([, s]) => s !== 202 && s !== 'no answer');
    expect(other).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(TOTAL / 2);
    expect(acked.length).toBeLessThan(TOTAL);

    // The store as the kill left it: every 202 is durable; what it records as delivered, the vendor had.
    const killedStore = readStore(data, (db) => ({
      records: new Set((db.prepare('SELECT event_id FROM records').all() as { event_id: string }[]).map((r) => r.event_id)),
      settled: Object.fromEntries(VENDORS.map((v) => [v, deliveredInStore(db, v)])) as Record<Vendor, Set<string>>,
    }));
    expect(acked.filter((id) => !killedStore.records.has(id))).toEqual([]);
    /** What each vendor had received (and answered 2xx) by the time the process was gone. */
    const sentBeforeKill = Object.fromEntries(VENDORS.map((v) => [v, new Set(vendorIds(v, 0, atKill[v]))])) as Record<Vendor, Set<string>>;
    for (const v of VENDORS) expect([...killedStore.settled[v]].filter((id) => !sentBeforeKill[v].has(id)), `${v}: recorded as delivered, never received`).toEqual([]);
    /** Received by the vendor before the kill but not recorded as delivered: the only items that may come twice. */
    const unsettledAtKill = Object.fromEntries(
      VENDORS.map((v) => [v, new Set([...sentBeforeKill[v]].filter((id) => !killedStore.settled[v].has(id)))]),
    ) as Record<Vendor, Set<string>>;

    // Restart on the same store: the records survived the kill and are delivered.
    const restartedFrom: Record<Vendor, number> = { ga: received('ga'), meta: received('meta') };
    proxy = await startProxy(config, data);
    // Wait (bounded) until every record is settled everywhere: delivered to each vendor, in the warehouse,
    // nothing waiting for a retry. Then nothing more will be sent and the counts below are final.
    const final = await vi.waitFor(
      () =>
        readStore(data, (db) => {
          const records = (db.prepare('SELECT event_id FROM records').all() as { event_id: string }[]).map((r) => r.event_id);
          for (const v of VENDORS) {
            const done = deliveredInStore(db, v);
            expect(records.filter((id) => !done.has(id)), `${v}: records not delivered yet`).toEqual([]);
          }
          const warehouse = new Set((db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id));
          expect(records.filter((id) => !warehouse.has(id)), 'records not in the warehouse yet').toEqual([]);
          expect((db.prepare('SELECT COUNT(*) AS n FROM delivery_retry').get() as { n: number }).n).toBe(0);
          const dead = db.prepare('SELECT destination_id, COUNT(*) AS n FROM dead_letter GROUP BY destination_id').all() as { destination_id: string; n: number }[];
          return { records: new Set(records), warehouse, dead: Object.fromEntries(dead.map((d) => [d.destination_id, d.n])) as Record<string, number> };
        }),
      { timeout: 30_000, interval: 100 },
    );

    const tallies: Record<string, ReturnType<typeof tally>> = {};
    for (const v of VENDORS) {
      const ids = vendorIds(v);
      const counts = copies(ids);
      const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
      tallies[v] = tally(acked, ids, final.dead[v] ?? 0);
      // Every 202 reached the vendor; nothing was dead-lettered.
      expect(acked.filter((id) => !counts.has(id)), v).toEqual([]);
      expect(final.dead[v] ?? 0, v).toBe(0);
      // What the store had recorded as delivered before the kill was not sent again after the restart.
      const resent = vendorIds(v, restartedFrom[v]).filter((id) => killedStore.settled[v].has(id));
      expect(resent, `${v}: settled before the kill, sent again after the restart`).toEqual([]);
      // Duplicates: only items the vendor had but the store had not recorded at the kill, each at most twice,
      // and never more than the worker's in-flight window.
      expect(duplicates.filter((id) => !unsettledAtKill[v].has(id)), v).toEqual([]);
      expect([...counts.values()].every((n) => n <= 2), v).toBe(true);
      expect(unsettledAtKill[v].size, `${v}: received but unrecorded at the kill`).toBeLessThanOrEqual(IN_FLIGHT_WINDOW);
      // Nothing the vendor got was invented: every id it saw was one the proxy had recorded.
      expect([...counts.keys()].filter((id) => !final.records.has(id)), v).toEqual([]);
    }
    expect(ga.problems().flat()).toEqual([]);
    expect(acked.filter((id) => !final.warehouse.has(id))).toEqual([]);

    await report(annotate, 'crash (SIGKILL mid-delivery, restart)', {
      accepted: acked.length,
      recorded: final.records.size,
      ...Object.fromEntries(VENDORS.map((v) => [v, { ...tallies[v]!, unrecorded_at_kill: unsettledAtKill[v].size, recorded_at_kill: killedStore.settled[v].size }])),
    });
  }, 90_000);
});
