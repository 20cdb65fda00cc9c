/**
 * @module bench:alarms — what the alarm evaluator costs on a store: the first start's backfill of the
 * record log, then steady ticks each adding a minute of traffic (records and decision records) at a
 * given rate. Numbers, not pass/fail.
 *
 * Usage: npm run bench:alarms -- [--records 1000000] [--rate 300] [--ticks 10]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nodeRuntime } from '../src/runtime/node/runtime.js';
import { migrate } from '../src/store/schema.js';
import { insertRecordStatement, type EventRecord } from '../src/delivery/record.js';
import { DELIVERY_LOG_SQL } from '../src/delivery/settle.js';
import { createAlarms } from '../src/alarms/alarms.js';
import { alarmsConfigSchema } from '../src/alarms/config.js';
import { silentLogger, type SqlStatement } from '../src/ports.js';
import { printHeader, printTable, median } from './lib/report.js';

const { values: opts } = parseArgs({ options: { records: { type: 'string', default: '1000000' }, rate: { type: 'string', default: '300' }, ticks: { type: 'string', default: '10' } } });
const RECORDS = Number(opts.records);
const RATE = Number(opts.rate);
const TICKS = Number(opts.ticks);
const NAMES = ['page_view', 'view_item', 'add_to_cart', 'begin_checkout', 'purchase', 'scroll', 'search', 'login'];
const DAY = 86_400_000;

printHeader('alarm evaluator cost', 'bench:alarms', [`${RECORDS} records over 7 days already stored, then ${TICKS} ticks each adding 60 s at ${RATE} events/s (+ one decision record each)`]);

const dir = mkdtempSync(join(tmpdir(), 'tagrelay-bench-alarms-'));
let clock = Date.UTC(2026, 10, 2);
const runtime = nodeRuntime({ dataDir: '', file: join(dir, 'store.db'), log: silentLogger, now: () => clock });
await migrate(runtime.db);

let n = 0;
function record(at: number): EventRecord {
  const i = ++n;
  const granted = i % 3 !== 0;
  const value = granted ? 'granted' : 'denied';
  const purposes = Object.fromEntries(['ad_storage', 'analytics_storage', 'ad_user_data'].map((p) => [p, { value, source: 'explicit', reason: `consent.explicit_${value}` }]));
  return {
    event_id: `b${i}`,
    name: NAMES[i % NAMES.length]!,
    time: at,
    received_at: at,
    params: { value: 10, currency: 'EUR' },
    page: { url: 'https://shop.example/p/123' },
    client: { client_id: `${i}.1700000000`, ...(granted ? { fbp: `fb.1.1700000000000.${i}` } : {}) },
    consent_state: { purposes, region: 'DE', policy: 'opt_in', policy_version: '1', limited_data_use: false, notes: [] } as unknown as EventRecord['consent_state'],
    source: 'native',
    removed: { headers: true, cookies: false },
    identity: { had_user_data: granted, hashed: granted ? { meta: { em: 'e'.repeat(64) } } : {}, dropped: {}, pseudo: { client_id: 'x'.repeat(64) }, salt_id: 's', notes: [] },
    notes: [],
    config_version: 'bench',
  };
}

async function write(from: number, to: number, count: number, log: boolean): Promise<void> {
  const step = (to - from) / count;
  for (let done = 0; done < count; ) {
    const batch: SqlStatement[] = [];
    for (let k = 0; k < 5000 && done < count; k++, done++) {
      const r = record(Math.floor(from + done * step));
      batch.push(insertRecordStatement(r));
      if (log) batch.push({ sql: DELIVERY_LOG_SQL, params: [r.event_id, 'ga4', 'delivered', 1, '[]', null, r.received_at, 'bench'] });
    }
    await runtime.db.batch(batch);
  }
}

let t = performance.now();
await write(clock, clock + 7 * DAY, RECORDS, false);
clock += 7 * DAY;
const fillMs = performance.now() - t;
const alarms = createAlarms({ db: runtime.db, config: alarmsConfigSchema.parse({ volume: { enabled: true }, plan_violations: { enabled: true }, consent_denied: { enabled: true }, match_quality: { enabled: true } }), fetch, now: () => clock, log: silentLogger, randomHex: runtime.randomHex });
// A tick rolls up at most 300 000 records; a larger store catches up over the next ticks.
const backfill: number[] = [];
for (;;) {
  t = performance.now();
  await alarms.tick();
  backfill.push(performance.now() - t);
  const left = await runtime.db.get<{ n: number }>("SELECT (SELECT MAX(seq) FROM records) - value AS n FROM alarm_meta WHERE key = 'records_seq'");
  if ((left?.n ?? 0) <= 0) break;
}
const steady: number[] = [];
// The longest one store call takes during a tick: better-sqlite3 is synchronous, so that is how long a
// request arriving then waits.
let heldMs = 0;
let heldBy = '';
let timing = false;
const db = runtime.db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
for (const method of ['run', 'all', 'get', 'batch', 'exec']) {
  const call = db[method]!.bind(runtime.db);
  db[method] = async (...args: unknown[]) => {
    const start = performance.now();
    try {
      return await call(...args);
    } finally {
      const took = performance.now() - start;
      if (timing && took > heldMs) {
        heldMs = took;
        heldBy = String(Array.isArray(args[0]) ? (args[0] as { sql: string }[]).map((s) => s.sql.slice(0, 40)).join(' + ') : args[0]).slice(0, 60);
      }
    }
  };
}
for (let i = 0; i < TICKS; i++) {
  await write(clock, clock + 60_000, RATE * 60, true);
  clock += 60_000;
  t = performance.now();
  timing = true;
  await alarms.tick();
  timing = false;
  steady.push(performance.now() - t);
}
const judge: number[] = [];
for (let i = 0; i < TICKS; i++) {
  clock += 1000;
  t = performance.now();
  await alarms.tick();
  judge.push(performance.now() - t);
}
const rollupRows = await runtime.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM alarm_rollup');
printTable(
  ['phase', 'ticks', 'median ms', 'max ms', 'note'],
  [
    ['store fill (not alarms)', '-', fillMs.toFixed(0), '-', `${RECORDS} records`],
    ['first start: backfill', String(backfill.length), median(backfill).toFixed(0), Math.max(...backfill).toFixed(0), `${RECORDS} records read once, ≤ 300 000 per tick`],
    ['steady tick', String(TICKS), median(steady).toFixed(0), Math.max(...steady).toFixed(0), `${RATE * 60} new records + ${RATE * 60} decision records per tick`],
    ['  longest store call', '-', '-', heldMs.toFixed(0), heldBy],
    ['judge only', String(TICKS), median(judge).toFixed(0), Math.max(...judge).toFixed(0), `rollup rows: ${rollupRows?.n}`],
  ],
);
await alarms.close();
await runtime.db.close();
rmSync(dir, { recursive: true, force: true });
