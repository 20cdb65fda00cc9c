/**
 * The SqlDb port's contract, runtime-neutral (no vitest, no node:*), so the same checks run in-process
 * on Node and D1 and in a child process on Bun and Deno (sqldb-contract-run.ts). Returns the failures.
 */
import type { SqlDb } from '../../src/ports.js';

/** Run every check against a fresh, empty database; resolves with a list of failures (empty: conforms). */
export async function sqlDbContract(db: SqlDb): Promise<string[]> {
  const failures: string[] = [];
  const check = (ok: boolean, what: string) => void (ok || failures.push(what));
  await db.exec(`CREATE TABLE t (
    k TEXT PRIMARY KEY,
    n INTEGER NOT NULL
  )`);
  const r = await db.run('INSERT INTO t (k, n) VALUES (?, ?)', ['a', 1]);
  check(r.changes === 1, `run() reports changes = 1, got ${r.changes}`);
  await db.run('INSERT INTO t (k, n) VALUES (?, ?)', ['b', 2]);
  check((await db.get<{ n: number }>('SELECT n FROM t WHERE k = ?', ['b']))?.n === 2, 'get() finds a row by a bound parameter');
  check((await db.get('SELECT n FROM t WHERE k = ?', ['zzz'])) === undefined, 'get() answers undefined (not null) for no row');
  const rows = await db.all<{ k: string; n: number }>('SELECT k, n FROM t ORDER BY k');
  check(JSON.stringify(rows.map((x) => [x.k, x.n])) === '[["a",1],["b",2]]', `all() returns every row in order, got ${JSON.stringify(rows)}`);
  check((await db.all('SELECT k FROM t WHERE n > ?', [99])).length === 0, 'all() returns [] for no rows');
  check((await db.run('UPDATE t SET n = n + 1 WHERE n >= ?', [0])).changes === 2, 'run() counts every changed row');
  const changed = await db.batch([
    { sql: 'INSERT INTO t (k, n) VALUES (?, ?)', params: ['c', 3] },
    { sql: 'DELETE FROM t WHERE k = ?', params: ['a'] },
    { sql: 'INSERT OR IGNORE INTO t (k, n) VALUES (?, ?)', params: ['b', 9] },
  ]);
  check((await db.all('SELECT k FROM t ORDER BY k')).map((x) => x.k).join() === 'b,c', 'batch() applies every statement');
  check(JSON.stringify(changed) === '[1,1,0]', `batch() reports each statement's changes (an ignored insert is 0), got ${JSON.stringify(changed)}`);
  let rejected = false;
  try {
    await db.batch([
      { sql: 'INSERT INTO t (k, n) VALUES (?, ?)', params: ['d', 4] },
      { sql: 'INSERT INTO t (k, n) VALUES (?, ?)', params: ['b', 5] }, // primary key conflict
    ]);
  } catch {
    rejected = true;
  }
  check(rejected, 'batch() rejects when a statement fails');
  check((await db.get('SELECT k FROM t WHERE k = ?', ['d'])) === undefined, 'batch() is one transaction: nothing of a failed batch stays');
  await db.batch([]);
  check((await db.get<{ c: number }>('SELECT count(*) AS c FROM t'))?.c === 2, 'an empty batch() changes nothing');
  check((await db.get<{ v: string | null }>('SELECT ? AS v', [null]))?.v === null, 'null binds and reads back as null');
  await db.close();
  return failures;
}
