/**
 * Issue 13 (item 6), for real: a vendor that fails (503, hangs, 429) for longer than
 * `max_attempts × backoff` still ends in delivery, not in the dead-letter store — a wait while the
 * breaker is open, or a probe that fails, uses up no attempt. A healthy destination is never held back.
 * Reports the exact counts of accepted, delivered, duplicated and dead-lettered events.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSwitchableFake, type SwitchableFake } from './switchable-fake.js';
import { copies, deliveredInStore, ga4Destination, kill, postEvent, readStore, report, startProxy, tally, writeConfig, type ProxyProcess } from './harness.js';

/** Post `ids` from 8 concurrent clients; returns each id's status. */
async function postAll(base: string, ids: string[]): Promise<Map<string, number | 'no answer'>> {
  const out = new Map<string, number | 'no answer'>();
  let next = 0;
  const client = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      out.set(id, await postEvent(base, id));
    }
  };
  await Promise.all(Array.from({ length: 8 }, client));
  return out;
}

const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
const missing = (ids: string[], fake: SwitchableFake) => {
  const got = new Set(fake.delivered());
  return ids.filter((id) => !got.has(id));
};
/**
 * Few attempts and short backoff: each outage below lasts many times `max_attempts × backoff_max`, so an
 * item whose breaker waits or failed probes counted as attempts would be dead-lettered long before the end.
 */
const MAX_ATTEMPTS = 3;

/** Wait (bounded) until the store records every one of `ids` as delivered to each destination; the dead letters then. */
async function settledEverywhere(data: string, ids: string[], destinations: string[]): Promise<Record<string, number>> {
  return vi.waitFor(
    () =>
      readStore(data, (db) => {
        for (const d of destinations) {
          const done = deliveredInStore(db, d);
          expect(ids.filter((id) => !done.has(id)), `${d}: not recorded as delivered yet`).toEqual([]);
        }
        expect((db.prepare('SELECT COUNT(*) AS n FROM delivery_retry').get() as { n: number }).n).toBe(0);
        const rows = db.prepare('SELECT destination_id, COUNT(*) AS n FROM dead_letter GROUP BY destination_id').all() as { destination_id: string; n: number }[];
        return Object.fromEntries(destinations.map((d) => [d, rows.find((r) => r.destination_id === d)?.n ?? 0]));
      }),
    { timeout: 20_000, interval: 50 },
  );
}

