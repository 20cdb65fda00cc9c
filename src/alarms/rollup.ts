/**
 * @module The alarm rollup: counts per 5-minute bucket, added incrementally from the record log (by
 * sequence number), the decision records (by update time) and the tracking-plan counts (by daily
 * total). Each source is read once; nothing runs on the accept path.
 */
import type { SqlDb, SqlStatement } from '../ports.js';
import { BUCKET_MS } from './schema.js';
import { META_HASHING } from '../privacy/hashing.js';

/** Records rolled up per statement: one statement holds the (synchronous) store for a few ms only. */
const CHUNK = 500;
/** Chunks per tick (300 000 records: 5 min at 1 000 events/s); a first start on a full store catches up over several ticks. */
const MAX_CHUNKS = 600;
/** Decision records are stamped before their batch commits: read them this late. */
export const LOG_LAG_MS = 30_000;
/** Decision records rolled up per statement, by update time. */
const LOG_SLICE_MS = 10_000;
const DAY_MS = 86_400_000;

const UPSERT_SUM = 'ON CONFLICT (bucket, metric, key) DO UPDATE SET value = value + excluded.value';
/** Counts add up; `last` (bucket 0: when a name was last received) keeps the latest. */
const UPSERT_COUNT_OR_LAST =
  "ON CONFLICT (bucket, metric, key) DO UPDATE SET value = CASE WHEN excluded.metric = 'last' THEN MAX(value, excluded.value) ELSE value + excluded.value END";
const CURSOR = "(SELECT value FROM alarm_meta WHERE key = 'records_seq')";
const BOUND = `(SELECT MIN(value + ${CHUNK}, (SELECT COALESCE(MAX(seq), 0) FROM records)) FROM alarm_meta WHERE key = 'records_seq')`;

// One pass over new records: per bucket, the count per event name, how many had analytics storage
// denied, how many Meta may receive (ad_storage and ad_user_data granted, Meta's default purposes) and
// how many of those carried a Meta match key (hashed email or phone, fbc, fbp). The record keeps these
// only when a destination may receive them, so a denial never counts as a missing match key.
const RECORDS_CTE =
  `WITH r AS MATERIALIZED (SELECT received_at - received_at % ${BUCKET_MS} AS b, received_at AS at, json_extract(data, '$.name') AS name, ` +
  `json_extract(data, '$.consent_state.purposes.analytics_storage.value') = 'denied' AS denied, ` +
  `(json_extract(data, '$.consent_state.purposes.ad_storage.value') = 'granted' AND json_extract(data, '$.consent_state.purposes.ad_user_data.value') = 'granted') AS ads, ` +
  `(json_extract(data, '$.identity.hashed.${META_HASHING.id}.em') IS NOT NULL OR json_extract(data, '$.identity.hashed.${META_HASHING.id}.ph') IS NOT NULL ` +
  `OR json_extract(data, '$.client.fbc') IS NOT NULL OR json_extract(data, '$.client.fbp') IS NOT NULL) AS matched ` +
  `FROM records WHERE seq > ${CURSOR} AND seq <= ${BOUND}) `;

const ROLLUP_RECORDS =
  RECORDS_CTE +
  'INSERT INTO alarm_rollup (bucket, metric, key, value) SELECT b, metric, key, n FROM (' +
  "SELECT b, 'ev' AS metric, name AS key, COUNT(*) AS n FROM r WHERE name IS NOT NULL GROUP BY b, name " +
  "UNION ALL SELECT b, 'denied', '', SUM(denied) FROM r GROUP BY b " +
  "UNION ALL SELECT b, 'ads', '', SUM(ads) FROM r GROUP BY b " +
  "UNION ALL SELECT b, 'matched', '', SUM(ads AND matched) FROM r GROUP BY b " +
  "UNION ALL SELECT 0, 'last', name, MAX(at) FROM r WHERE name IS NOT NULL GROUP BY name) WHERE n > 0 " +
  UPSERT_COUNT_OR_LAST;

