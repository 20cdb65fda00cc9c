/**
 * @module The embedded warehouse's report summary (SQLite): a small table the reports read instead
 * of the `events` rows, kept exact by triggers on `events` (so every writer — the sqlite
 * destination in the delivery settle transaction, a bulk load, an erasure, a retention purge —
 * maintains them in its own transaction, and an `INSERT OR IGNORE` that ignores a duplicate changes
 * nothing).
 *
 * `report_pieces`: per UTC hour and visitor session (only rows sent in full with a visitor id: an
 *   anonymized or cookieless event is never a user), its events as one short text (`trail`) plus
 *   the earliest event's dimensions. A piece holds at most {@link PIECE_EVENTS} events: the hot
 *   piece is part 0; a full part 0 moves to the next free part before the next event is added.
 *
 * A report over [since, until) reads the pieces of the whole hours inside the range and the `events`
 * rows of the two partial hours at its edges (src/reports/summary.ts), so any range is exact. Counts
 * over every row (consent coverage, orders) read the narrow `events_report_time` index.
 *
 * Trail entry (entries joined by `,`): `<ms after the hour>:<name>|<micro rule id>|<value>|<hex currency>`
 * (empty fields where null; the rule id only for `kind = 'micro'`). Only a name follows a `:`, and
 * only a rule id or a value (always with a `.`) sits between two `|`: SQL finds a unit with an event
 * (`instr(trail, ':purchase|')`) or a rule (`instr(trail, '|pricing|')`) without parsing.
 */

import type { Logger, SqlDb } from '../ports.js';

/** Events per piece at most (the hot piece is rewritten per event: this keeps that row within its page, under ~1 KB). */
export const PIECE_EVENTS = 32;

const HOUR = 'time / 3600000';
/** The piece's session key: `s<session_id>`, or `n` for rows without a session. */
const sKey = (r: string) => `COALESCE('s' || ${r}session_id, 'n')`;
/** One trail entry of a row (`r` is `NEW.` / `OLD.` / '' for a plain select). */
export const trailEntry = (r: string) =>
  `(${r}time - (${r}time / 3600000) * 3600000) || ':' || ${r}name || '|' || CASE WHEN ${r}kind = 'micro' THEN COALESCE(${r}rule_id, '') ELSE '' END || '|' || ` +
  `COALESCE(CAST(${r}value AS TEXT), '') || '|' || COALESCE(hex(${r}currency), '')`;

const DIMS = ['device_type', 'country', 'channel', 'source', 'medium', 'campaign'] as const;

/**
 * Piece rows built from `events` rows matching `where` (backfill, and a piece rebuilt after a delete or
 * update): parts of {@link PIECE_EVENTS} events in time order; the earliest row (time, event_id) gives
 * the dimensions (SQLite: bare columns come from the row holding the MIN).
 */
const rebuildSql = (where: string) =>
  `INSERT INTO report_pieces (hour, client_id, s, part, n, first_time, first_id, ${DIMS.join(', ')}, trail) ` +
  `SELECT hour, client_id, s, part, n, time, event_id, ${DIMS.join(', ')}, trail FROM (` +
  `SELECT hour, client_id, s, part, MIN(k) AS k, COUNT(*) AS n, time, event_id, ${DIMS.join(', ')}, group_concat(e, ',') AS trail FROM (` +
  `SELECT ${HOUR} AS hour, client_id, ${sKey('')} AS s, time, event_id, ${DIMS.join(', ')}, ${trailEntry('')} AS e, ` +
  `(ROW_NUMBER() OVER (PARTITION BY ${HOUR}, client_id, session_id ORDER BY time, event_id) - 1) / ${PIECE_EVENTS} AS part, ` +
  `printf('%015d', time) || event_id AS k FROM events WHERE consent_mode = 'send' AND client_id IS NOT NULL AND ${where}` +
  `) GROUP BY hour, client_id, s, part)`;

/** Forget and rebuild the piece of a row (`r`: `OLD.` / `NEW.`), when that row was sent in full. */
const refreshPiece = (r: string) => [
  `DELETE FROM report_pieces WHERE ${r}consent_mode = 'send' AND ${r}client_id IS NOT NULL AND hour = ${r}time / 3600000 AND client_id = ${r}client_id AND s = ${sKey(r)};`,
  rebuildSql(
    `${r}consent_mode = 'send' AND ${r}client_id IS NOT NULL AND client_id = ${r}client_id AND session_id IS ${r}session_id ` +
      `AND time >= (${r}time / 3600000) * 3600000 AND time < (${r}time / 3600000 + 1) * 3600000`,
  ) + ';',
];

