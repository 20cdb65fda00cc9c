/**
 * @module The Queue consumer: every message is a wake-up call; delivery runs the shared worker over the
 * D1 record log (the same claim, `decide()` and settlement as every runtime). Messages are acked once
 * the drain finished with its outcomes recorded; a drain that throws, or that ends with delivery paused
 * because D1 refused the outcomes (`worker.fault`), retries them so the queue wakes the consumer again.
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

/** Seconds before the queue redelivers a wake-up whose drain failed. */
export const WAKE_RETRY_DELAY_S = 5;

/**
 * One drain per batch, however many wake-ups it holds (they all mean "records are waiting").
 *
 * @example
 * await consumeWakeups(batch, app.services.worker)
 */
export async function consumeWakeups(batch: QueueBatch, worker: Pick<Worker, 'drain' | 'fault'>): Promise<{ acked: number; retried: number }> {
  let failed: boolean;
  try {
    await worker.drain();
    failed = worker.fault !== undefined;
  } catch {
    failed = true;
  }
  if (failed) {
    for (const m of batch.messages) m.retry({ delaySeconds: WAKE_RETRY_DELAY_S });
    return { acked: 0, retried: batch.messages.length };
  }
  for (const m of batch.messages) m.ack();
  return { acked: batch.messages.length, retried: 0 };
}
