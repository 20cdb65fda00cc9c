/**
 * @module The console's numbers, read from the store: records (accepted events and their consent),
 * traffic_counts (rejected, duplicates, bots), delivery_log, delivery_cursor/delivery_retry (outbox),
 * dead_letter and consent_audit. Counts only, and pseudonyms: never a clear identifier.
 */
import type { SqlDb } from '../ports.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;

/** Only events as received: derived micro-conversions are records too, but not traffic. */
const RECEIVED = "json_extract(data, '$.derived_from') IS NULL";

/** Per-minute traffic over a window: accepted (records), rejected, duplicates and bots (traffic_counts). */
export interface TrafficSeries {
  /** Start of each minute, epoch ms, oldest first. */
  minutes: number[];
  accepted: number[];
  rejected: number[];
  duplicates: number[];
  bots: number[];
  totals: { accepted: number; rejected: number; duplicates: number; bots: number };
  /** Rejections, duplicates and bots by reason code over the window. */
  reasons: { outcome: string; reason: string; count: number }[];
}

/** The last `minutes` minutes up to `now`. */
export async function trafficSeries(db: SqlDb, now: number, minutes = 60): Promise<TrafficSeries> {
  const last = Math.floor(now / MINUTE) * MINUTE;
  const first = last - (minutes - 1) * MINUTE;
  const index = (m: number) => (m - first) / MINUTE;
  const out: TrafficSeries = {
    minutes: Array.from({ length: minutes }, (_, i) => first + i * MINUTE),
    accepted: new Array(minutes).fill(0),
    rejected: new Array(minutes).fill(0),
    duplicates: new Array(minutes).fill(0),
    bots: new Array(minutes).fill(0),
    totals: { accepted: 0, rejected: 0, duplicates: 0, bots: 0 },
    reasons: [],
  };
  const accepted = await db.all<{ minute: number; n: number }>(
    `SELECT (received_at / ${MINUTE}) * ${MINUTE} AS minute, COUNT(*) AS n FROM records WHERE received_at >= ? AND ${RECEIVED} GROUP BY minute`,
    [first],
  );
  for (const r of accepted) {
    const i = index(r.minute);
    if (i >= 0 && i < minutes) out.accepted[i] = r.n;
    out.totals.accepted += r.n;
  }
  const other = await db.all<{ minute: number; outcome: string; reason: string; n: number }>(
    'SELECT minute, outcome, reason, SUM(count) AS n FROM traffic_counts WHERE minute >= ? GROUP BY minute, outcome, reason',
    [first],
  );
  const series = { rejected: out.rejected, duplicate: out.duplicates, bot: out.bots } as Record<string, number[]>;
  const totals = { rejected: 'rejected', duplicate: 'duplicates', bot: 'bots' } as const;
  const reasons = new Map<string, { outcome: string; reason: string; count: number }>();
  for (const r of other) {
    const s = series[r.outcome];
    if (!s) continue;
    const i = index(r.minute);
    if (i >= 0 && i < minutes) s[i]! += r.n;
    out.totals[totals[r.outcome as keyof typeof totals]] += r.n;
    const key = `${r.outcome}|${r.reason}`;
    const row = reasons.get(key) ?? { outcome: r.outcome, reason: r.reason, count: 0 };
    row.count += r.n;
    reasons.set(key, row);
  }
  out.reasons = [...reasons.values()].sort((a, b) => b.count - a.count);
  return out;
}

/** Delivery state of one destination. */
export interface DestinationHealth {
  id: string;
  type: string;
  /** delivery_log statuses since `since` (delivered, dropped, skipped, retrying, dead). */
  statuses: Record<string, number>;
  /** Records not yet settled there (past its cursor) plus retries waiting. */
  pending: number;
  /** Age of the oldest pending item, ms (0 when none). */
  oldestAgeMs: number;
  retrying: number;
  deadLetters: number;
  /** Circuit breaker as this instance sees it now. */
  breaker?: string;
}

/** Per destination: outcomes since `since`, outbox depth and age, dead letters. */
export async function deliveryHealth(
  db: SqlDb,
  destinations: readonly { id: string; type: string }[],
  now: number,
  since: number,
  breakers: Record<string, { state: string }> = {},
): Promise<DestinationHealth[]> {
  const statusRows = await db.all<{ destination_id: string; status: string; n: number }>(
    'SELECT destination_id, status, COUNT(*) AS n FROM delivery_log WHERE updated_at >= ? GROUP BY destination_id, status',
    [since],
  );
  const dead = await db.all<{ destination_id: string; n: number }>('SELECT destination_id, COUNT(*) AS n FROM dead_letter GROUP BY destination_id');
  const out: DestinationHealth[] = [];
  for (const d of destinations) {
    const statuses: Record<string, number> = {};
    for (const r of statusRows) if (r.destination_id === d.id) statuses[r.status] = r.n;
    const ahead = await db.get<{ n: number; oldest: number | null }>(
      'SELECT COUNT(*) AS n, MIN(received_at) AS oldest FROM records WHERE seq > COALESCE((SELECT seq FROM delivery_cursor WHERE destination_id = ?), 0)',
      [d.id],
    );
    const retry = await db.get<{ n: number; oldest: number | null }>(
      'SELECT COUNT(*) AS n, MIN(r.received_at) AS oldest FROM delivery_retry t LEFT JOIN records r ON r.seq = t.seq WHERE t.destination_id = ?',
      [d.id],
    );
    const oldest = Math.min(ahead?.oldest ?? Infinity, retry?.oldest ?? Infinity);
    out.push({
      id: d.id,
      type: d.type,
      statuses,
      pending: (ahead?.n ?? 0) + (retry?.n ?? 0),
      oldestAgeMs: Number.isFinite(oldest) ? Math.max(0, now - oldest) : 0,
      retrying: retry?.n ?? 0,
      deadLetters: dead.find((r) => r.destination_id === d.id)?.n ?? 0,
      breaker: breakers[d.id]?.state,
    });
  }
  return out;
}

