/**
 * Disk trouble, for real: the data dir is a 4 MiB tmpfs mounted for this test (needs root / CAP_SYS_ADMIN,
 * which the test container has), and the test fills it with a filler file while the proxy runs, so the
 * kernel answers SQLite's next write with ENOSPC exactly as on a full disk. Deleting the filler clears it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { kill, postEvent, startProxy, writeConfig, type ProxyProcess } from './harness.js';

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

describe('disk trouble: the store cannot write (a full tmpfs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-disk-'));
  const data = join(dir, 'data');
  const filler = join(data, 'filler');
  let proxy: ProxyProcess | undefined;

  beforeAll(() => {
    mkdirSync(data);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', data]);
  });
  afterAll(async () => {
    await kill(proxy);
    execFileSync('umount', [data]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 on /readyz and /v1/events while full, acknowledges nothing it did not store, and recovers', async () => {
    const config = writeConfig(dir, { destinations: [{ id: 'lake', type: 'sqlite' }] });
    proxy = await startProxy(config, data);
    const status = new Map<string, number | 'no answer'>();
    const send = async (ids: string[]) => {
      for (const id of ids) status.set(id, await postEvent(proxy!.base, id));
    };

    await send(['before-0', 'before-1', 'before-2']);
    expect(await readyz(proxy.base)).toBe(200);

    expect(fill(filler)).toBeGreaterThan(0);
    const during = Array.from({ length: 20 }, (_, i) => `during-${i}`);
    await send(during);
    expect(await readyz(proxy.base)).toBe(503);
    expect(during.map((id) => status.get(id))).toEqual(during.map(() => 503));
    const body = await (
      await fetch(`${proxy.base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', event_id: 'during-body' }) })
    ).json();
    expect(body).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
    expect(proxy.child.exitCode).toBeNull();

    unlinkSync(filler);
    expect(await readyz(proxy.base)).toBe(200);
    await send(['after-0', 'after-1']);
    // The client retries half of what was refused: accepted now, and not mistaken for duplicates.
    const retried = during.slice(0, 10);
    for (const id of retried) {
      const res = await fetch(`${proxy.base}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'purchase', event_id: id, consent: { analytics_storage: 'granted' } }),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 0 });
    }
    expect(['before-0', 'before-1', 'before-2', 'after-0', 'after-1'].map((id) => status.get(id))).toEqual([202, 202, 202, 202, 202]);

    // Stop cleanly, then read the store: every 202 is there; what was only ever refused is not.
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe('0');
    const db = new Database(join(data, 'tagrelay.db'), { readonly: true });
    const stored = new Set((db.prepare('SELECT event_id FROM events').all() as { event_id: string }[]).map((r) => r.event_id));
    db.close();
    const acked = [...[...status].filter(([, s]) => s === 202).map(([id]) => id), ...retried];
    expect(acked.filter((id) => !stored.has(id))).toEqual([]);
    expect(during.slice(10).filter((id) => stored.has(id))).toEqual([]);
    expect(stored.has('during-body')).toBe(false);
  }, 60_000);
});
