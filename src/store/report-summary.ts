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

/** Tables and triggers (idempotent), after the `events` table. */
export const REPORT_SUMMARY_SCHEMA = [
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
  `CREATE TRIGGER IF NOT EXISTS events_summary_insert AFTER INSERT ON events BEGIN
    UPDATE report_pieces SET part = (SELECT MAX(part) + 1 FROM report_pieces WHERE hour = NEW.time / 3600000 AND client_id = NEW.client_id AND s = ${sKey('NEW.')})
      WHERE NEW.consent_mode = 'send' AND hour = NEW.time / 3600000 AND client_id = NEW.client_id AND s = ${sKey('NEW.')} AND part = 0 AND n >= ${PIECE_EVENTS};
    INSERT INTO report_pieces (hour, client_id, s, part, n, first_time, first_id, ${DIMS.join(', ')}, trail)
      SELECT NEW.time / 3600000, NEW.client_id, ${sKey('NEW.')}, 0, 1, NEW.time, NEW.event_id, ${DIMS.map((d) => `NEW.${d}`).join(', ')}, ${trailEntry('NEW.')}
      WHERE NEW.consent_mode = 'send' AND NEW.client_id IS NOT NULL
      ON CONFLICT (hour, client_id, s, part) DO UPDATE SET n = n + 1, trail = trail || ',' || excluded.trail,
        ${DIMS.map((d) => `${d} = CASE WHEN ${newer} THEN excluded.${d} ELSE ${d} END`).join(', ')},
        first_id = CASE WHEN ${newer} THEN excluded.first_id ELSE first_id END, first_time = MIN(first_time, excluded.first_time);
  END`,
  `CREATE TRIGGER IF NOT EXISTS events_summary_delete AFTER DELETE ON events BEGIN
    ${refreshPiece('OLD.').join('\n    ')}
  END`,
  `CREATE TRIGGER IF NOT EXISTS events_summary_update AFTER UPDATE OF ${WATCHED.join(', ')} ON events BEGIN
    ${refreshPiece('OLD.').join('\n    ')}
    ${refreshPiece('NEW.').join('\n    ')}
  END`,
];

/** Fill the summary from the `events` rows (a store created before it): run once, when it is empty. */
export const REPORT_SUMMARY_BACKFILL = [
  'DELETE FROM report_pieces',
  rebuildSql('1'),
];
