/**
 * A connection that yields on a taken write lock (the accepting side of a server that delivers on a
 * thread): its write waits on timers while another connection commits, so the event loop keeps
 * serving, and it lands once the lock is free.
 */
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/runtime/node/db.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('SQLite write lock held by another connection', () => {
  it('a yielding write keeps the event loop free and commits after the holder', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagrelay-busy-'));
    const file = join(dir, 'tagrelay.db');
    const db = openSqlite(file, { yieldOnBusy: true });
    await db.exec('CREATE TABLE t (v INTEGER)');
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    holder.prepare('INSERT INTO t (v) VALUES (1)').run();

    let ticks = 0;
    const timer = setInterval(() => ticks++, 2);
    let done = false;
    const write = db.batch([{ sql: 'INSERT INTO t (v) VALUES (?)', params: [2] }]).then((changes) => {
      done = true;
      return changes;
    });
    await new Promise((resolve) => setTimeout(resolve, 60));
    // While the lock was held the write waited without blocking: timers ran, nothing committed.
    expect(done).toBe(false);
    expect(ticks).toBeGreaterThan(5);
    holder.exec('COMMIT');
    expect(await write).toEqual([1]);
    clearInterval(timer);
    expect((await db.all<{ v: number }>('SELECT v FROM t ORDER BY v')).map((r) => r.v)).toEqual([1, 2]);
    holder.close();
    await db.close();
  });

  it('a blocking connection (the default) waits inside the call instead', async () => {
    dir = mkdtempSync(join(tmpdir(), 'tagrelay-busy-'));
    const file = join(dir, 'tagrelay.db');
    const db = openSqlite(file);
    await db.exec('CREATE TABLE t (v INTEGER)');
    const holder = new Database(file);
    holder.exec('BEGIN IMMEDIATE');
    // Nothing can release the lock while this thread blocks in the call: the write fails with
    // SQLITE_BUSY after its own timeout (shortened here to see it).
    await db.exec('PRAGMA busy_timeout = 50');
    const started = Date.now();
    await expect(db.batch([{ sql: 'INSERT INTO t (v) VALUES (1)' }])).rejects.toThrow(/locked|busy/i);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
    holder.exec('ROLLBACK');
    holder.close();
    await db.close();
  });
});
