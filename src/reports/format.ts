/**
 * @module Reports as text: an aligned table (with the range and consent coverage above it), CSV, or JSON.
 */
import type { AbandonmentData, AbandonmentLine } from './abandonment.js';
import type { CohortsData } from './cohorts.js';
import type { DeliveryData } from './delivery.js';
import type { FunnelData, FunnelStep } from './funnel.js';
import type { MicroData } from './micro.js';
import type { RevenueData, RevenueLine } from './revenue.js';
import type { ReportResult } from './types.js';

export type ReportFormat = 'table' | 'json' | 'csv';

type Cell = string | number | null;
/** A report as rows of cells under named columns. */
interface Table {
  columns: string[];
  rows: Cell[][];
}

const pct = (v: number | null): Cell => (v === null ? null : Math.round(v * 10000) / 100);
const round = (v: number | null, digits = 2): Cell => (v === null ? null : Math.round(v * 10 ** digits) / 10 ** digits);
const hours = (ms: number | null): Cell => (ms === null ? null : round(ms / 3_600_000, 2));
const minutes = (ms: number | null): Cell => (ms === null ? null : round(ms / 60_000, 1));
const money = (m: Record<string, number>): string => Object.entries(m).map(([c, v]) => `${round(v)} ${c}`).join(' + ') || '0';

function funnelTable(d: FunnelData): Table {
  const rows: Cell[][] = [];
  const add = (group: string | null, steps: FunnelStep[]) => {
    for (const s of steps) rows.push([group ?? '(none)', s.name, s.count, pct(s.step_conversion), pct(s.overall_conversion), s.drop_off, minutes(s.median_ms_from_previous)]);
  };
  add('all', d.total);
  for (const g of d.groups ?? []) add(g.key, g.steps);
  return { columns: [d.by ?? 'group', 'step', d.count, 'step_%', 'overall_%', 'drop_off', 'median_min_from_prev'], rows };
}

function microTable(d: MicroData): Table {
  return {
    columns: ['rule', 'event', `${d.count}_with`, 'rate_%', 'purchase_%_with', 'purchase_%_without', 'lift'],
    rows: d.micro.map((m) => [m.rule_id, m.name, m.with, pct(m.rate), pct(m.purchase_rate_with), pct(m.purchase_rate_without), round(m.lift)]),
  };
}

function abandonmentTable(d: AbandonmentData): Table {
  const row = (l: AbandonmentLine, key: string): Cell[] => [key, l.carts, l.abandoned_carts, pct(l.cart_abandonment_rate), l.checkouts, l.abandoned_checkouts, pct(l.checkout_abandonment_rate), money(l.value_left)];
  return {
    columns: [d.by ?? 'group', 'carts', 'abandoned', 'cart_abandon_%', 'checkouts', 'abandoned', 'checkout_abandon_%', 'value_left'],
    rows: [row(d.total, 'all'), ...(d.groups ?? []).map((g) => row(g, g.key ?? '(none)'))],
  };
}

function revenueTable(d: RevenueData): Table {
  const row = (kind: string, l: RevenueLine): Cell[] => [kind, l.key ?? '(none)', round(l.revenue), l.orders, round(l.aov), l.sessions, l.converting_sessions, pct(l.conversion_rate)];
  return {
    columns: ['by', 'key', 'revenue', 'orders', 'aov', 'sessions', 'converting', 'conversion_%'],
    rows: [row('total', { ...d.total, key: 'all' }), ...d.by_day.map((l) => row('day', l)), ...d.groups.map((l) => row(d.by, l))],
  };
}

function cohortsTable(d: CohortsData): Table {
  const weeks = Math.max(0, ...d.cohorts.map((c) => c.active.length));
  return {
    columns: ['cohort_week', 'users', ...Array.from({ length: weeks }, (_, k) => `w${k}_%`)],
    rows: d.cohorts.map((c) => [c.week, c.users, ...Array.from({ length: weeks }, (_, k) => (k < c.retention.length ? pct(c.retention[k] ?? null) : null))]),
  };
}

function deliveryTable(d: DeliveryData): Table {
  return {
    columns: ['destination', 'day', 'event', 'received', 'send', 'anonymize', 'cookieless', 'drop', 'skip', 'delivered', 'retrying', 'dead', 'pending', 'consent_reasons'],
    rows: d.lines.map((l) => [
      l.destination,
      l.day,
      l.name,
      l.received,
      l.decided.send,
      l.decided.anonymize,
      l.decided.cookieless,
      l.decided.drop,
      l.decided.skip,
      l.delivered,
      l.retrying,
      l.dead_lettered,
      l.pending,
      Object.entries(l.consent_reasons).map(([c, n]) => `${c}=${n}`).join(' '),
    ]),
  };
}

/** The table of a result. */
export function reportTable(result: ReportResult): Table {
  switch (result.report) {
    case 'funnel':
      return funnelTable(result.data as FunnelData);
    case 'micro':
      return microTable(result.data as MicroData);
    case 'abandonment':
      return abandonmentTable(result.data as AbandonmentData);
    case 'revenue':
      return revenueTable(result.data as RevenueData);
    case 'cohorts':
      return cohortsTable(result.data as CohortsData);
    case 'delivery':
      return deliveryTable(result.data as DeliveryData);
  }
}

const csvCell = (c: Cell): string => {
  const s = c === null ? '' : String(c);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

/**
 * A result as text.
 *
 * @example
 * console.log(formatReport(result, 'table'))
 */
export function formatReport(result: ReportResult, format: ReportFormat): string {
  if (format === 'json') return JSON.stringify(result, null, 2);
  const t = reportTable(result);
  if (format === 'csv') return [t.columns, ...t.rows].map((r) => r.map(csvCell).join(',')).join('\n');
  const c = result.coverage;
  const head = [
    `${result.report} ${result.range.since} → ${result.range.until}${Object.keys(result.params).length ? ` ${JSON.stringify(result.params)}` : ''}`,
    `events: ${c.events} — full ${c.full}, anonymized ${c.anonymized}, cookieless ${c.cookieless}${c.unknown ? `, unknown ${c.unknown}` : ''} (only events seen in full count as users and sessions)`,
  ];
  if (result.report === 'revenue') {
    const d = result.data as RevenueData;
    head.push(
      `orders ${d.total.orders} (anonymized/cookieless ${d.total.orders_anonymized}, unattributed ${d.unattributed.orders}); purchasers ${d.purchasers}, repeat ${d.repeat_purchasers} (${pct(d.repeat_purchase_rate) ?? '-'}%); ` +
        `median time to first purchase ${hours(d.median_ms_to_first_purchase) ?? '-'} h`,
    );
  }
  if (result.report === 'micro') {
    const d = result.data as MicroData;
    head.push(`${d.count}: ${d.units}, with ${d.purchase}: ${d.purchasing_units}`);
  }
  const cells = [t.columns, ...t.rows.map((r) => r.map((x) => (x === null ? '-' : String(x))))];
  const widths = t.columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const numeric = t.columns.map((_, i) => t.rows.every((r) => typeof r[i] === 'number' || r[i] === null));
  const lines = cells.map((r) => r.map((x, i) => (numeric[i] ? String(x).padStart(widths[i]!) : String(x).padEnd(widths[i]!))).join('  ').trimEnd());
  return [...head, '', ...lines].join('\n');
}
