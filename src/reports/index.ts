/**
 * @module Reports over the warehouse: one entry point for the CLI, the admin API and the console.
 *
 * Each report has one definition (its file) and reads through a {@link ReportSource}: the embedded
 * SQLite warehouse or a PostgreSQL warehouse, with the SQL fragments that differ per dialect. Every
 * result states its consent coverage (events seen in full vs anonymized/cookieless); only events seen
 * in full make users and sessions.
 */
import type { SqlDb } from '../ports.js';
import { TagrelayError } from '../errors.js';
import { abandonmentReport } from './abandonment.js';
import { cohortsReport } from './cohorts.js';
import { coverage } from './common.js';
import { deliveryReport } from './delivery.js';
import { funnelReport } from './funnel.js';
import { microReport, type MicroRule } from './micro.js';
import { parseReportParams, reportName, type RawParams } from './params.js';
import { revenueReport } from './revenue.js';
import { SUMMARY_VERSION } from '../store/report-summary.js';
import type { ReportSource } from './source.js';
import type { ReportName, ReportParams, ReportResult } from './types.js';

export { sqliteSource, postgresSource, type ReportSource, type Dialect } from './source.js';
export { parseReportParams, reportName, type RawParams } from './params.js';
export { formatReport, type ReportFormat } from './format.js';
export * from './types.js';
export type { FunnelData, FunnelStep, FunnelGroup } from './funnel.js';
export type { MicroData, MicroLine, MicroRule } from './micro.js';
export type { AbandonmentData, AbandonmentLine } from './abandonment.js';
export type { RevenueData, RevenueLine } from './revenue.js';
export type { CohortsData, Cohort } from './cohorts.js';
export type { DeliveryData, DeliveryLine } from './delivery.js';

/** What a report may need besides its warehouse. */
export interface ReportContext {
  /** Epoch ms that relative times (`7d`) count back from. */
  now: number;
  /** The embedded store (the delivery report reads its record log and decision records). */
  store?: SqlDb;
  /** The configured micro-conversion rules (`conversions` with kind micro): listed even with no events. */
  microRules?: readonly MicroRule[];
  /** The configured destination ids (the delivery report lists each). */
  destinations?: readonly string[];
}

/**
 * Run one report with validated parameters.
 *
 * @example
 * const result = await runReport(sqliteSource(db), 'funnel', parseReportParams('funnel', { since: '30d', by: 'channel' }, now), { now })
 */
export async function runReport(source: ReportSource, name: ReportName, params: ReportParams, ctx: ReportContext): Promise<ReportResult> {
  // The embedded warehouse: its report summary once complete, else (an older store being filled) its rows.
  if (source.dialect.name === 'sqlite' && source.summary === undefined) {
    const [row] = await source.all<{ value: string }>("SELECT value FROM kv WHERE key = 'report_summary'");
    source = { ...source, summary: row?.value === SUMMARY_VERSION };
  }
  let data: unknown;
  switch (name) {
    case 'funnel':
      data = await funnelReport(source, params);
      break;
    case 'micro':
      data = await microReport(source, params, ctx.microRules);
      break;
    case 'abandonment':
      data = await abandonmentReport(source, params);
      break;
    case 'revenue':
      data = await revenueReport(source, params);
      break;
    case 'cohorts':
      data = await cohortsReport(source, params);
      break;
    case 'delivery': {
      if (!ctx.store) throw new TagrelayError('ERR_INVALID_QUERY', 'the delivery report reads the embedded store', { field: 'name' });
      data = await deliveryReport(ctx.store, params, ctx.destinations);
      break;
    }
  }
  const cov = await coverage(source, params);
  return {
    report: name,
    range: { since: new Date(params.since).toISOString(), until: new Date(params.until).toISOString() },
    params: describeParams(name, params),
    coverage: cov,
    data,
  };
}

/**
 * Validate raw parameters (query string, CLI flags) and run the report: the console's one call.
 * Throws `TagrelayError('ERR_INVALID_QUERY', …, { field })` for a bad name or parameter.
 *
 * @example
 * await drawReport(sqliteSource(runtime.db), 'revenue', { since: '30d', by: 'campaign' }, { now: Date.now(), store: runtime.db })
 */
export async function drawReport(source: ReportSource, name: string, raw: RawParams, ctx: ReportContext): Promise<ReportResult> {
  const report = reportName(name);
  return runReport(source, report, parseReportParams(report, raw, ctx.now), ctx);
}

/** The parameters a report used, as it states them. */
function describeParams(name: ReportName, p: ReportParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (p.by) out.by = p.by;
  if (name === 'funnel') {
    out.steps = p.steps;
    out.within = p.within.kind === 'session' ? 'session' : `${p.within.days}d`;
  }
  if (name === 'funnel' || name === 'micro' || name === 'abandonment') out.count = p.count;
  if (name === 'micro' || name === 'revenue' || name === 'abandonment') out.purchase = p.purchase;
  if (name === 'delivery' && p.destination) out.destination = p.destination;
  return out;
}
