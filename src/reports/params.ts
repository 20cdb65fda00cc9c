/**
 * @module Report parameters from a query string or CLI flags, validated with a machine-readable
 * error (`ERR_INVALID_QUERY` and the offending `field`).
 */
import { TagrelayError } from '../errors.js';
import { EVENT_NAME_PATTERN } from '../event.js';
import { parseDuration } from '../config/duration.js';
import { DEFAULT_STEPS, DIMENSIONS, REPORT_NAMES, type Dimension, type ReportName, type ReportParams } from './types.js';

/** Raw parameters as strings (query string, CLI flags). */
export type RawParams = Partial<Record<'since' | 'until' | 'by' | 'steps' | 'count' | 'within' | 'purchase' | 'destination', string>>;

/** Which reports accept `--by`. */
const BY_REPORTS: ReadonlySet<ReportName> = new Set(['funnel', 'abandonment', 'revenue']);
/** The longest range one report reads. */
const MAX_RANGE_MS = 3 * 365 * 86_400_000;

const bad = (field: string, message: string) => new TagrelayError('ERR_INVALID_QUERY', message, { field });

/** A known report name, or a 400. */
export function reportName(name: string): ReportName {
  if (!(REPORT_NAMES as readonly string[]).includes(name)) throw bad('name', `unknown report; expected one of ${REPORT_NAMES.join(', ')}`);
  return name as ReportName;
}

/** `7d` (a duration back from now), an ISO date/time, or epoch ms. */
function parseTime(field: string, text: string, now: number): number {
  const t = text.trim();
  const back = parseDuration(t);
  if (back !== undefined) return now - back;
  if (/^\d{10,14}$/.test(t)) return Number(t);
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t);
    if (Number.isFinite(ms)) return ms;
  }
  throw bad(field, `${field} expects a duration back from now (7d, 24h), an ISO date (2026-11-01) or epoch ms`);
}

/**
 * Validate the parameters of one report. Defaults: since 7d, until now, the standard funnel steps,
 * counting sessions within a session, `purchase` as the purchase event.
 *
 * @example
 * parseReportParams('funnel', { since: '30d', by: 'channel' }, Date.now())
 */
export function parseReportParams(name: ReportName, raw: RawParams, now: number): ReportParams {
  const since = parseTime('since', raw.since ?? '7d', now);
  const until = raw.until === undefined ? now : parseTime('until', raw.until, now);
  if (until <= since) throw bad('until', 'until must be after since');
  if (until - since > MAX_RANGE_MS) throw bad('since', 'a report reads at most 3 years');
  let by: Dimension | undefined;
  if (raw.by !== undefined && raw.by !== '') {
    if (!(raw.by in DIMENSIONS)) throw bad('by', `by expects one of ${Object.keys(DIMENSIONS).join(', ')}`);
    if (!BY_REPORTS.has(name)) throw bad('by', `the ${name} report cannot be split (by works with ${[...BY_REPORTS].join(', ')})`);
    by = raw.by as Dimension;
  }
  const steps = raw.steps === undefined ? [...DEFAULT_STEPS] : raw.steps.split(',').map((s) => s.trim());
  if (steps.length < 2 || steps.length > 10 || steps.some((s) => !EVENT_NAME_PATTERN.test(s))) {
    throw bad('steps', 'steps expects 2 to 10 comma-separated event names');
  }
  const count = raw.count ?? 'sessions';
  if (count !== 'sessions' && count !== 'users') throw bad('count', 'count expects sessions or users');
  let within: ReportParams['within'] = { kind: 'session' };
  if (raw.within !== undefined && raw.within !== 'session') {
    const m = /^(\d{1,3})d$/.exec(raw.within);
    if (!m || Number(m[1]) < 1) throw bad('within', 'within expects session or a number of days (7d)');
    if (count !== 'users') throw bad('within', 'a window of days needs count=users (a session ends with itself)');
    within = { kind: 'days', days: Number(m[1]) };
  }
  const purchase = raw.purchase ?? 'purchase';
  if (!EVENT_NAME_PATTERN.test(purchase)) throw bad('purchase', 'purchase expects an event name');
  const params: ReportParams = { since, until, steps, count, within, purchase };
  if (by) params.by = by;
  if (raw.destination !== undefined && raw.destination !== '') {
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(raw.destination)) throw bad('destination', 'destination expects a destination id');
    params.destination = raw.destination;
  }
  return params;
}
