/**
 * @module The outbox on a Cloudflare Queue: decisions and warehouse writes go to D1, vendor payloads to the queue.
 * https://developers.cloudflare.com/queues/configuration/javascript-apis/
 */
import type { Logger } from '../../ports.js';
import type { Outbox, OutboxRow } from '../../delivery/outbox.js';

/** The slice of a Queue producer binding tagrelay uses (@cloudflare/workers-types is not installed). */
export interface QueueProducer {
  sendBatch(messages: { body: unknown; contentType?: 'json' }[]): Promise<unknown>;
}

// Queues' limits: 100 messages and 256 KB per sendBatch, 128 KB per message. Stay under with some room.
const MAX_BATCH_MESSAGES = 100;
const MAX_BATCH_BYTES = 240_000;
const MAX_MESSAGE_BYTES = 120_000;

/** Split rows into sendBatch-sized groups; rows too large for one message come back in `tooLarge`. */
export function queueChunks(rows: OutboxRow[]): { chunks: OutboxRow[][]; tooLarge: OutboxRow[] } {
  const chunks: OutboxRow[][] = [];
  const tooLarge: OutboxRow[] = [];
  let current: OutboxRow[] = [];
  let bytes = 0;
  for (const row of rows) {
    const size = JSON.stringify(row).length;
    if (size > MAX_MESSAGE_BYTES) {
      tooLarge.push(row);
      continue;
    }
    if (current.length === MAX_BATCH_MESSAGES || bytes + size > MAX_BATCH_BYTES) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return { chunks, tooLarge };
}

/**
 * An outbox whose vendor rows travel on the queue. `enqueue` resolves (and the 202 goes out) only after
 * D1 committed the decisions and `sendBatch` resolved; rows the queue refused (or too large for a message)
 * are written to the D1 outbox instead, where the cron's drain delivers them: nothing acknowledged is lost.
 *
 * @example
 * app.services.outbox = queueOutbox({ queue: env.OUTBOX, d1: app.services.outbox, log })
 */
export function queueOutbox(deps: { queue: QueueProducer; d1: Outbox; log: Logger }): Outbox {
  return {
    async enqueue(rows, decisions, extra = []) {
      // Decisions ('queued') and local warehouse writes first, in the D1 outbox's grouped commit.
      await deps.d1.enqueue([], decisions, extra);
      if (rows.length === 0) return;
      const { chunks, tooLarge } = queueChunks(rows);
      const fallback = [...tooLarge];
      for (let i = 0; i < chunks.length; i++) {
        try {
          await deps.queue.sendBatch(chunks[i]!.map((body) => ({ body, contentType: 'json' as const })));
        } catch (err) {
          deps.log.warn('queue send failed; keeping the rows in the D1 outbox', { rows: rows.length, error: String(err).slice(0, 200) });
          fallback.push(...chunks.slice(i).flat());
          break;
        }
      }
      if (fallback.length > 0) await deps.d1.enqueue(fallback, []);
    },
    flush: () => deps.d1.flush(),
  };
}