/** The columns a report reads: an update of any of them refreshes the summary. */
const WATCHED = ['name', 'time', 'client_id', 'session_id', 'consent_mode', ...DIMS, 'value', 'currency', 'kind', 'rule_id'];

const newer = '(excluded.first_time, excluded.first_id) < (first_time, first_id)';

/**
 * `report_hours`: per UTC hour, consent mode, event name, micro rule id (`kind = 'micro'` rows, else '')
 * and currency ('' where null), how many rows and their summed value. The consent coverage, the orders
 * and revenue by day and the micro rules seen are counted from it for the whole hours of a range.
 * A delete subtracts (and drops a line that reaches 0 rows): no rebuild.
 */
const hourKey = (r: string) =>
  `${r}time / 3600000, COALESCE(${r}consent_mode, ''), ${r}name, CASE WHEN ${r}kind = 'micro' THEN COALESCE(${r}rule_id, '') ELSE '' END, COALESCE(${r}currency, '')`;
const hourMatch = (r: string) =>
  `hour = ${r}time / 3600000 AND mode = COALESCE(${r}consent_mode, '') AND name = ${r}name AND rule = CASE WHEN ${r}kind = 'micro' THEN COALESCE(${r}rule_id, '') ELSE '' END AND currency = COALESCE(${r}currency, '')`;
/**
 * Count a row in: an UPDATE of its line, else (`changes() = 0`: the line is new) an INSERT. Cheaper per
 * event than an upsert, which looks the line up twice when it exists (nearly always).
 */
const addHour = (r: string) =>
  `UPDATE report_hours SET n = n + 1, value = value + COALESCE(${r}value, 0) WHERE ${hourMatch(r)};\n    ` +
  `INSERT INTO report_hours (hour, mode, name, rule, currency, n, value) SELECT ${hourKey(r)}, 1, COALESCE(${r}value, 0) WHERE changes() = 0;`;
const subHour = (r: string) => [
  `UPDATE report_hours SET n = n - 1, value = value - COALESCE(${r}value, 0) WHERE ${hourMatch(r)};`,
  `DELETE FROM report_hours WHERE ${hourMatch(r)} AND n <= 0;`,
];
/** Tables and triggers (idempotent), after the `events` table. */
export const REPORT_SUMMARY_SCHEMA = [
  // One trigger per kind of write keeps both tables (an earlier version had one set per table).
  ...['summary', 'hours'].flatMap((t) => ['insert', 'delete', 'update'].map((w) => `DROP TRIGGER IF EXISTS events_${t}_${w}`)),
  `CREATE TABLE IF NOT EXISTS report_pieces (
    hour INTEGER NOT NULL,
    client_id TEXT NOT NULL,
    s TEXT NOT NULL,
    part INTEGER NOT NULL,
    n INTEGER NOT NULL,
    first_time INTEGER NOT NULL,
    first_id TEXT NOT NULL,
    ${DIMS.map((d) => `${d} TEXT`).join(',\n    ')},
    trail TEXT NOT NULL,
    PRIMARY KEY (hour, client_id, s, part)
  ) WITHOUT ROWID`,
  `CREATE TABLE IF NOT EXISTS report_hours (
    hour INTEGER NOT NULL,
    mode TEXT NOT NULL,
    name TEXT NOT NULL,
    rule TEXT NOT NULL,
    currency TEXT NOT NULL,
    n INTEGER NOT NULL,
    value REAL NOT NULL,
    PRIMARY KEY (hour, mode, name, rule, currency)
  ) WITHOUT ROWID`,
  `CREATE TRIGGER IF NOT EXISTS events_report_insert AFTER INSERT ON events BEGIN
    UPDATE report_pieces SET part = (SELECT MAX(part) + 1 FROM report_pieces WHERE hour = NEW.time / 3600000 AND client_id = NEW.client_id AND s = ${sKey('NEW.')})
      WHERE NEW.consent_mode = 'send' AND hour = NEW.time / 3600000 AND client_id = NEW.client_id AND s = ${sKey('NEW.')} AND part = 0 AND n >= ${PIECE_EVENTS};
    INSERT INTO report_pieces (hour, client_id, s, part, n, first_time, first_id, ${DIMS.join(', ')}, trail)
      SELECT NEW.time / 3600000, NEW.client_id, ${sKey('NEW.')}, 0, 1, NEW.time, NEW.event_id, ${DIMS.map((d) => `NEW.${d}`).join(', ')}, ${trailEntry('NEW.')}
      WHERE NEW.consent_mode = 'send' AND NEW.client_id IS NOT NULL
      ON CONFLICT (hour, client_id, s, part) DO UPDATE SET n = n + 1, trail = trail || ',' || excluded.trail,
        ${DIMS.map((d) => `${d} = CASE WHEN ${newer} THEN excluded.${d} ELSE ${d} END`).join(', ')},
        first_id = CASE WHEN ${newer} THEN excluded.first_id ELSE first_id END, first_time = MIN(first_time, excluded.first_time);
    ${addHour('NEW.')}
  END`,
  `CREATE TRIGGER IF NOT EXISTS events_report_delete AFTER DELETE ON events BEGIN
    ${refreshPiece('OLD.').join('\n    ')}
    ${subHour('OLD.').join('\n    ')}
  END`,
  `CREATE TRIGGER IF NOT EXISTS events_report_update AFTER UPDATE OF ${WATCHED.join(', ')} ON events BEGIN
    ${refreshPiece('OLD.').join('\n    ')}
    ${refreshPiece('NEW.').join('\n    ')}
    ${subHour('OLD.').join('\n    ')}
    ${addHour('NEW.')}
  END`,
];

