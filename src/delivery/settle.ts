/**
 * @module Settlement: what a delivery outcome writes — the decision record (`delivery_log`), the
 * retry state, the dead letter. One module for the delivery worker and the Workers queue consumer.
 */
import type { SqlStatement, SqlValue } from '../ports.js';
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

/** Zero counts. */
export const noCounts = (): SettleCounts => ({ delivered: 0, retried: 0, dead: 0, decided: 0 });

/** Add `part` into `total`. */
export function addCounts(total: SettleCounts, part: SettleCounts): void {
  total.delivered += part.delivered;
  total.retried += part.retried;
  total.dead += part.dead;
  total.decided += part.decided;
}

const STATUS: Record<string, string> = { drop: 'dropped', skip: 'skipped' };

/**
 * What one outcome changes, store-neutral: the decision record, and the item's retry or dead letter.
 * `dropRetry`: the item leaves the retry state (it came from there and settled, or gave up).
 */
export interface SettleStep {
  item: DeliveryItem;
  /** The decision record: status, attempts so far, error. */
  status: string;
  attempts: number;
  error: string | null;
  dropRetry: boolean;
  retry?: { attempts: number; next: number; error: string };
  dead?: { reason: string; attempts: number; payload: unknown };
}

/**
 * What outcomes change for one destination, without a store. A retryable failure during an outage
 * (the destination's breaker opened) does not use up an attempt: an outage of hours ends in
 * delivery, not in the dead-letter store; only `max_age` bounds it.
 */
export function settlementSteps(
  settled: readonly { item: DeliveryItem; outcome: ItemOutcome }[],
  opts: { now: number; config: DeliveryConfig; random: () => number; resumeAt?: number },
  counts: SettleCounts,
): SettleStep[] {
  const { now, config } = opts;
  const out: SettleStep[] = [];
  const dead = (item: DeliveryItem, reason: string, attempts: number): SettleStep => {
    counts.dead++;
    const payload = item.deadPayload ? item.deadPayload() : item.decision.payload;
    return { item, status: 'dead', attempts, error: reason, dropRetry: item.retrying, dead: { reason, attempts, payload } };
  };
  for (const { item, outcome } of settled) {
    switch (outcome.kind) {
      case 'delivered':
        out.push({ item, status: 'delivered', attempts: item.attempts + 1, error: null, dropRetry: item.retrying });
        counts.delivered++;
        break;
      case 'decided':
        out.push({ item, status: STATUS[item.decision.action] ?? item.decision.action, attempts: item.attempts, error: null, dropRetry: item.retrying });
        counts.decided++;
        break;
      case 'failed':
        out.push(dead(item, outcome.error, item.attempts + 1));
        break;
      case 'retry': {
        const attempts = outcome.outage ? item.attempts : item.attempts + 1;
        if (attempts >= config.max_attempts || now - item.received_at >= config.max_age) {
          out.push(dead(item, `${outcome.error} (gave up after ${Math.max(attempts, 1)} attempts)`, Math.max(attempts, 1)));
          break;
        }
        const delay = backoffDelay(Math.max(attempts, 1), { base: config.backoff_base, max: config.backoff_max, random: opts.random, retryAfterMs: outcome.retry_after_ms });
        const next = Math.max(now + delay, opts.resumeAt ?? 0);
        out.push({ item, status: 'retrying', attempts, error: outcome.error, dropRetry: false, retry: { attempts, next, error: outcome.error.slice(0, 2000) } });
        counts.retried++;
        break;
      }
    }
  }
  return out;
}

/** The decision record of one step (`DELIVERY_LOG_SQL`). */
export function deliveryLogStatement(destinationId: string, step: SettleStep, now: number, configVersion?: string): SqlStatement {
  const { item } = step;
  return {
    sql: DELIVERY_LOG_SQL,
    params: [
      item.event_id,
      destinationId,
      step.status,
      step.attempts,
      JSON.stringify(item.decision.reasons),
      step.error === null ? null : step.error.slice(0, 2000),
      now,
      configVersion ?? null,
      item.decision.action,
      item.name ?? null,
      item.received_at,
      consentCodes(item.decision),
    ],
  };
}

