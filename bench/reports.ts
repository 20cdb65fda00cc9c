/**
 * @module bench:reports — every report over 1 million events in the embedded store (SQLite file):
 * the warehouse rows come from the seeded report generator (test/reports/generator.ts), plus a
 * record and two decision records (warehouse, ga4) per event for the delivery report. Prints each
 * report's time; target ≤ 2 s each.
 *
 *   npm run bench:reports [-- --events 1000000 --runs 3] [--db FILE]
 *
 * `--db FILE` keeps the loaded store in FILE and, when FILE already holds the events, times the
 * reports on it without loading again (loading a million events takes minutes on a busy machine).
 */
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openSqlite } from '../src/runtime/node/db.js';
import { migrate } from '../src/store/schema.js';
import { fillReportSummary } from '../src/store/report-summary.js';
import { parseReportParams, runReport, sqliteSource, type RawParams, type ReportName } from '../src/reports/index.js';
import { DELIVERY_LOG_SQL } from '../src/delivery/settle.js';
import { generate, MICRO_RULES } from '../test/reports/generator.js';
import { loadSqlite } from '../test/reports/load.js';
import { printHeader, printTable, fmt } from './lib/report.js';
import { tempDir } from './lib/proc.js';
import type { SqlStatement } from '../src/ports.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, runs: { type: 'string', default: '3' }, db: { type: 'string' }, case: { type: 'string' } } });
const target = Number(values.events);
const runs = Number(values.runs);
// `--case N` (internal): time case N once in this fresh process over an existing --db, print JSON, exit.
const only = values.case === undefined ? undefined : Number(values.case);

if (only === undefined) printHeader('reports over the embedded store', 'bench:reports', [`${fmt(target)} warehouse events (generator seed 42), 28 days; each report run ${runs}× (median and max shown); target ≤ 2,000 ms each`]);

const dbFile = values.db ?? join(tempDir('tagrelay-bench-reports-'), 'tagrelay.db');
const db = openSqlite(dbFile);
await migrate(db);
// The generator's range: 28 days from Monday 2026-11-02 (UTC).
const range = { since: Date.UTC(2026, 10, 2), until: Date.UTC(2026, 10, 30) };
const have = (await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM events'))!.n;
if (have >= target) {
  if (only === undefined) console.log(`reusing ${fmt(have)} warehouse rows in ${values.db}\n`);
} else await load();
if (only === undefined) {
  // A store written before the summary (or this version of it): the one-time fill a server runs in the background.
  const t = performance.now();
  const steps = await fillReportSummary(db);
  if (steps > 0) console.log(`filled the report summary in ${steps} steps, ${fmt((performance.now() - t) / 1000, 1)} s\n`);
}
// Both destinations have settled every record (their cursors at the end): nothing is pending.
await db.run("INSERT OR REPLACE INTO delivery_cursor (destination_id, seq) SELECT 'warehouse', MAX(seq) FROM records");
await db.run("INSERT OR REPLACE INTO delivery_cursor (destination_id, seq) SELECT 'ga4', MAX(seq) FROM records");

async function load(): Promise<void> {
  let t = performance.now();
  const ds = generate({ seed: 42, visitors: Math.ceil(target / 6.5) });
  // Warehouse rows carry the event as JSON (~1 KB in a shop): reports must not have to read it.
  const data = JSON.stringify({ params: { currency: 'EUR', value: 39.75, items_count: 2, page_type: 'product' }, items: [{ item_id: 'SKU-1234', item_name: 'Merino wool sweater', price: 39.75, quantity: 1, item_category: 'Apparel' }], page: { url: 'https://shop.example/p/merino-wool-sweater?variant=blue', referrer: 'https://www.google.com/', title: 'Merino wool sweater — Shop' }, client: { client_id: 'x'.repeat(64), session_id: '1700000000', session_number: 3, engagement_time_msec: 5400 }, consent: { region: 'DE', policy: 'opt_in', policy_version: '1' }, device: { browser: 'Chrome', browser_version: '142', os: 'Windows', os_version: '10', device_type: 'desktop' }, geo: { country: 'DE', region: 'BE' }, campaign: { source: 'google', medium: 'cpc', campaign: 'winter_sale', channel: 'paid' }, salt_id: 's1', source: 'gtag', ip: '203.0.113.0' });
  const rows = ds.rows.slice(0, target).map((r) => ({ ...r, data }));
  await loadSqlite(db, rows);
  console.log(`loaded ${fmt(rows.length)} warehouse rows in ${fmt((performance.now() - t) / 1000, 1)} s`);

  // The record log and the decision records the delivery report reconciles.
  t = performance.now();
  const consent = (granted: boolean) => ({
    purposes: Object.fromEntries(
      ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization', 'functionality_storage', 'personalization_storage', 'security_storage'].map((p) => [
        p,
        granted ? { value: 'granted', source: 'explicit', reason: 'consent.explicit' } : { value: 'denied', source: 'region_default', reason: 'consent.region_default_opt_in' },
      ]),
    ),
    region: 'DE',
    policy: 'opt_in',
    policy_version: '1',
    limited_data_use: false,
    notes: [],
  });
  const INSERT_RECORD = 'INSERT INTO records (event_id, received_at, config_version, client_key, user_key, data) VALUES (?, ?, ?, ?, ?, ?)';
  for (let i = 0; i < rows.length; i += 5000) {
    const statements: SqlStatement[] = [];
    for (const r of rows.slice(i, i + 5000)) {
      const full = r.consent_mode === 'send';
      const data = { event_id: r.event_id, name: r.name, time: r.time, received_at: r.received_at, params: r.value === null ? {} : { value: r.value, currency: 'EUR' }, page: { url: 'https://shop.example/p/123' }, client: { client_id: r.client_id ?? undefined, session_id: r.session_id ?? undefined }, consent_state: consent(full), source: 'gtag', removed: { headers: true, cookies: false }, notes: [], config_version: 'c1' };
      statements.push({ sql: INSERT_RECORD, params: [r.event_id, r.received_at, 'c1', r.client_id, null, JSON.stringify(data)] });
      const denied = full ? [] : ['consent.purpose_denied:analytics_storage', 'consent.region_default_opt_in'];
      statements.push({ sql: DELIVERY_LOG_SQL, params: [r.event_id, 'warehouse', 'delivered', 1, JSON.stringify([...denied, 'privacy.ids_pseudonymized']), null, r.received_at + 20, 'c1', r.consent_mode, r.name, r.received_at, full ? null : denied.join(' ')] });
      const dead = full && r.event_id.endsWith('7');
      statements.push({ sql: DELIVERY_LOG_SQL, params: [r.event_id, 'ga4', full ? (dead ? 'dead' : 'delivered') : 'dropped', 1, JSON.stringify(denied), dead ? 'ga4.http_400' : null, r.received_at + 40, 'c1', full ? 'send' : 'drop', r.name, r.received_at, full ? null : denied.join(' ')] });
    }
    await db.batch(statements);
}
console.log(`loaded ${fmt(rows.length)} records and ${fmt(rows.length * 2)} decision records in ${fmt((performance.now() - t) / 1000, 1)} s\n`);
}

