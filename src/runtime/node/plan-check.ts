/**
 * @module `tagrelay plan check`: run stored events through a new tracking plan and say what it would warn, drop or quarantine.
 */
import { parseArgs } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { parseConfig, parseYamlWith } from '../../config/load.js';
import { parseDuration } from '../../config/duration.js';
import type { Event, Item, Scalar } from '../../event.js';
import type { SqlDb } from '../../ports.js';
import { trackingPlanSchema, type TrackingPlanConfig } from '../../rules/plan-config.js';
import { compilePlan } from '../../rules/plan.js';
import { createPlanCounter } from '../../rules/plan-counter.js';
import { countEvents, formatPlanReport, planReport } from '../../rules/plan-report.js';
import { configPath, loadConfigFile } from './config-file.js';
import { openSqlite } from './db.js';

export const PLAN_USAGE = `usage: tagrelay plan check --plan FILE [--since 7d] [--db FILE | --config PATH] [--format table|json] [--top N]

  Runs the events stored in the warehouse (table events) since --since through the tracking plan
  in FILE — a config file with a tracking_plan key, or the tracking_plan section alone — and prints
  per event name what it would pass, warn, quarantine or drop, with the most frequent violations.
  Reads only; nothing is changed. --db defaults to tagrelay.db in the config's data directory.`;

/** Rows are read this many at a time. */
const PAGE = 1000;

interface Row {
  event_id: string;
  name: string;
  time: number;
  received_at: number;
  page_url: string | null;
  data: string;
}

/** A minimal Event from a warehouse row (see destinations/sqlite.ts `warehouseRow`): what the plan reads. */
export function eventFromRow(row: Row): Event {
  let data: { params?: Record<string, Scalar>; items?: Item[]; page?: Event['page']; client?: Event['client'] } = {};
  try {
    data = JSON.parse(row.data) as typeof data;
  } catch {
    // A row whose data is not JSON is checked with no params: the plan says what is missing.
  }
  const event: Event = {
    event_id: row.event_id,
    name: row.name,
    time: row.time,
    received_at: row.received_at,
    params: data.params ?? {},
    user: {},
    page: data.page ?? (row.page_url ? { url: row.page_url } : {}),
    client: data.client ?? {},
    consent: {},
    request: { source: 'native', headers: {}, cookies: {} },
  };
  if (Array.isArray(data.items)) event.items = data.items;
  return event;
}

/** Every stored event received at or after `since`, a page at a time (keyset on received_at, event_id). */
async function* storedEvents(db: SqlDb, since: number): AsyncGenerator<Event[]> {
  let after: [number, string] = [since, ''];
  for (;;) {
    const rows = await db.all<Row>(
      'SELECT event_id, name, time, received_at, page_url, data FROM events WHERE received_at >= ? AND (received_at > ? OR (received_at = ? AND event_id > ?)) ORDER BY received_at, event_id LIMIT ?',
      [since, after[0], after[0], after[1], PAGE],
    );
    if (rows.length === 0) return;
    yield rows.map(eventFromRow);
    const last = rows[rows.length - 1]!;
    after = [last.received_at, last.event_id];
  }
}

/** The plan in a file: a whole config (its `tracking_plan`) or the section alone. Throws ConfigError with file:line:col. */
export function loadPlanFile(file: string, env: Record<string, string | undefined>): TrackingPlanConfig {
  const text = readFileSync(file, 'utf8');
  const doc = parseDocument(text);
  if (doc.errors.length === 0 && doc.has('tracking_plan')) {
    const plan = parseConfig(text, file, env).tracking_plan;
    if (plan) return plan;
  }
  return parseYamlWith(trackingPlanSchema, text, file, env);
}

/**
 * Run `tagrelay plan …` with the arguments after `plan`; resolves with the exit code
 * (0 done, 2 bad arguments, an unreadable plan or store).
 */
export async function planCommand(argv: string[]): Promise<number> {
  let values;
  let positionals;
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        plan: { type: 'string' },
        since: { type: 'string', default: '7d' },
        db: { type: 'string' },
        config: { type: 'string', short: 'c' },
        format: { type: 'string', default: 'table' },
        top: { type: 'string', default: '5' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n${PLAN_USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(PLAN_USAGE);
    return 0;
  }
  const sinceMs = parseDuration(values.since);
  const top = Number(values.top);
  if (positionals[0] !== 'check' || !values.plan || sinceMs === undefined || !['table', 'json'].includes(values.format) || !Number.isInteger(top) || top < 0) {
    console.error(PLAN_USAGE);
    return 2;
  }
  const planFile = resolve(values.plan);
  if (!existsSync(planFile)) {
    console.error(`plan file not found: ${planFile}`);
    return 2;
  }
  let dbFile: string;
  let plan;
  try {
    plan = compilePlan(loadPlanFile(planFile, process.env));
    if (values.db) dbFile = resolve(values.db);
    else {
      const config = loadConfigFile(configPath(values.config));
      dbFile = join(resolve(process.env.TAGRELAY_DATA_DIR ?? config.server.data_dir), 'tagrelay.db');
    }
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (!existsSync(dbFile)) {
    console.error(`no store at ${dbFile} (give --db FILE)`);
    return 2;
  }
  const now = Date.now();
  const since = now - sinceMs;
  const db = openSqlite(dbFile);
  const counter = createPlanCounter({ maxNames: 10_000 });
  try {
    for await (const page of storedEvents(db, since)) {
      countEvents(page, plan, counter);
    }
  } catch (err) {
    console.error(`${dbFile}: cannot read stored events (${err instanceof Error ? err.message : String(err)})`);
    return 2;
  } finally {
    await db.close();
  }
  const report = planReport(counter.snapshot(), plan, top);
  const window = { plan: planFile, db: dbFile, since: new Date(since).toISOString(), until: new Date(now).toISOString() };
  if (values.format === 'json') console.log(JSON.stringify({ ...window, ...report }, null, 2));
  else console.log(`${planFile}: ${report.checked} stored event(s) received since ${window.since} (${values.since})\n${formatPlanReport(report)}`);
  return 0;
}