const ADVANCE_RECORDS = `UPDATE alarm_meta SET value = ${BOUND} WHERE key = 'records_seq'`;

/** Delivery outcomes alarms count (decided sends, drops and skips are consent, not failure). */
const OUTCOMES = "('delivered', 'retrying', 'dead')";

const ROLLUP_LOG =
  'INSERT INTO alarm_rollup (bucket, metric, key, value) ' +
  `SELECT updated_at - updated_at % ${BUCKET_MS}, 'dest', destination_id || char(9) || status, COUNT(*) FROM delivery_log ` +
  `WHERE updated_at > (SELECT value FROM alarm_meta WHERE key = 'log_at') AND updated_at <= ? AND status IN ${OUTCOMES} GROUP BY 1, 3 ` +
  UPSERT_SUM;

/** Set a meta value only when it does not exist yet. */
const INIT_META = 'INSERT OR IGNORE INTO alarm_meta (key, value) VALUES (?, ?)';

const PLAN_TOTAL: Record<'plan_checked' | 'plan_flagged', string> = {
  plan_checked: "code LIKE 'outcome.%'",
  plan_flagged: "code IN ('outcome.warn', 'outcome.quarantine', 'outcome.drop')",
};

/**
 * Start the rollup once: records from the first one still stored (so history is there at once),
 * decision records from the last hour, and the history's start.
 */
export async function initRollup(db: SqlDb, now: number): Promise<void> {
  const first = await db.get<{ at: number | null }>('SELECT MIN(received_at) AS at FROM records');
  await db.batch([
    { sql: INIT_META, params: ['records_seq', 0] },
    { sql: INIT_META, params: ['log_at', now - LOG_LAG_MS - 3_600_000] },
    { sql: INIT_META, params: ['since', Math.min(first?.at ?? now, now)] },
  ]);
}

/** When the rollup's history starts (epoch ms). */
export async function historySince(db: SqlDb): Promise<number | undefined> {
  return (await db.get<{ value: number }>("SELECT value FROM alarm_meta WHERE key = 'since'"))?.value;
}

/** The UTC day (`YYYY-MM-DD`) of a time, as plan_counts keys it. */
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

