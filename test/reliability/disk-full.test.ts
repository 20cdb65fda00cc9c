/**
 * Disk trouble, for real (issue 13, items 2 and 3): the data dir is a 4 MiB tmpfs mounted for this test
 * (needs root / CAP_SYS_ADMIN, which the test container has), and the test fills it with a filler file
 * while the proxy runs, so the kernel answers SQLite's next write with ENOSPC exactly as on a full disk.
 * Deleting the filler clears it. While the store refuses writes: ingest and /readyz answer 503 with the
 * real error in the log, a duplicate is never acknowledged for an original that was not stored, and
 * events the vendor already took are not sent again in a loop (delivery pauses); once space returns,
 * delivery resumes. Reports the exact counts of accepted, delivered, duplicated and dead-lettered events.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { copies, deliveredInStore, ga4Destination, ga4EventIds, kill, postEvent, readStore, report, startProxy, tally, writeConfig, type ProxyProcess } from './harness.js';

/** Write zeros to `file` until the file system says ENOSPC; returns the bytes written. */
function fill(file: string): number {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let total = 0;
  try {
    for (;;) total += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return total;
}

const readyz = async (base: string) => (await fetch(`${base}/readyz`)).status;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The worker's poll interval here: a delivery that loops would resend about this often. */
const POLL_MS = 50;
/** What SQLite says when the file system is full. */
const DISK_FULL = /database or disk is full|SQLITE_FULL/;

describe('disk trouble: the store cannot write (a full tmpfs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-disk-'));
  const data = join(dir, 'data');
  const filler = join(data, 'filler');
  let proxy: ProxyProcess | undefined;
  let ga: Ga4Fake | undefined;

  beforeAll(() => {
    mkdirSync(data);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', data]);
  });
  afterAll(async () => {
    await kill(proxy);
    await ga?.close();
    execFileSync('umount', [data]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 while full, acknowledges nothing it did not store, resends nothing in a loop, and recovers', async ({ annotate }) => {
    ga = await startGa4Fake({ apiSecret: 'test-secret' });
    const config = writeConfig(dir, {
      destinations: [{ id: 'lake', type: 'sqlite' }, ga4Destination('ga', ga.url, { batch: { max_events: 10, max_wait_ms: 5 } })],
      delivery: { poll_interval: `${POLL_MS}ms`, backoff_base: '20ms', backoff_max: '200ms' },
    });
    proxy = await startProxy(config, data);
    const base = proxy.base;
    const status = new Map<string, number | 'no answer'>();
    const send = async (ids: string[]) => {
      for (const id of ids) status.set(id, await postEvent(base, id));
    };
    /** Copies of each event the vendor took (2xx), counted at the fake. */
    const atVendor = () => copies(ga4EventIds(ga!.collected().map((r) => r.body)));
    const recordedAsDelivered = (ids: string[]) => readStore(data, (db) => ids.filter((id) => deliveredInStore(db, 'ga').has(id)));

    const before = ['before-0', 'before-1', 'before-2'];
    await send(before);
    await vi.waitFor(() => expect(recordedAsDelivered(before)).toEqual(before), { timeout: 10_000, interval: 20 });
    expect(await readyz(base)).toBe(200);

    // Events the vendor takes while the disk fills: it holds its answers, the test fills the disk, then
    // the 204s arrive and their outcomes cannot be recorded.
    const held = ['held-0', 'held-1', 'held-2'];
    ga.failNext(...held.map(() => ({ status: 204, delayMs: 3000 })));
    await send(held);
    expect(held.map((id) => status.get(id))).toEqual(held.map(() => 202));
    await vi.waitFor(() => expect(held.filter((id) => !atVendor().has(id))).toEqual([]), { timeout: 10_000, interval: 10 });
    expect(fill(filler)).toBeGreaterThan(0);
    await vi.waitFor(() => expect(proxy!.stderr()).toMatch(/"msg":"delivery paused: outcomes cannot be recorded"/), { timeout: 15_000, interval: 20 });

    // While full: every request is refused, with the store's real error in the log.
    const during = Array.from({ length: 20 }, (_, i) => `during-${i}`);
    await send(during);
    expect(during.map((id) => status.get(id))).toEqual(during.map(() => 503));
    const body = await (
      await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', event_id: 'during-body' }) })
    ).json();
    expect(body).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
    // 50 concurrent requests with one id: the original is never stored, so none may be a 202 "duplicate".
    const same = 'same-id-while-full';
    const sameStatuses = await Promise.all(Array.from({ length: 50 }, () => postEvent(base, same)));
    expect(copies(sameStatuses.map(String))).toEqual(new Map([['503', 50]]));

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
    const log = proxy.stderr().split('\n');
    const notReady = log.filter((l) => l.includes('"msg":"not ready"'));
    expect(notReady.length).toBeGreaterThan(0);
    expect(notReady.at(-1)).toMatch(DISK_FULL);
    expect(log.find((l) => l.includes('"msg":"delivery paused: outcomes cannot be recorded"'))).toMatch(DISK_FULL);
    expect(proxy.stderr()).not.toMatch(/cannot rollback/);

    // No resend loop: for 40 poll intervals of a store that refuses writes, each event the vendor took
    // is still there exactly once, and nothing else was sent.
    const requestsWhileFull = ga.received.length;
    await sleep(40 * POLL_MS);
    expect(held.map((id) => atVendor().get(id))).toEqual(held.map(() => 1));
    expect(ga.received.length).toBe(requestsWhileFull);
    expect(proxy.child.exitCode).toBeNull();

    // Space returns: ready again, the outcomes kept while paused are recorded (not sent again), and
    // delivery resumes for new events.
    unlinkSync(filler);
    await vi.waitFor(async () => expect(await readyz(base)).toBe(200), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(recordedAsDelivered(held)).toEqual(held), { timeout: 10_000, interval: 20 });
    expect(proxy.stderr()).toMatch(/"msg":"delivery resumed: outcomes are recorded again"/);
    expect(held.map((id) => atVendor().get(id))).toEqual(held.map(() => 1));
    await send(['after-0', 'after-1']);
    // The client retries half of what was refused: accepted now, and not mistaken for duplicates.
    const retried = during.slice(0, 10);
    for (const id of [...retried, same]) {
      const res = await fetch(`${base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'purchase', event_id: id, params: { eid: id, currency: 'EUR', value: 1 }, consent: { analytics_storage: 'granted' } }),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0 });
      status.set(id, 202);
    }
    expect([...before, ...held, 'after-0', 'after-1'].map((id) => status.get(id))).toEqual(Array(8).fill(202));

    // Every 202 reaches the vendor and the warehouse; each exactly once at the vendor.
    const acked = [...status].filter(([, s]) => s === 202).map(([id]) => id);
    await vi.waitFor(() => expect(acked.filter((id) => !recordedAsDelivered(acked).includes(id))).toEqual([]), { timeout: 15_000, interval: 50 });
    const counts = atVendor();
    expect(acked.filter((id) => counts.get(id) !== 1)).toEqual([]);

    // Stop cleanly, then read the store: every 202 is there; what was only ever refused is not.
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe('0');
    const stored = readStore(data, (db) => ({
      records: new Set((db.prepare('SELECT event_id FROM records').all() as { event_id: string }[]).map((r) => r.event_id)),
      warehouse: new Set((db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id)),
      dead: (db.prepare('SELECT COUNT(*) AS n FROM dead_letter').get() as { n: number }).n,
    }));
    expect(acked.filter((id) => !stored.records.has(id))).toEqual([]);
    expect(acked.filter((id) => !stored.warehouse.has(id))).toEqual([]);
    expect(during.slice(10).filter((id) => stored.records.has(id))).toEqual([]);
    expect(stored.records.has('during-body')).toBe(false);
    expect(stored.dead).toBe(0);

    await report(annotate, 'disk full (tmpfs), then space returns', {
      accepted: acked.length,
      refused_503: [...during, 'during-body'].length + sameStatuses.length,
      ga: tally(acked, ga4EventIds(ga.collected().map((r) => r.body)), stored.dead),
      warehouse_rows: acked.filter((id) => stored.warehouse.has(id)).length,
    });
  }, 90_000);
});
