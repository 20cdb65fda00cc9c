/**
 * @module Alarm notices to webhooks: queued in the store with the transition that caused them, sent
 * oldest first per webhook, retried with backoff while the receiver fails, dropped (logged) after
 * `max_age` or a permanent 4xx. A failing receiver never blocks evaluation or loses alarm state.
 */
import type { FetchLike, Logger, SqlDb } from '../ports.js';
import type { AlarmsConfig } from './config.js';

type Webhook = AlarmsConfig['channels']['webhooks'][number];

/** First retry after this; doubles per attempt up to {@link RETRY_MAX_MS}. */
export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 10 * 60_000;
/** Notices sent per webhook per tick at most. */
const PER_TICK = 50;

/** What one round of sending did, for tests and logs. */
export interface SendCounts {
  sent: number;
  failed: number;
  dropped: number;
}

/** The host of a webhook URL: what logs may say about it (the path of a Slack URL is its secret). */
const hostOf = (url: string) => new URL(url).host;

/** The statement that queues a notice for every webhook, tied to a transition's token. */
export function queueNoticeSql(tokenColumn: 'fire_token' | 'resolve_token'): string {
  return (
    'INSERT INTO alarm_notices (channel, alarm_id, body, attempts, next_at, created_at) ' +
    `SELECT ?, id, json_set(?, '$.alarm.id', id), 0, ?, ? FROM alarms WHERE ${tokenColumn} = ?`
  );
}

async function post(hook: Webhook, body: string, fetch: FetchLike): Promise<{ ok: boolean; permanent: boolean; failure?: string }> {
  try {
    const res = await fetch(hook.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...hook.headers },
      body,
      signal: AbortSignal.timeout(hook.timeout),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return { ok: true, permanent: false };
    // 408 and 429 and 5xx may pass later; any other 4xx will not (a revoked Slack URL answers 404/410).
    const permanent = res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
    return { ok: false, permanent, failure: `HTTP ${res.status}` };
  } catch (err) {
    const name = err instanceof Error ? err.name : 'Error';
    return { ok: false, permanent: false, failure: name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network error' };
  }
}

/**
 * Send what is due, per webhook in order: a notice waits for the one before it, so a resolve never
 * arrives before its alarm.
 */
export async function sendNotices(db: SqlDb, hooks: readonly Webhook[], opts: { fetch: FetchLike; now: () => number; log: Logger }): Promise<SendCounts> {
  const counts: SendCounts = { sent: 0, failed: 0, dropped: 0 };
  // Notices for webhooks no longer configured.
  await db.run('DELETE FROM alarm_notices WHERE channel >= ?', [hooks.length]);
  for (const [channel, hook] of hooks.entries()) {
    const rows = await db.all<{ id: number; body: string; attempts: number; next_at: number; created_at: number }>(
      'SELECT id, body, attempts, next_at, created_at FROM alarm_notices WHERE channel = ? ORDER BY id LIMIT ?',
      [channel, PER_TICK],
    );
    for (const row of rows) {
      const now = opts.now();
      if (now - row.created_at >= hook.max_age) {
        await db.run('DELETE FROM alarm_notices WHERE id = ?', [row.id]);
        opts.log.error('alarm notice dropped', { webhook: hostOf(hook.url), alarm_notice: row.id, attempts: row.attempts, reason: 'alarms.notice_expired' });
        counts.dropped++;
        continue;
      }
      if (row.next_at > now) break;
      const result = await post(hook, row.body, opts.fetch);
      if (result.ok) {
        await db.run('DELETE FROM alarm_notices WHERE id = ?', [row.id]);
        counts.sent++;
        continue;
      }
      if (result.permanent) {
        await db.run('DELETE FROM alarm_notices WHERE id = ?', [row.id]);
        opts.log.error('alarm notice refused', { webhook: hostOf(hook.url), alarm_notice: row.id, error: result.failure, reason: 'alarms.notice_refused' });
        counts.dropped++;
        continue;
      }
      const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** row.attempts);
      await db.run('UPDATE alarm_notices SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?', [opts.now() + delay, result.failure ?? null, row.id]);
      opts.log.warn('alarm notice failed; will retry', { webhook: hostOf(hook.url), alarm_notice: row.id, attempts: row.attempts + 1, error: result.failure, retry_in_ms: delay });
      counts.failed++;
      break;
    }
  }
  return counts;
}
