/**
 * @module The Cloudflare Queue as the delivery trigger: records are committed to D1 (durable before the
 * 202), then one small message tells the queue consumer to deliver. The consumer runs the same
 * delivery worker as every runtime (cursor over the record log, `decide()`, one settlement module), so
 * the queue carries no payload and no personal data, and a lost message only delays delivery until
 * the next message or the cron.
 * https://developers.cloudflare.com/queues/configuration/javascript-apis/
 */
import type { Logger } from '../../ports.js';
import type { Outbox } from '../../delivery/outbox.js';

/** The slice of a Queue producer binding tagrelay uses (@cloudflare/workers-types is not installed). */
export interface QueueProducer {
  send(body: unknown, options?: { contentType?: 'json' }): Promise<unknown>;
}

/** The body of a wake-up message: how many records the commit added (for logs), never their content. */
export interface WakeMessage {
  wake: 'records';
  count: number;
}

/**
 * An outbox that commits to D1 and then wakes the queue consumer: one message per append, sent only
 * once the records are durable, and none when every record was a duplicate. A refused `send` never
 * fails the answer (the records are already in D1): it is logged and the cron delivers them.
 *
 * @example
 * app.services.outbox = queueOutbox({ queue: env.OUTBOX, d1: app.services.outbox, log })
 */
export function queueOutbox(deps: { queue: QueueProducer; d1: Outbox; log: Logger }): Outbox {
  return {
    async append(records, extra = []) {
      const inserted = await deps.d1.append(records, extra);
      const count = inserted.filter(Boolean).length;
      if (count > 0) {
        const body: WakeMessage = { wake: 'records', count };
        await deps.queue.send(body, { contentType: 'json' }).catch((err: unknown) => {
          deps.log.warn('queue wake-up failed; the cron delivers these records', { records: count, error: String(err).slice(0, 200) });
        });
      }
      return inserted;
    },
    flush: () => deps.d1.flush(),
  };
}