/** Width of a `delivery_counts` time bucket (when outcomes were recorded): the alarms' bucket. */
export const COUNT_BUCKET_MS = 5 * 60_000;

/**
 * `delivery_counts` is `delivery_log` grouped by destination, day of receipt, event name, action, status,
 * consent codes and 5-minute bucket of `updated_at`, kept up to date in the settling transaction: the
 * delivery report reads it, so `delivery_log` needs no index per report column.
 * A row that changes status (a retry that settles) leaves its old group first (`COUNT_LEAVE_SQL`).
 */
const COUNT_ADD_SQL =
  'INSERT INTO delivery_counts (destination_id, day, name, action, status, consent, bucket, n) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ' +
  'ON CONFLICT (destination_id, day, name, action, status, consent, bucket) DO UPDATE SET n = n + excluded.n';
const COUNT_LEAVE_SQL =
  'UPDATE delivery_counts SET n = n - 1 WHERE (destination_id, day, name, action, status, consent, bucket) IN (' +
  `SELECT destination_id, received_at / 86400000, COALESCE(name, ''), COALESCE(action, ''), status, COALESCE(consent, ''), updated_at - updated_at % ${COUNT_BUCKET_MS} ` +
  'FROM delivery_log WHERE event_id = ? AND destination_id = ?)';

/**
 * The decision records of one destination's settled steps: one `delivery_log` row each, and their
 * counts added per group (one statement per group, not per outcome). Shared by every store that keeps
 * decision records in the embedded store (the SQL source, the Redis source).
 */
export function decisionStatements(destinationId: string, steps: readonly SettleStep[], now: number, configVersion?: string): SqlStatement[] {
  const out: SqlStatement[] = [];
  const groups = new Map<string, SqlValue[]>();
  const bucket = now - (now % COUNT_BUCKET_MS);
  for (const step of steps) {
    const { item } = step;
    // Only an item seen before (a retry, a replayed dead letter) can have a decision record already.
    if (item.retrying || item.attempts > 0) out.push({ sql: COUNT_LEAVE_SQL, params: [item.event_id, destinationId] });
    out.push(deliveryLogStatement(destinationId, step, now, configVersion));
    const key: SqlValue[] = [destinationId, Math.floor(item.received_at / 86_400_000), item.name ?? '', item.decision.action, step.status, consentCodes(item.decision) ?? '', bucket, 0];
    const id = key.join('\u0000');
    const group = groups.get(id);
    if (group) group[7] = (group[7] as number) + 1;
    else {
      key[7] = 1;
      groups.set(id, key);
    }
  }
  for (const params of groups.values()) out.push({ sql: COUNT_ADD_SQL, params });
  return out;
}

/** The statements that record outcomes for one destination in the embedded store (see {@link settlementSteps}). */
export function settleStatements(
  destinationId: string,
  settled: readonly { item: DeliveryItem; outcome: ItemOutcome }[],
  opts: { now: number; config: DeliveryConfig; random: () => number; resumeAt?: number; configVersion?: string },
  counts: SettleCounts,
): SqlStatement[] {
  const { now } = opts;
  const out: SqlStatement[] = [];
  const steps = settlementSteps(settled, opts, counts);
  for (const step of steps) {
    const { item } = step;
    if (step.dropRetry) out.push({ sql: DELETE_RETRY, params: [destinationId, item.seq] });
    if (step.dead) out.push({ sql: DEAD_LETTER_SQL, params: [destinationId, item.event_id, JSON.stringify(step.dead.payload ?? null), step.dead.reason, step.dead.attempts, item.received_at, now, item.seq] });
    if (step.retry) out.push({ sql: UPSERT_RETRY, params: [destinationId, item.seq, item.event_id, step.retry.attempts, step.retry.next, now, step.retry.error] });
  }
  for (const s of decisionStatements(destinationId, steps, now, opts.configVersion)) out.push(s);
  return out;
}
