/**
 * @module Retention rules: how long each store and each identifying field is kept, and the purge that enforces it.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';
import type { SqlDb, SqlStatement } from '../ports.js';

/** Tables with a retention period, and the time column each is aged by. */
const TABLES = {
  events: 'received_at',
  dead_letter: 'failed_at',
  consent_audit: 'time',
  records: 'received_at',
  delivery_log: 'updated_at',
  identity_links: 'last_seen',
  trigger_timers: 'updated_at',
  // Counts only (no identifiers): the delivery report's and the console's history.
  delivery_counts: 'bucket',
  traffic_counts: 'minute',
} as const;
type Table = keyof typeof TABLES;

/** Event fields that can be kept shorter than the row: the column (if any) and the JSON paths in `data` (every warehouse row has them). */
export const EVENT_FIELDS: Record<string, { column?: string; paths: string[] }> = {
  user_id: { column: 'user_id', paths: ['$.user.user_id'] },
  client_id: { column: 'client_id', paths: ['$.client.client_id'] },
  session_id: { column: 'session_id', paths: ['$.client.session_id'] },
  page_url: { column: 'page_url', paths: ['$.page.url', '$.page.referrer'] },
  ip: { paths: ['$.ip'] },
  user: { paths: ['$.user', '$.hashed_user'] },
  device: { paths: ['$.device'] },
  geo: { paths: ['$.geo'] },
  campaign: { paths: ['$.campaign'] },
};

const isRule = (k: string) => k in TABLES || (k.startsWith('events.') && k.slice(7) in EVENT_FIELDS);
const RULE_HELP = `expected a table (${Object.keys(TABLES).join(', ')}) or events.<field> (${Object.keys(EVENT_FIELDS).join(', ')})`;

export const retentionConfigSchema = z
  .object({
    /** How often the purge runs (it also runs at start). */
    purge_interval: duration.prefault('1h'),
    /** `table: 395d` deletes rows; `events.user_id: 30d` nulls the field and keeps the row. */
    rules: z
      .record(z.string(), duration)
      .superRefine((rules, ctx) => {
        for (const key of Object.keys(rules)) if (!isRule(key)) ctx.addIssue({ code: 'custom', path: [key], message: RULE_HELP });
      })
      .prefault({
      events: '395d',
      'events.ip': '30d',
      dead_letter: '14d',
      consent_audit: '3y',
      records: '7d',
      delivery_log: '30d',
      identity_links: '395d',
      trigger_timers: '30d',
      delivery_counts: '395d',
      traffic_counts: '395d',
    }),
  })
  .prefault({});
export type RetentionConfig = z.infer<typeof retentionConfigSchema>;

/** What one rule did (or, in a dry run, would do). Counts only: never values. */
export interface PurgeCount {
  rule: string;
  action: 'delete' | 'null_field';
  rows: number;
}

interface Step {
  rule: string;
  action: PurgeCount['action'];
  count: { sql: string; params: number[] };
  apply: SqlStatement[];
}

/**
 * A record is deleted only once every destination has settled it (its cursor passed it and it waits
 * in no retry or dead letter) and it is older than the dedupe window (the records are that window).
 */
const RECORD_SETTLED =
  'seq <= (SELECT COALESCE(MIN(seq), 0) FROM delivery_cursor) AND NOT EXISTS (SELECT 1 FROM delivery_retry t WHERE t.seq = records.seq) ' +
  'AND NOT EXISTS (SELECT 1 FROM dead_letter l WHERE l.seq = records.seq)';

function steps(config: RetentionConfig, now: number, minRecordAge: number): Step[] {
  const out: Step[] = [];
  for (const [rule, ttl] of Object.entries(config.rules)) {
    const cutoff = now - ttl;
    if (rule.startsWith('events.')) {
      const field = EVENT_FIELDS[rule.slice(7)]!;
      const present = [
        ...(field.column ? [`${field.column} IS NOT NULL`] : []),
        ...field.paths.map((p) => `json_type(data, '${p}') IS NOT NULL`),
      ].join(' OR ');
      const where = `received_at < ? AND (${present})`;
      const sets = [...(field.column ? [`${field.column} = NULL`] : []), `data = json_remove(data, ${field.paths.map((p) => `'${p}'`).join(', ')})`];
      out.push({
        rule,
        action: 'null_field',
        count: { sql: `SELECT COUNT(*) AS n FROM events WHERE ${where}`, params: [cutoff] },
        apply: [{ sql: `UPDATE events SET ${sets.join(', ')} WHERE ${where}`, params: [cutoff] }],
      });
      continue;
    }
    const table = rule as Table;
    const where = `${TABLES[table]} < ?`;
    if (table === 'records') {
      const where = `received_at < ? AND ${RECORD_SETTLED}`;
      const params = [Math.min(cutoff, now - minRecordAge)];
      out.push({ rule, action: 'delete', count: { sql: `SELECT COUNT(*) AS n FROM records WHERE ${where}`, params }, apply: [{ sql: `DELETE FROM records WHERE ${where}`, params }] });
      continue;
    }
    out.push({
      rule,
      action: 'delete',
      count: { sql: `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, params: [cutoff] },
      apply: [{ sql: `DELETE FROM ${table} WHERE ${where}`, params: [cutoff] }],
    });
  }
  return out;
}

/**
 * Delete or null exactly what is due at `now`. With `dryRun`, count only.
 *
 * @example
 * const counts = await purge(db, config.retention, Date.now(), { dryRun: true })
 */
export async function purge(db: SqlDb, config: RetentionConfig, now: number, opts: { dryRun?: boolean; minRecordAge?: number } = {}): Promise<PurgeCount[]> {
  const counts: PurgeCount[] = [];
  const apply: SqlStatement[] = [];
  for (const step of steps(config, now, opts.minRecordAge ?? 0)) {
    const row = await db.get<{ n: number }>(step.count.sql, step.count.params);
    counts.push({ rule: step.rule, action: step.action, rows: row?.n ?? 0 });
    if (!opts.dryRun && (row?.n ?? 0) > 0) apply.push(...step.apply);
  }
  if (apply.length > 0) await db.batch(apply);
  return counts;
}
