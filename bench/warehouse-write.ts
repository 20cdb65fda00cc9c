/**
 * @module bench/warehouse-write — CPU per embedded-warehouse row written through the sqlite
 * destination's own statements (`local`, what the delivery settle transaction commits), in batches of
 * 500, in arrival (time) order, into a store that already holds 240,000 rows: the per-event cost of
 * the `events` table, its indexes and the report summary's triggers.
 *
 *   node --import tsx bench/warehouse-write.ts [ROOT]
 *
 * ROOT (default: this checkout) is a tagrelay source tree: point it at an export of another commit
 * (`git archive <commit> | tar -x -C DIR`, with node_modules linked) to compare on the same machine state.
 */
import { resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const { openSqlite } = await import(`${root}/src/runtime/node/db.ts`);
const { migrate } = await import(`${root}/src/store/schema.ts`);
const { sqlite } = await import(`${root}/src/destinations/sqlite.ts`);
const { generate } = await import(`${root}/test/reports/generator.ts`);
const { mkdtempSync } = await import('node:fs');
const { tmpdir } = await import('node:os');
const db = openSqlite(`${mkdtempSync(`${tmpdir()}/wc-`)}/t.db`);
await migrate(db);
const ds = generate({ seed: 3, visitors: 60000 });
const data = JSON.stringify({ params: { currency: 'EUR', value: 39.75, items_count: 2 }, items: [{ item_id: 'SKU-1234', item_name: 'Merino wool sweater', price: 39.75, quantity: 1 }], page: { url: 'https://shop.example/p/merino-wool-sweater?variant=blue', referrer: 'https://www.google.com/' }, client: { client_id: 'x'.repeat(64), session_id: '1700000000' }, device: { browser: 'Chrome', os: 'Windows', device_type: 'desktop' }, geo: { country: 'DE' }, campaign: { source: 'google', medium: 'cpc', campaign: 'winter_sale' } });
// Rows in arrival order (by time), client ids as long as real pseudonyms.
const rows = [...ds.rows].sort((a, b) => a.time - b.time).map((r) => ({ ...r, data, client_id: r.client_id ? r.client_id.padEnd(64, 'f') : null }));
const cfg = { id: 'warehouse', type: 'sqlite' } as never;
const prefill = Math.floor(rows.length * 0.6);
for (let i = 0; i < prefill; i += 500) await db.batch(rows.slice(i, i + 500).flatMap((r) => sqlite.local!(r, cfg)));
const cpu = process.cpuUsage();
const t = performance.now();
let n = 0;
for (let i = prefill; i < rows.length; i += 500) { const chunk = rows.slice(i, i + 500); n += chunk.length; await db.batch(chunk.flatMap((r) => sqlite.local!(r, cfg))); }
const used = process.cpuUsage(cpu);
console.log(`${root}: ${n} rows after ${prefill}: ${(((used.user + used.system) / n)).toFixed(1)} µs CPU/row, ${((performance.now() - t) * 1000 / n).toFixed(1)} µs wall/row`);
await db.close();
