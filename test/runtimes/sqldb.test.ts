import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { Miniflare } from 'miniflare';
import { openSqlite } from '../../src/runtime/node/db.js';
import { d1SqlDb, type D1Database } from '../../src/runtime/worker/d1.js';
import type { SqlDb } from '../../src/ports.js';
import { sqlDbContract } from './sqldb-contract.js';
import { BIN, requireRuntime } from './servers.js';

const ROOT = resolve(import.meta.dirname, '../..');

/** Run the contract in a child process of another runtime and return its failures. */
function inChild(cmd: string, args: string[]): string[] {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } });
  const line = r.stdout.trim().split('\n').pop() ?? '';
  if (r.status !== 0 || !line.startsWith('{')) throw new Error(`${cmd} exited ${r.status}: ${r.stderr.slice(0, 2000)}`);
  return (JSON.parse(line) as { failures: string[] }).failures;
}

describe('the SqlDb port, one contract for every store', () => {
  it('better-sqlite3 (Node)', async () => {
    expect(await sqlDbContract(openSqlite(':memory:'))).toEqual([]);
  });

  it('bun:sqlite (Bun)', () => {
    requireRuntime('bun');
    expect(inChild(resolve(ROOT, 'node_modules/.bin/bun'), ['test/runtimes/sqldb-contract-run.ts'])).toEqual([]);
  }, 60_000);

  it('node:sqlite (Deno)', () => {
    requireRuntime('deno');
    const args = ['run', '-A', '--config', 'src/runtime/deno/deno.json', 'test/runtimes/sqldb-contract-run.ts'];
    expect(inChild(BIN('deno'), args)).toEqual([]);
  }, 60_000);

  it('D1 (local workerd through miniflare)', async () => {
    requireRuntime('workerd');
    // cf: false — never download Request.cf; miniflare comes with wrangler (not a direct dependency).
    const mf = new Miniflare({ modules: true, script: 'export default { fetch() { return new Response(null) } }', d1Databases: { DB: 'contract' }, cf: false });
    try {
      const d1 = (await mf.getD1Database('DB')) as unknown as D1Database;
      expect(await sqlDbContract(d1SqlDb(d1))).toEqual([]);
    } finally {
      await mf.dispose();
    }
  }, 60_000);

  it('the contract catches a batch that is not one transaction', async () => {
    const real = openSqlite(':memory:');
    const oneByOne: SqlDb = {
      ...real,
      async batch(statements) {
        const changes: number[] = [];
        for (const s of statements) changes.push((await real.run(s.sql, s.params)).changes);
        return changes;
      },
    };
    expect(await sqlDbContract(oneByOne)).toContain('batch() is one transaction: nothing of a failed batch stays');
  });
});
