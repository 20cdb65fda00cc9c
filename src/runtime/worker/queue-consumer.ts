/**
 * @module The Queue consumer: every message is a wake-up call; delivery runs the shared worker over the
 * D1 record log (the same claim, `decide()` and settlement as every runtime). Messages are acked once
 * the drain finished; a drain that throws leaves them to the queue's redelivery.
 */
import type { Worker } from '../../delivery/worker.js';

/** The slice of a Queues message tagrelay uses. */
export interface QueueMessage {
  readonly body: unknown;
  readonly attempts: number;
  ack(): void;
  retry(options?: { delaySeconds?: number }): void;
}

/** The slice of a Queues MessageBatch tagrelay uses. */
export interface QueueBatch {
  readonly messages: readonly QueueMessage[];
}

/**
 * @example
 * await consumeWakeups(batch, app.services.worker)
 */
export async function consumeWakeups(batch: QueueBatch, worker: Pick<Worker, 'drain'>): Promise<{ acked: number }> {
  try {
    await worker.drain();
  } catch {
    for (const m of batch.messages) m.retry({ delaySeconds: 5 });
    return { acked: 0 };
  }
  for (const m of batch.messages) m.ack();
  return { acked: batch.messages.length };
}