const source = sqliteSource(db);
const cases: [ReportName, RawParams][] = [
  ['funnel', {}],
  ['funnel', { by: 'channel' }],
  ['funnel', { count: 'users', within: '7d' }],
  ['micro', {}],
  ['abandonment', {}],
  ['revenue', {}],
  ['revenue', { by: 'campaign' }],
  ['cohorts', {}],
  ['delivery', {}],
];
const out: (string | number)[][] = [];
if (only !== undefined) {
  const [name, raw] = cases[only]!;
  const start = performance.now();
  const cpu = process.cpuUsage();
  await runReport(source, name, parseReportParams(name, { since: '28d', ...raw }, range.until), { now: range.until, store: db, microRules: MICRO_RULES });
  const used = process.cpuUsage(cpu);
  console.log(JSON.stringify({ ms: performance.now() - start, cpu: (used.user + used.system) / 1000 }));
  await db.close();
  process.exit(0);
}
await db.close();
/**
 * Cold: each report first in a freshly started process over the stored file (SQLite's cache empty,
 * the summary read from the file; the OS page cache as the machine left it).
 */
function cold(i: number): number {
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--db', dbFile, '--case', String(i), '--events', String(target)], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`cold run of case ${i} failed: ${child.stderr}`);
  return (JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { ms: number }).ms;
}
const colds = cases.map((_, i) => cold(i));
const warm = openSqlite(dbFile);
const warmSource = sqliteSource(warm);
for (const [i, [name, raw]] of cases.entries()) {
  const times: number[] = [];
  let result;
  const cpus: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    result = await runReport(warmSource, name, parseReportParams(name, { since: '28d', ...raw }, range.until), { now: range.until, store: warm, microRules: MICRO_RULES });
    times.push(performance.now() - start);
    const used = process.cpuUsage(cpu);
    cpus.push((used.user + used.system) / 1000);
  }
  times.sort((a, b) => a - b);
  cpus.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)]!;
  const max = times.at(-1)!;
  const flags = Object.entries(raw).map(([k, v]) => `--${k} ${v}`).join(' ');
  const cpu = cpus[Math.floor(cpus.length / 2)]!;
  out.push([`report ${name} --since 28d ${flags}`.trim(), fmt(result!.coverage.events), `${fmt(colds[i]!)} ms`, `${fmt(median)} ms`, `${fmt(max)} ms`, `${fmt(cpu)} ms`, Math.max(max, colds[i]!) <= 2000 ? 'ok' : 'OVER']);
}
// SQLite runs on this thread (better-sqlite3): the CPU time is the report's own work, whatever else loads the machine.
printTable(['report', 'events seen', 'cold', 'median', 'max', 'cpu (median)', '≤ 2 s (cold, max)'], out);
await warm.close();