/** A failed attempt with the vendor's answer (already masked by the destination). */
export interface RecentFailure {
  event_id: string;
  destination_id: string;
  status: string;
  attempts: number;
  error: string;
  updated_at: number;
}

/** The latest retrying or dead-lettered deliveries. */
export async function recentFailures(db: SqlDb, limit = 20): Promise<RecentFailure[]> {
  return db.all<RecentFailure>(
    "SELECT event_id, destination_id, status, attempts, error, updated_at FROM delivery_log WHERE status IN ('retrying', 'dead') AND error IS NOT NULL ORDER BY updated_at DESC LIMIT ?",
    [limit],
  );
}

/** Decisions per purpose: value and reason counts per hour. */
export interface ConsentShare {
  /** Hour starts, oldest first. */
  hours: number[];
  /** purpose → value → count per hour. */
  byPurpose: Record<string, { granted: number[]; denied: number[] }>;
  /** purpose, value, reason → count over the window. */
  reasons: { purpose: string; value: string; reason: string; count: number }[];
  /** Events over the window (each decided every purpose once). */
  events: number;
}

/** The consent decided for the events received in the last `hours` hours (from the records). */
export async function consentShares(db: SqlDb, now: number, hours = 24): Promise<ConsentShare> {
  const last = Math.floor(now / HOUR) * HOUR;
  const first = last - (hours - 1) * HOUR;
  const rows = await db.all<{ hour: number; purpose: string; value: string; reason: string; n: number }>(
    `SELECT (r.received_at / ${HOUR}) * ${HOUR} AS hour, p.key AS purpose, json_extract(p.value, '$.value') AS value, json_extract(p.value, '$.reason') AS reason, COUNT(*) AS n
       FROM records r, json_each(r.data, '$.consent_state.purposes') p
      WHERE r.received_at >= ? AND json_extract(r.data, '$.derived_from') IS NULL
      GROUP BY hour, purpose, value, reason`,
    [first],
  );
  const events = await db.get<{ n: number }>(`SELECT COUNT(*) AS n FROM records WHERE received_at >= ? AND ${RECEIVED}`, [first]);
  const out: ConsentShare = { hours: Array.from({ length: hours }, (_, i) => first + i * HOUR), byPurpose: {}, reasons: [], events: events?.n ?? 0 };
  const reasons = new Map<string, ConsentShare['reasons'][number]>();
  for (const r of rows) {
    const p = (out.byPurpose[r.purpose] ??= { granted: new Array(hours).fill(0), denied: new Array(hours).fill(0) });
    const i = (r.hour - first) / HOUR;
    if (r.value === 'granted' || r.value === 'denied') p[r.value][i]! += r.n;
    const key = `${r.purpose}|${r.value}|${r.reason}`;
    const row = reasons.get(key) ?? { purpose: r.purpose, value: r.value, reason: r.reason, count: 0 };
    row.count += r.n;
    reasons.set(key, row);
  }
  out.reasons = [...reasons.values()].sort((a, b) => a.purpose.localeCompare(b.purpose) || b.count - a.count);
  return out;
}

/** One audited consent choice of a visitor (by pseudonym). */
export interface ConsentReceiptRow {
  id: number;
  time: number;
  state: Record<string, string>;
  source: string;
  policy_version: string;
  region: string;
}

/** A visitor's consent history and how many of their events the store holds, by the client id's pseudonym. */
export async function consentLookup(db: SqlDb, pseudonym: string): Promise<{ receipts: ConsentReceiptRow[]; records: number }> {
  const rows = await db.all<{ id: number; time: number; state: string; source: string; policy_version: string; region: string }>(
    'SELECT id, time, state, source, policy_version, region FROM consent_audit WHERE client_id = ? AND tombstone IS NULL ORDER BY time DESC LIMIT 100',
    [pseudonym],
  );
  const records = await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM records WHERE client_key = ?', [pseudonym]);
  return { receipts: rows.map((r) => ({ ...r, state: JSON.parse(r.state) as Record<string, string> })), records: records?.n ?? 0 };
}