/** `report_hours` lines built from the `events` rows matching `where` (a fill). */
const hoursFillSql = (where: string) =>
  `INSERT INTO report_hours (hour, mode, name, rule, currency, n, value) SELECT ${hourKey('')}, COUNT(*), TOTAL(value) FROM events WHERE ${where} GROUP BY 1, 2, 3, 4, 5`;

/** Fill the summary from the `events` rows (a store created before it): run once, when it is empty. */
export const REPORT_SUMMARY_BACKFILL = [
  'DELETE FROM report_pieces',
  rebuildSql('1'),
  'DELETE FROM report_hours',
  hoursFillSql('1'),
];

/**
 * The statements that (re)build the summary of the hours [h1, h2) from the rows (one transaction:
 * a fill in steps, while writers keep their triggers going; a step's hours are exact when it commits).
 */
export const fillHoursSql = (h1: number, h2: number): { sql: string; params: number[] }[] => {
  const a = h1 * 3_600_000;
  const b = h2 * 3_600_000;
  return [
    { sql: 'DELETE FROM report_pieces WHERE hour >= ? AND hour < ?', params: [h1, h2] },
    { sql: rebuildSql('time >= ? AND time < ?'), params: [a, b] },
    { sql: 'DELETE FROM report_hours WHERE hour >= ? AND hour < ?', params: [h1, h2] },
    { sql: hoursFillSql('time >= ? AND time < ?'), params: [a, b] },
  ];
};

/** kv `report_summary`: the summary's version once it is complete (`report_pieces` and `report_hours`). */
export const SUMMARY_VERSION = '2';
/** kv `report_summary_fill`: a fill under way, `{"next": hour, "end": hour}` (a restart resumes it). */
const FILL_KEY = 'report_summary_fill';

/** Whether the summary is complete: reports read it; until then they read the rows (exact, slower). */
export async function summaryComplete(db: Pick<SqlDb, 'get'>): Promise<boolean> {
  const row = await db.get<{ value: string }>("SELECT value FROM kv WHERE key = 'report_summary'");
  return row?.value === SUMMARY_VERSION;
}

/**
 * At start (`migrate`): a store without rows has a complete (empty) summary from here on; a store with
 * rows written before this summary version needs {@link fillReportSummary}, which runs after the start.
 */
export async function markEmptySummary(db: SqlDb): Promise<void> {
  if (await summaryComplete(db)) return;
  if (await db.get('SELECT 1 AS x FROM events LIMIT 1')) return;
  await db.batch([{ sql: "INSERT OR REPLACE INTO kv (key, value) VALUES ('report_summary', ?)", params: [SUMMARY_VERSION] }]);
}

