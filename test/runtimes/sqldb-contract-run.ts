/**
 * Run the SqlDb contract on Bun or Deno: `bun test/runtimes/sqldb-contract-run.ts bun` or
 * `deno run -A --config src/runtime/deno/deno.json test/runtimes/sqldb-contract-run.ts deno`.
 * Prints one JSON line: { failures: string[] }.
 */
import type { SqlDb } from '../../src/ports.js';
import { sqlDbContract } from './sqldb-contract.js';

const which = (globalThis as { Deno?: unknown }).Deno ? 'deno' : 'bun';
// A variable specifier keeps each runtime from resolving the other's module.
const modules = { bun: '../../src/runtime/bun/db.js', deno: '../../src/runtime/deno/db.js' };
const mod = (await import(modules[which])) as Record<string, (file: string) => SqlDb>;
const open = which === 'bun' ? mod.openBunSqlite! : mod.openNodeSqlite!;
const failures = await sqlDbContract(open(':memory:'));
console.log(JSON.stringify({ runtime: which, failures }));
