/**
 * @module Report vocabulary: names, parameters, the consent coverage every report states, and results.
 */

/** The reports tagrelay draws. */
export const REPORT_NAMES = ['funnel', 'micro', 'abandonment', 'revenue', 'cohorts', 'delivery'] as const;
export type ReportName = (typeof REPORT_NAMES)[number];

/** Dimensions a report can be split by (`--by`), each a warehouse report column. */
export const DIMENSIONS = { device: 'device_type', country: 'country', channel: 'channel', source: 'source', medium: 'medium', campaign: 'campaign' } as const;
export type Dimension = keyof typeof DIMENSIONS;

/** The funnel's default steps. */
export const DEFAULT_STEPS = ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'] as const;

/** Validated report parameters (see `params.ts`). Times are epoch ms; `until` is exclusive. */
export interface ReportParams {
  since: number;
  until: number;
  by?: Dimension;
  /** Funnel steps, in order (2–10 event names). */
  steps: string[];
  /** What is counted: sessions (a visitor's session) or users (a visitor, by first-party client id). */
  count: 'sessions' | 'users';
  /** Funnel window: within one session, or within N days of the first step (users only). */
  within: { kind: 'session' } | { kind: 'days'; days: number };
  /** The event that counts as a purchase (`purchase`). */
  purchase: string;
  /** Delivery report: one destination only. */
  destination?: string;
}

/**
 * What a report could see, by the warehouse's consent mode. Only `full` events carry a stable
 * visitor id: anonymized and cookieless events are never counted as a user or a session.
 */
export interface Coverage {
  events: number;
  full: number;
  anonymized: number;
  cookieless: number;
  /** Rows written before the warehouse recorded the consent mode: treated like anonymized. */
  unknown: number;
}

/** Every report's envelope. */
export interface ReportResult<T = unknown> {
  report: ReportName;
  /** ISO 8601; `until` exclusive. */
  range: { since: string; until: string };
  params: Record<string, unknown>;
  coverage: Coverage;
  data: T;
}

/** A ratio, or null when the denominator is zero. */
export const ratio = (a: number, b: number): number | null => (b === 0 ? null : a / b);

/** The median of numbers (mean of the two middle values for an even count), or null. */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** A UTC day index (days since 1970-01-01) as `YYYY-MM-DD`. */
export const dayString = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);

/** A week index (Monday-based, see `dialect.ts`) as the `YYYY-MM-DD` of its Monday. */
export const weekString = (week: number): string => dayString(week * 7 - 3);
