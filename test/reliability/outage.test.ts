import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSwitchableFake, type SwitchableFake } from './switchable-fake.js';
import { ga4Destination, kill, postEvent, startProxy, writeConfig, type ProxyProcess } from './harness.js';

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
/** How long after the last 202 the healthy destination may take to have everything (generous: < 1 s in practice). */
const HEALTHY_LAG_BOUND_MS = 10_000;

describe('outage: one destination fails (503, hangs, 429), another stays healthy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-outage-'));
  let down: SwitchableFake;
  let up: SwitchableFake;
  let proxy: ProxyProcess | undefined;

  afterAll(async () => {
    await kill(proxy);
    await down?.close();
    await up?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every accepted event reaches both; the healthy one is not held back; the breaker honours Retry-After', async () => {
    down = await startSwitchableFake();
    up = await startSwitchableFake();
    down.health = { mode: 'unavailable' };
    const batch = { max_events: 10, max_wait_ms: 5 };
    const config = writeConfig(dir, {
      destinations: [ga4Destination('ga_down', down.url, { batch, timeout_ms: 2500 }), ga4Destination('ga_up', up.url, { batch, timeout_ms: 200 })],
      delivery: {
        poll_interval: '50ms',
        backoff_base: '20ms',
        backoff_max: '300ms',
        max_attempts: 1000,
        breaker: { failures: 3, cooldown: '100ms', max_cooldown: '1s' },
      },
    });
    proxy = await startProxy(config, join(dir, 'data'));
    const accepted: string[] = [];
    const accept = (statuses: Map<string, number | 'no answer'>) => {
      expect([...statuses.values()].every((s) => s === 202)).toBe(true);
      accepted.push(...statuses.keys());
    };

    // Phase 1: 503. Ingest answers 202 for everything; the healthy destination gets it all.
    accept(await postAll(proxy.base, range('p1', 150)));
    const posted = Date.now();
    await vi.waitFor(() => expect(missing(accepted, up)).toEqual([]), { timeout: 20_000, interval: 20 });
    const lag = Date.now() - posted;
    expect(lag).toBeLessThan(HEALTHY_LAG_BOUND_MS);
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

    const db = new Database(join(dir, 'data', 'tagrelay.db'), { readonly: true });
    const dead = db.prepare('SELECT COUNT(*) AS n FROM dead_letter').get() as { n: number };
    db.close();
    expect(dead.n).toBe(0);
  }, 120_000);
});
