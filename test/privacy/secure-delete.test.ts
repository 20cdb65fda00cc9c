/**
 * Deleted rows leave no clear data in the store's files: the SQLite wrapper turns `secure_delete` on,
 * so a purged or erased row's bytes are overwritten, not left in the page's free space or on the
 * freelist where anyone reading the file (a backup, a copied volume) would still find them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../../src/runtime/node/db.js';

const dir = mkdtempSync(join(tmpdir(), 'tagrelay-secure-delete-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Write a small row and a multi-page row holding `marker`, delete both, checkpoint; the files' bytes. */
async function afterDelete(name: string, marker: string, secureDeleteOff = false): Promise<Buffer> {
  const file = join(dir, `${name}.db`);
  const db = openSqlite(file);
  if (secureDeleteOff) await db.exec('PRAGMA secure_delete = OFF');
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  await db.batch([
    { sql: 'INSERT INTO t (v) VALUES (?)', params: ['keep me'] },
    { sql: 'INSERT INTO t (v) VALUES (?)', params: [`email=${marker}`] },
    { sql: 'INSERT INTO t (v) VALUES (?)', params: [`${marker} `.repeat(5000)] },
  ]);
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  await db.run('DELETE FROM t WHERE v LIKE ?', [`%${marker}%`]);
  await db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  expect(await db.all('SELECT v FROM t')).toEqual([{ v: 'keep me' }]);
  const bytes = Buffer.concat([readFileSync(file), readFileSync(`${file}-wal`)]);
  await db.close();
  return bytes;
}

describe('secure_delete: deleted rows are overwritten in the file', () => {
  it('a deleted marker is not in the db file after a checkpoint', async () => {
    const bytes = await afterDelete('on', 'ada.lovelace@example.com');
    expect(bytes.includes('keep me')).toBe(true);
    expect(bytes.includes('ada.lovelace@example.com')).toBe(false);
  });

  it('the check can fail: with secure_delete off the deleted marker is still in the file', async () => {
    const bytes = await afterDelete('off', 'grace.hopper@example.com', true);
    expect(bytes.includes('grace.hopper@example.com')).toBe(true);
  });
});