/** Add today's and yesterday's plan-count growth since the last tick to the current bucket. */
function planStatements(now: number): SqlStatement[] {
  const bucket = now - (now % BUCKET_MS);
  const out: SqlStatement[] = [];
  for (const day of [dayOf(now - DAY_MS), dayOf(now)]) {
    for (const [metric, where] of Object.entries(PLAN_TOTAL)) {
      const key = `plan:${day}:${metric}`;
      const total = `(SELECT COALESCE(SUM(count), 0) FROM plan_counts WHERE day = ? AND ${where})`;
      const done = '(SELECT value FROM alarm_meta WHERE key = ?)';
      // A day first seen mid-way (a new day, or a store from before alarms) starts from its total.
      out.push({
        sql: `INSERT INTO alarm_rollup (bucket, metric, key, value) SELECT ?, ?, '', t - ${done} FROM (SELECT ${total} AS t) WHERE ${done} IS NOT NULL AND t > ${done} ${UPSERT_SUM}`,
        params: [bucket, metric, key, day, key, key],
      });
      out.push({
        sql: `INSERT INTO alarm_meta (key, value) SELECT ?, ${total} WHERE true ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
        params: [key, day],
      });
    }
  }
  out.push({ sql: "DELETE FROM alarm_meta WHERE key LIKE 'plan:%' AND substr(key, 6, 10) < ?", params: [dayOf(now - DAY_MS)] });
  return out;
}

/**
 * Roll up what arrived since the last call, in transactions (a second instance on the same store
 * reads the cursor inside its own transaction, so nothing is counted twice). Old buckets go.
 */
export async function rollUp(db: SqlDb, now: number, keepMs: number): Promise<void> {
  for (let i = 0; i < MAX_CHUNKS; i++) {
    await db.batch([{ sql: ROLLUP_RECORDS }, { sql: ADVANCE_RECORDS }]);
    const left = await db.get<{ n: number }>(`SELECT (SELECT COALESCE(MAX(seq), 0) FROM records) - ${CURSOR} AS n`);
    if ((left?.n ?? 0) <= 0) break;
    // Let requests in between chunks: on Node the store is synchronous.
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  // Decision records in 10-second slices, so no one statement holds the store long.
  // Only the last hour matters (destination alarms judge recent windows): after a long stop, skip ahead.
  const logUntil = now - LOG_LAG_MS;
  await db.run("UPDATE alarm_meta SET value = MAX(value, ?) WHERE key = 'log_at'", [logUntil - 3_600_000]);
  const logAt = (await db.get<{ value: number }>("SELECT value FROM alarm_meta WHERE key = 'log_at'"))?.value ?? logUntil;
  for (let upTo = Math.min(logAt + LOG_SLICE_MS, logUntil); upTo <= logUntil; upTo = Math.min(upTo + LOG_SLICE_MS, logUntil)) {
    await db.batch([
      { sql: ROLLUP_LOG, params: [upTo] },
      { sql: "UPDATE alarm_meta SET value = MAX(value, ?) WHERE key = 'log_at'", params: [upTo] },
    ]);
    if (upTo === logUntil) break;
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
  await db.batch([
    ...planStatements(now),
    { sql: "DELETE FROM alarm_rollup WHERE bucket < ? AND metric <> 'last'", params: [now - keepMs] },
    { sql: "DELETE FROM alarm_rollup WHERE bucket = 0 AND metric = 'last' AND value < ?", params: [now - keepMs - DAY_MS] },
  ]);
}

/** Sums of a window and of the same window 1…`days` days earlier, per (metric, key). */
export interface WindowSums {
  /** `metric\tkey` → sums, index 0 the window itself, index d the window d days earlier. */
  get(metric: string, key?: string): number[];
  /** The keys of a metric that have any count. */
  keys(metric: string): string[];
}

/**
 * Read the sums of the buckets in [end − window, end) and the same span on each of the `days` days
 * before, in one query (one index range per day).
 */
export async function windowSums(db: SqlDb, opts: { end: number; window: number; days: number; metrics: readonly string[] }): Promise<WindowSums> {
  const { end, window, days, metrics } = opts;
  const ranges: string[] = [];
  const params: (number | string)[] = [end];
  for (let d = 0; d <= days; d++) {
    ranges.push('(bucket >= ? AND bucket < ?)');
    params.push(end - d * DAY_MS - window, end - d * DAY_MS);
  }
  params.push(...metrics);
  const rows = await db.all<{ metric: string; key: string; d: number; n: number }>(
    `SELECT metric, key, CAST((CAST(? AS INTEGER) - bucket - 1) / ${DAY_MS} AS INTEGER) AS d, SUM(value) AS n FROM alarm_rollup ` +
      `WHERE (${ranges.join(' OR ')}) AND metric IN (${metrics.map(() => '?').join(', ')}) GROUP BY metric, key, d`,
    params,
  );
  const sums = new Map<string, number[]>();
  const byMetric = new Map<string, Set<string>>();
  for (const row of rows) {
    const id = `${row.metric}\t${row.key}`;
    let list = sums.get(id);
    if (!list) sums.set(id, (list = new Array<number>(days + 1).fill(0)));
    list[row.d] = row.n;
    let keys = byMetric.get(row.metric);
    if (!keys) byMetric.set(row.metric, (keys = new Set()));
    keys.add(row.key);
  }
  return {
    get: (metric, key = '') => sums.get(`${metric}\t${key}`) ?? new Array<number>(days + 1).fill(0),
    keys: (metric) => [...(byMetric.get(metric) ?? [])],
  };
}

/** When each event name was last received. */
export async function lastSeen(db: SqlDb): Promise<Map<string, number>> {
  const rows = await db.all<{ key: string; value: number }>("SELECT key, value FROM alarm_rollup WHERE bucket = 0 AND metric = 'last'");
  return new Map(rows.map((r) => [r.key, r.value]));
}
