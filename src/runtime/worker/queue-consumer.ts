/**
 * @module The Queue consumer: delivers outbox messages through each destination's `send`, grouped per destination;
 * acks what is delivered or dead-lettered, retries the rest with backoff via `msg.retry({ delaySeconds })`.
 */
import type { FetchLike, Logger, SqlDb, SqlStatement } from '../../ports.js';
import type { OutboxItem, SendResult } from '../../destinations/types.js';
import type { OutboxRow } from '../../delivery/outbox.js';
import type { ActiveDestination } from '../../delivery/worker.js';
import type { DeliveryConfig } from '../../delivery/config.js';
import { backoffDelay } from '../../delivery/backoff.js';
import { DEAD_LETTER_SQL, DELIVERY_LOG_SQL } from '../../delivery/worker.js';

/** The slice of a Queues message tagrelay uses. */
export interface QueueMessage {
  readonly body: unknown;
  /** 1 on the first delivery. */
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** The slice of a Queues MessageBatch tagrelay uses. */
export interface QueueBatch {
  readonly messages: readonly QueueMessage[];
}

/** What one consumer invocation did. */
export interface QueueOutcome {
  delivered: number;
  retried: number;
  dead: number;
  /** Messages that are not outbox rows (wake-up calls); left for the caller to ack. */
  other: QueueMessage[];
}

/** Queues' longest retry delay (12 hours). */
const MAX_DELAY_SECONDS = 43_200;

// The same statements the delivery worker writes, so the admin API sees one store.
const LOG_SQL = DELIVERY_LOG_SQL;
const DEAD_SQL = DEAD_LETTER_SQL;

function isRow(body: unknown): body is OutboxRow {
  const b = body as Partial<OutboxRow> | null;
  return typeof b === 'object' && b !== null && typeof b.destination_id === 'string' && typeof b.event_id === 'string' && typeof b.created_at === 'number' && 'payload' in b;
}

/**
 * @example
 * const outcome = await consumeOutbox(batch, { db, destinations, config: config.delivery, fetch, now, log, random: Math.random })
 */
export async function consumeOutbox(
  batch: QueueBatch,
  deps: { db: SqlDb; destinations: ActiveDestination[]; config: DeliveryConfig; fetch: FetchLike; now: () => number; log: Logger; random: () => number },
): Promise<QueueOutcome> {
  const outcome: QueueOutcome = { delivered: 0, retried: 0, dead: 0, other: [] };
  const groups = new Map<string, QueueMessage[]>();
  for (const m of batch.messages) {
    if (!isRow(m.body)) outcome.other.push(m);
    else groups.set(m.body.destination_id, [...(groups.get(m.body.destination_id) ?? []), m]);
  }
  const byId = new Map(deps.destinations.map((d) => [d.config.id, d]));
  for (const [destinationId, messages] of groups) {
    const dest = byId.get(destinationId);
    const statements: SqlStatement[] = [];
    const acks: QueueMessage[] = [];
    const deadLetters = new Set<QueueMessage>();
    const retries: { m: QueueMessage; delaySeconds: number }[] = [];
    const now = deps.now();
    const log = (row: OutboxRow, status: string, attempts: number, error: string | null) =>
      statements.push({ sql: LOG_SQL, params: [row.event_id, destinationId, status, attempts, error === null ? null : error.slice(0, 2000), now] });
    const dead = (m: QueueMessage, reason: string) => {
      const row = m.body as OutboxRow;
      statements.push({ sql: DEAD_SQL, params: [destinationId, row.event_id, JSON.stringify(row.payload), reason, m.attempts, row.created_at, now] });
      log(row, 'dead', m.attempts, reason);
      acks.push(m);
      deadLetters.add(m);
      outcome.dead++;
    };
    if (!dest || dest.kind.local) {
      // The config no longer has this destination: keep the payload where an operator can replay it.
      for (const m of messages) dead(m, 'destination.unknown');
    } else {
      const size = dest.config.batch.max_events ?? dest.kind.batch.maxEvents;
      for (let start = 0; start < messages.length; start += size) {
        const chunk = messages.slice(start, start + size);
        const items: OutboxItem<unknown>[] = chunk.map((m, id) => {
          const row = m.body as OutboxRow;
          return { id, event_id: row.event_id, payload: row.payload, attempts: m.attempts - 1, created_at: row.created_at };
        });
        let result: SendResult;
        try {
          result = await dest.kind.send(items, dest.config, { fetch: deps.fetch, now: deps.now, log: deps.log, db: deps.db });
        } catch (err) {
          const message = err instanceof Error ? err.message : String(err);
          result = { delivered: [], failed: [], retry: items.map((i) => ({ id: i.id, error: `send threw: ${message}` })) };
        }
        const seen = new Set<number>();
        for (const id of result.delivered) {
          if (seen.has(id) || !chunk[id]) continue;
          seen.add(id);
          log(chunk[id].body as OutboxRow, 'delivered', chunk[id].attempts, null);
          acks.push(chunk[id]);
          outcome.delivered++;
        }
        for (const f of result.failed) {
          if (seen.has(f.id) || !chunk[f.id]) continue;
          seen.add(f.id);
          dead(chunk[f.id]!, f.error);
        }
        const retry = [...result.retry, ...items.filter((i) => !seen.has(i.id)).map((i) => ({ id: i.id, error: 'no result from send', retry_after_ms: undefined }))];
        for (const r of retry) {
          const m = chunk[r.id];
          if (seen.has(r.id) || !m) continue;
          seen.add(r.id);
          if (m.attempts >= deps.config.max_attempts || now - (m.body as OutboxRow).created_at >= deps.config.max_age) {
            dead(m, `${r.error} (gave up after ${m.attempts} attempts)`);
            continue;
          }
          const delay = backoffDelay(m.attempts, { base: deps.config.backoff_base, max: deps.config.backoff_max, random: deps.random, retryAfterMs: r.retry_after_ms });
          retries.push({ m, delaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(delay / 1000)) });
          outcome.retried++;
        }
      }
    }
    // Ack only once the dead letters and the log are durable; if D1 fails, the queue redelivers them.
    try {
      if (statements.length > 0) await deps.db.batch(statements);
      for (const m of acks) m.ack();
    } catch (err) {
      deps.log.error('queue settle failed; messages will be redelivered', { destination: destinationId, error: String(err).slice(0, 200) });
      // Delivered is delivered (only its log line is lost); a dead letter must not vanish.
      for (const m of acks) {
        if (deadLetters.has(m)) m.retry();
        else m.ack();
      }
    }
    for (const { m, delaySeconds } of retries) m.retry({ delaySeconds });
  }
  return outcome;
}
