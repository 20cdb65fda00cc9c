/**
 * @module Settlement: what a delivery outcome writes — the decision record (`delivery_log`), the
 * retry state, the dead letter. One module for the delivery worker and the Workers queue consumer.
 */
import type { SqlStatement } from '../ports.js';
import type { DeliveryConfig } from './config.js';
import type { Decision } from './decide.js';
import { backoffDelay } from './backoff.js';

/** One record at one destination, as delivery handles it. */
export interface DeliveryItem {
  seq: number;
  event_id: string;
  /** The event's name (recorded with the decision: the delivery report counts by it). */
  name?: string;
  received_at: number;
  /** Attempts made before this one. */
  attempts: number;
  /** The item came from `delivery_retry` (its row is removed when it settles). */
  retrying: boolean;
  decision: Decision;
  /** The decision without IP and User-Agent: what a dead letter keeps. */
  deadPayload?: () => unknown;
  /** The tracking plan quarantined the record (`plan.violation:<path>`): dead-lettered instead of sent. */
  quarantine?: string;
}

/** What happened to one item. */
export type ItemOutcome =
  | { kind: 'delivered' }
  | { kind: 'decided' }
  | { kind: 'failed'; error: string }
  | { kind: 'retry'; error: string; retry_after_ms?: number; outage: boolean };

/**
 * Writes a decision record: (event_id, destination_id, status, attempts, reasons, error, updated_at, config_version,
 * action, name, received_at, consent). The last four are what the delivery report (src/reports/delivery.ts) reconciles:
 * the decision's route action (send / anonymize / cookieless / drop / skip), the event's name and receive time, and
 * the consent reason codes of a decision that was not `send`.
 */
export const DELIVERY_LOG_SQL =
  'INSERT INTO delivery_log (event_id, destination_id, status, attempts, reasons, error, updated_at, config_version, action, name, received_at, consent) ' +
  'VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT (event_id, destination_id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, reasons = excluded.reasons, ' +
  'error = excluded.error, updated_at = excluded.updated_at, config_version = excluded.config_version, action = excluded.action, ' +
  'name = excluded.name, received_at = excluded.received_at, consent = excluded.consent';

/** The consent reason codes of a decision that did not send in full (null for `send`). */
function consentCodes(decision: Decision): string | null {
  if (decision.action === 'send') return null;
  const codes = decision.reasons.filter((r) => r.startsWith('consent.'));
  return codes.length > 0 ? codes.join(' ') : null;
}

/** Moves an item to the dead-letter store. */
export const DEAD_LETTER_SQL =
  'INSERT INTO dead_letter (destination_id, event_id, payload, reason, attempts, created_at, failed_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

const UPSERT_RETRY =
  'INSERT INTO delivery_retry (destination_id, seq, event_id, attempts, next_attempt_at, first_attempt_at, last_error) VALUES (?, ?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT (destination_id, seq) DO UPDATE SET attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error';

const DELETE_RETRY = 'DELETE FROM delivery_retry WHERE destination_id = ? AND seq = ?';

/** Counts of one settlement, for stats. */
export interface SettleCounts {
  delivered: number;
  retried: number;
  dead: number;
  decided: number;
}

const STATUS: Record<string, string> = { drop: 'dropped', skip: 'skipped' };

/**
 * The statements that record outcomes for one destination. A retryable failure during an outage
 * (the destination's breaker opened) does not use up an attempt: an outage of hours ends in
 * delivery, not in the dead-letter store; only `max_age` bounds it.
 */
export function settleStatements(
  destinationId: string,
  settled: readonly { item: DeliveryItem; outcome: ItemOutcome }[],
  opts: { now: number; config: DeliveryConfig; random: () => number; resumeAt?: number; configVersion?: string },
  counts: SettleCounts,
): SqlStatement[] {
  const { now, config } = opts;
  const out: SqlStatement[] = [];
  const log = (item: DeliveryItem, status: string, attempts: number, error: string | null) =>
    out.push({
      sql: DELIVERY_LOG_SQL,
      params: [
        item.event_id,
        destinationId,
        status,
        attempts,
        JSON.stringify(item.decision.reasons),
        error === null ? null : error.slice(0, 2000),
        now,
        opts.configVersion ?? null,
        item.decision.action,
        item.name ?? null,
        item.received_at,
        consentCodes(item.decision),
      ],
    });
  const dead = (item: DeliveryItem, reason: string, attempts: number) => {
    const payload = item.deadPayload ? item.deadPayload() : item.decision.payload;
    out.push({ sql: DEAD_LETTER_SQL, params: [destinationId, item.event_id, JSON.stringify(payload ?? null), reason, attempts, item.received_at, now, item.seq] });
    log(item, 'dead', attempts, reason);
    counts.dead++;
  };
  for (const { item, outcome } of settled) {
    if (item.retrying && outcome.kind !== 'retry') out.push({ sql: DELETE_RETRY, params: [destinationId, item.seq] });
    switch (outcome.kind) {
      case 'delivered':
        log(item, 'delivered', item.attempts + 1, null);
        counts.delivered++;
        break;
      case 'decided':
        log(item, STATUS[item.decision.action] ?? item.decision.action, item.attempts, null);
        counts.decided++;
        break;
      case 'failed':
        dead(item, outcome.error, item.attempts + 1);
        break;
      case 'retry': {
        const attempts = outcome.outage ? item.attempts : item.attempts + 1;
        if (attempts >= config.max_attempts || now - item.received_at >= config.max_age) {
          if (item.retrying) out.push({ sql: DELETE_RETRY, params: [destinationId, item.seq] });
          dead(item, `${outcome.error} (gave up after ${Math.max(attempts, 1)} attempts)`, Math.max(attempts, 1));
          break;
        }
        const delay = backoffDelay(Math.max(attempts, 1), { base: config.backoff_base, max: config.backoff_max, random: opts.random, retryAfterMs: outcome.retry_after_ms });
        const next = Math.max(now + delay, opts.resumeAt ?? 0);
        out.push({ sql: UPSERT_RETRY, params: [destinationId, item.seq, item.event_id, attempts, next, now, outcome.error.slice(0, 2000)] });
        log(item, 'retrying', attempts, outcome.error);
        counts.retried++;
        break;
      }
    }
  }
  return out;
}