/**
 * Fill the summary from the rows of a store written before it, in steps of about `stepRows` rows
 * (whole hours, one transaction each, `pause` between them) so a server answers meanwhile. The
 * triggers keep every hour exact while it runs: a step rebuilds its hours from the rows as they are
 * when it commits, and every write after that goes through the triggers. Resumes after a restart.
 * Returns the steps run (0: already complete).
 */
export async function fillReportSummary(db: SqlDb, opts: { stepRows?: number; pause?: () => Promise<void> } = {}): Promise<number> {
  if (await summaryComplete(db)) return 0;
  const stepRows = opts.stepRows ?? 2000;
  const saved = await db.get<{ value: string }>('SELECT value FROM kv WHERE key = ?', [FILL_KEY]);
  let next: number;
  let end: number;
  if (saved) ({ next, end } = JSON.parse(saved.value) as { next: number; end: number });
  else {
    const r = await db.get<{ lo: number | null; hi: number | null }>('SELECT MIN(time) AS lo, MAX(time) AS hi FROM events');
    // Rows written after the triggers existed are in the summary already; later hours need no step.
    next = Math.floor((r?.lo ?? 0) / 3_600_000);
    end = Math.floor((r?.hi ?? 0) / 3_600_000) + 1;
  }
  let steps = 0;
  while (next < end) {
    const cut = await db.get<{ time: number }>('SELECT time FROM events INDEXED BY events_time WHERE time >= ? ORDER BY time LIMIT 1 OFFSET ?', [next * 3_600_000, stepRows]);
    const to = Math.min(end, Math.max(next + 1, cut ? Math.floor(cut.time / 3_600_000) : end));
    const done = to >= end;
    await db.batch([
      ...fillHoursSql(next, to),
      done
        ? { sql: 'DELETE FROM kv WHERE key = ?', params: [FILL_KEY] }
        : { sql: 'INSERT OR REPLACE INTO kv (key, value) VALUES (?, ?)', params: [FILL_KEY, JSON.stringify({ next: to, end })] },
      ...(done ? [{ sql: "INSERT OR REPLACE INTO kv (key, value) VALUES ('report_summary', ?)", params: [SUMMARY_VERSION] }] : []),
    ]);
    steps++;
    next = to;
    if (!done) await opts.pause?.();
  }
  if (steps === 0) await db.batch([{ sql: "INSERT OR REPLACE INTO kv (key, value) VALUES ('report_summary', ?)", params: [SUMMARY_VERSION] }]);
  return steps;
}

/**
 * The server's fill after its start: {@link fillReportSummary} in steps with a short pause between
 * them (the event loop answers requests meanwhile); stops when `stopped()` (a shutdown; the next start
 * resumes). Logs when it starts and ends; a failure is logged, and the reports keep reading the rows.
 */
export async function fillSummaryInBackground(db: SqlDb, stopped: () => boolean, log: Logger, now = Date.now()): Promise<void> {
  if (await summaryComplete(db)) return warmSummary(db, now, stopped);
  const started = Date.now();
  log.info('report summary: filling from the stored events in the background (reports read the rows until it is done)');
  const stop = new Error('stopped');
  try {
    const steps = await fillReportSummary(db, {
      pause: async () => {
        await new Promise((r) => setTimeout(r, 5));
        if (stopped()) throw stop;
      },
    });
    log.info('report summary: filled', { steps, ms: Date.now() - started });
    await warmSummary(db, now, stopped);
  } catch (err) {
    if (err !== stop) log.error('report summary: fill failed (reports keep reading the rows)', { error: String(err).slice(0, 200) });
  }
}

/**
 * Read the summary of the last `days` once, a day at a time with a pause between days, so the first
 * report after a start finds its pages in the operating system's cache, not on disk (the summary of a
 * day is ~1.5 MB per 36,000 events).
 */
export async function warmSummary(db: SqlDb, now: number, stopped: () => boolean, days = 35): Promise<void> {
  const last = Math.floor(now / 3_600_000) + 1;
  for (let d = 0; d < days && !stopped(); d++) {
    const h2 = last - d * 24;
    await db.get('SELECT SUM(length(trail)) AS x FROM report_pieces WHERE hour >= ? AND hour < ?', [h2 - 24, h2]);
    await db.get('SELECT SUM(n) AS x FROM report_hours WHERE hour >= ? AND hour < ?', [h2 - 24, h2]);
    await new Promise((r) => setTimeout(r, 5));
  }
}