describe('outage: one destination fails (503, hangs, 429), another stays healthy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-outage-'));
  const fakes: SwitchableFake[] = [];
  let proxy: ProxyProcess | undefined;

  afterAll(async () => {
    await kill(proxy);
    for (const f of fakes) await f.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every accepted event reaches both; the healthy one is not held back; the breaker honours Retry-After', async ({ annotate }) => {
    const down = await startSwitchableFake();
    const up = await startSwitchableFake();
    fakes.push(down, up);
    down.health = { mode: 'unavailable' };
    const batch = { max_events: 10, max_wait_ms: 5 };
    const data = join(dir, 'data');
    const config = writeConfig(dir, {
      destinations: [
        // One request at a time to the failing vendor: the order in which it receives requests is the
        // order the proxy sent them, each after the answer to the previous one was read.
        ga4Destination('ga_down', down.url, { batch, timeout_ms: 2500, max_in_flight: 1 }),
        // The healthy vendor answers at once; a generous timeout keeps a loaded machine from turning its
        // slow reads into failures (which, with few attempts, would dead-letter delivered events).
        ga4Destination('ga_up', up.url, { batch, timeout_ms: 5000 }),
      ],
      delivery: {
        poll_interval: '50ms',
        backoff_base: '20ms',
        backoff_max: '300ms',
        max_attempts: MAX_ATTEMPTS,
        breaker: { failures: 3, cooldown: '100ms', max_cooldown: '1s' },
      },
    });
    proxy = await startProxy(config, data);
    const accepted: string[] = [];
    const accept = (statuses: Map<string, number | 'no answer'>) => {
      expect([...statuses.values()].every((s) => s === 202)).toBe(true);
      accepted.push(...statuses.keys());
    };

    // Phase 1: 503. Ingest answers 202 for everything; the healthy destination gets it all while the
    // failing one has delivered nothing (an ordering: ga_up does not wait for ga_down).
    accept(await postAll(proxy.base, range('p1', 150)));
    const posted = Date.now();
    await vi.waitFor(() => expect(missing(accepted, up)).toEqual([]), { timeout: 20_000, interval: 20 });
    const lag = Date.now() - posted;
    expect(down.delivered()).toEqual([]);
    await vi.waitFor(() => expect(proxy!.stderr()).toMatch(/"msg":"delivery breaker opened","destination":"ga_down"/), { timeout: 10_000 });

    // Phase 2: hangs. While one send to ga_down is stuck waiting for its timeout, ingest answers 202
    // and ga_up delivers every new event: an ordering, not a timing, proof that nothing waits on it.
    down.health = { mode: 'hang', holdMs: 60_000 };
    await vi.waitFor(() => expect(down.hits.some((h) => h.mode === 'hang')).toBe(true), { timeout: 10_000, interval: 10 });
    const stuck = down.hits.find((h) => h.mode === 'hang')!;
    accept(await postAll(proxy.base, range('p2', 40)));
    await vi.waitFor(() => expect(missing(accepted, up)).toEqual([]), { timeout: 20_000, interval: 10 });
    const upDone = Date.now();
    await vi.waitFor(() => expect(stuck.abandonedAt).toBeDefined(), { timeout: 10_000, interval: 10 });
    expect(upDone).toBeLessThanOrEqual(stuck.abandonedAt!);
    expect(down.delivered()).toEqual([]);

    // Phase 3: 429 with Retry-After: 2 (longer than max_cooldown). No request may come before it ends.
    const throttledFrom = down.hits.length;
    down.health = { mode: 'throttled', retryAfterSeconds: 2 };
    await vi.waitFor(() => expect(down.hits.slice(throttledFrom).some((h) => h.status === 429)).toBe(true), { timeout: 15_000, interval: 10 });
    down.health = { mode: 'up' };
    const throttled = down.hits.slice(throttledFrom).find((h) => h.status === 429)!;

    // Phase 4: recovered. Everything accepted arrives, nothing was dead-lettered.
    await vi.waitFor(() => expect(missing(accepted, down)).toEqual([]), { timeout: 30_000, interval: 50 });
    const after = down.hits.filter((h) => h.receivedAt > throttled.answeredAt!);
    expect(after.length).toBeGreaterThan(0);
    // Date.now() has 1 ms resolution and the proxy starts its clock after the answer left: allow a few ms.
    expect(after[0]!.receivedAt - throttled.answeredAt!).toBeGreaterThanOrEqual(2000 - 5);
    expect(missing(accepted, up)).toEqual([]);
    await vi.waitFor(() => expect(proxy!.stderr()).toMatch(/"msg":"delivery breaker closed","destination":"ga_down"/), { timeout: 10_000 });
    expect(proxy.stderr()).not.toMatch(/"msg":"delivery breaker opened","destination":"ga_up"/);

    // The outage outlasted max_attempts × backoff many times over and ga_down refused more requests than
    // max_attempts; still nothing was dead-lettered and everything was recorded as delivered.
    expect(down.hits.filter((h) => h.status !== 204).length).toBeGreaterThan(MAX_ATTEMPTS);
    const dead = await settledEverywhere(data, accepted, ['ga_down', 'ga_up']);
    const tallies = { ga_down: tally(accepted, down.delivered(), dead.ga_down!), ga_up: tally(accepted, up.delivered(), dead.ga_up!) };
    await report(annotate, 'outage (503, hang, 429, then up)', {
      accepted: accepted.length,
      ga_down_failed_requests: down.hits.filter((h) => h.status !== 204).length,
      healthy_lag_ms: lag,
      ...tallies,
    });
    // Duplicates are reported, not bounded here: a send that timed out after the vendor took it is sent
    // again (delivery is at least once).
    for (const t of Object.values(tallies)) expect({ delivered: t.delivered, dead_lettered: t.dead_lettered, lost: t.lost }).toEqual({ delivered: accepted.length, dead_lettered: 0, lost: 0 });
  }, 120_000);

  it('a vendor down for longer than max_attempts × backoff: failed probes and breaker waits use no attempts, so it ends in delivery', async ({ annotate }) => {
    const vendor = await startSwitchableFake();
    fakes.push(vendor);
    vendor.health = { mode: 'unavailable' };
    const data = join(dir, 'data-long');
    const config = writeConfig(
      dir,
      {
        destinations: [ga4Destination('ga', vendor.url, { batch: { max_events: 25, max_wait_ms: 5 } })],
        delivery: {
          poll_interval: '50ms',
          backoff_base: '20ms',
          backoff_max: '100ms',
          max_attempts: MAX_ATTEMPTS,
          breaker: { failures: 2, cooldown: '50ms', max_cooldown: '200ms' },
        },
      },
      'long.yaml',
    );
    await kill(proxy);
    proxy = await startProxy(config, data);
    const ids = range('long', 10);
    const res = await fetch(`${proxy.base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: ids.map((id) => ({ name: 'purchase', event_id: id, params: { eid: id, currency: 'EUR', value: 1 }, consent: { analytics_storage: 'granted' } })) }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: ids.length, duplicates: 0 });

    // An ordering, not a timing, proof of the outage's length: wait (bounded) until the vendor has refused
    // every event twice as often as max_attempts allows attempts.
    const refusals = () => copies(vendor.hits.filter((h) => h.status === 503).flatMap((h) => h.eids));
    await vi.waitFor(() => expect(ids.filter((id) => (refusals().get(id) ?? 0) < 2 * MAX_ATTEMPTS)).toEqual([]), { timeout: 20_000, interval: 20 });
    expect(readStore(data, (db) => (db.prepare('SELECT COUNT(*) AS n FROM dead_letter').get() as { n: number }).n)).toBe(0);

    vendor.health = { mode: 'up' };
    await vi.waitFor(() => expect(missing(ids, vendor)).toEqual([]), { timeout: 20_000, interval: 20 });
    const dead = await settledEverywhere(data, ids, ['ga']);
    const attempts = readStore(data, (db) => db.prepare("SELECT MAX(attempts) AS n FROM delivery_log WHERE destination_id = 'ga'").get() as { n: number });
    const t = tally(ids, vendor.delivered(), dead.ga!);
    await report(annotate, `outage longer than max_attempts (${MAX_ATTEMPTS}) × backoff`, {
      accepted: ids.length,
      refused_per_event_min: Math.min(...ids.map((id) => refusals().get(id) ?? 0)),
      recorded_attempts_max: attempts.n,
      ga: t,
    });
    expect({ delivered: t.delivered, dead_lettered: t.dead_lettered, lost: t.lost }).toEqual({ delivered: ids.length, dead_lettered: 0, lost: 0 });
    expect(attempts.n).toBeLessThanOrEqual(MAX_ATTEMPTS);
  }, 60_000);
});
