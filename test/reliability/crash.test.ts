import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { ga4Destination, ga4EventIds, kill, postEvent, startProxy, writeConfig, type ProxyProcess } from './harness.js';

const TOTAL = 400;
/** Events per `send` for the GA4 destination: the most that can be in flight at a kill. */
const BATCH = 20;

describe('crash: SIGKILL mid-stream, restart on the same data dir', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-crash-'));
  let fake: Ga4Fake;
  let proxy: ProxyProcess | undefined;

  afterAll(async () => {
    await kill(proxy);
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every event answered 202 reaches the vendor; duplicates are only the batch in flight at the kill', async () => {
    fake = await startGa4Fake({ apiSecret: 'test-secret' });
    // A slow vendor (5 ms a request), so a batch is almost always in flight when the proxy dies.
    fake.failNext(...Array.from({ length: 4 * TOTAL }, () => ({ status: 204, delayMs: 5 })));
    const config = writeConfig(dir, {
      destinations: [{ id: 'lake', type: 'sqlite' }, ga4Destination('ga', fake.url, { batch: { max_events: BATCH, max_wait_ms: 5 } })],
      delivery: { poll_interval: '50ms', backoff_base: '20ms', backoff_max: '200ms' },
    });
    const data = join(dir, 'data');
    proxy = await startProxy(config, data);
    const first = proxy;

    // Send from 8 paced concurrent clients; SIGKILL once half the events were answered and the
    // vendor has seen a few batches (or, on a slow machine, once 90% were answered).
    const status = new Map<string, number | 'no answer'>();
    let next = 0;
    let answered = 0;
    let killed: Promise<void> | undefined;
    let receivedAtKill = 0;
    const client = async () => {
      while (next < TOTAL) {
        const id = `crash-${next++}`;
        const s = await postEvent(first.base, id);
        status.set(id, s);
        if (s !== 'no answer') answered++;
        if (!killed && answered >= TOTAL / 2 && (fake.received.length >= 2 * BATCH || answered >= 0.9 * TOTAL)) {
          killed = kill(first).then(() => void (receivedAtKill = fake.received.length));
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

    // Restart on the same store: the outbox survived the kill and is delivered.
    proxy = await startProxy(config, data);
    await vi.waitFor(
      () => {
        const delivered = new Set(ga4EventIds(fake.collected().map((r) => r.body)));
        expect(acked.filter((id) => !delivered.has(id))).toEqual([]);
      },
      { timeout: 30_000, interval: 100 },
    );
    // Let the restarted worker settle, then stop it cleanly to read the store.
    await vi.waitFor(
      () => {
        const db = new Database(join(data, 'tagrelay.db'), { readonly: true });
        const left = db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE destination_id = 'ga'").get() as { n: number };
        db.close();
        expect(left.n).toBe(0);
      },
      { timeout: 10_000, interval: 100 },
    );

    const ids = ga4EventIds(fake.collected().map((r) => r.body));
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    // Every duplicate was received before the kill, among the last batch the old process had sent
    // but not yet recorded as delivered: at most BATCH ids, each sent at most twice.
    const beforeKill = ga4EventIds(fake.received.slice(0, receivedAtKill).filter((r) => r.path === '/mp/collect').map((r) => r.body));
    const lastBatch = new Set(beforeKill.slice(-BATCH));
    expect(duplicates.length).toBeLessThanOrEqual(BATCH);
    expect(duplicates.filter((id) => !lastBatch.has(id))).toEqual([]);
    expect([...counts.values()].every((n) => n <= 2)).toBe(true);
    // Nothing the vendor got was invented: every id it saw was one the proxy had stored.
    expect(fake.problems().flat()).toEqual([]);
    const db = new Database(join(data, 'tagrelay.db'), { readonly: true });
    const stored = new Set((db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id));
    db.close();
    expect([...counts.keys()].filter((id) => !stored.has(id))).toEqual([]);
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
  }, 90_000);
});
