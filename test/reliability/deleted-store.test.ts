/**
 * The store's files deleted under a running proxy (an operator's `rm -rf data/`, a volume swapped out):
 * SQLite keeps writing into the unlinked inode, so every 202 after that would be lost at the next
 * restart. The proxy must notice that the path no longer names the file it opened and refuse (503).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/runtime/node/db.js';
import { kill, postEvent, startProxy, writeConfig, type ProxyProcess } from './harness.js';

const readyz = async (base: string) => (await fetch(`${base}/readyz`)).status;

describe('the store files are deleted while the proxy runs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-deleted-'));
  const data = join(dir, 'data');
  let proxy: ProxyProcess | undefined;

  afterAll(async () => {
    await kill(proxy);
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 503 on /v1/events and /readyz instead of acknowledging writes into an unlinked file', async () => {
    proxy = await startProxy(writeConfig(dir, { destinations: [{ id: 'lake', type: 'sqlite' }] }), data);
    expect(await postEvent(proxy.base, 'before-0')).toBe(202);
    expect(await readyz(proxy.base)).toBe(200);

    const file = join(data, 'tagrelay.db');
    expect(existsSync(file)).toBe(true);
    for (const suffix of ['', '-wal', '-shm']) rmSync(file + suffix, { force: true });

    expect(await postEvent(proxy.base, 'after-0')).toBe(503);
    const res = await fetch(`${proxy.base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', event_id: 'after-1' }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_STORE_UNAVAILABLE' } });
    expect(await readyz(proxy.base)).toBe(503);
    // It stays refused: nothing is acknowledged into the lost file, and the process keeps running.
    expect(await postEvent(proxy.base, 'after-2')).toBe(503);
    expect(proxy.child.exitCode).toBeNull();
    expect(proxy.stderr()).toMatch(/deleted or replaced/);
  }, 60_000);

  it('refuses writes once the path names another file (replaced by rename), and still reads', async () => {
    const file = join(dir, 'replaced.db');
    const db = openSqlite(file);
    await db.exec('CREATE TABLE t (v TEXT)');
    await db.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', params: ['kept'] }]);
    writeFileSync(join(dir, 'other.db'), '');
    renameSync(join(dir, 'other.db'), file);
    await expect(db.run('INSERT INTO t (v) VALUES (?)', ['lost'])).rejects.toThrow(/deleted or replaced/);
    await expect(db.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', params: ['lost'] }])).rejects.toThrow(/deleted or replaced/);
    expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'kept' }]);
    await db.close();
  });
});
