/**
 * @module The queue outbox's contract without workerd: what goes to D1, what goes to the queue, and the fallback.
 */
import { describe, expect, it } from 'vitest';
import { queueChunks, queueOutbox, type QueueProducer } from '../../src/runtime/worker/queue-outbox.js';
import type { DecisionRow, Outbox, OutboxRow } from '../../src/delivery/outbox.js';
import type { SqlStatement } from '../../src/ports.js';

const row = (i: number, payloadBytes = 10): OutboxRow => ({ destination_id: 'ga4', event_id: `e${i}`, payload: { p: 'x'.repeat(payloadBytes) }, created_at: 1 });
const decision: DecisionRow = { destination_id: 'ga4', event_id: 'e0', status: 'queued', reasons: [], at: 1 };
const silent = { debug() {}, info() {}, warn() {}, error() {} };

function recordingOutbox(): Outbox & { calls: { rows: OutboxRow[]; decisions: DecisionRow[]; extra: SqlStatement[] }[] } {
  const calls: { rows: OutboxRow[]; decisions: DecisionRow[]; extra: SqlStatement[] }[] = [];
  return { calls, enqueue: async (rows, decisions, extra = []) => void calls.push({ rows, decisions, extra }), flush: async () => undefined };
}

function recordingQueue(failOnCall?: number): QueueProducer & { sent: unknown[][] } {
  const sent: unknown[][] = [];
  return {
    sent,
    async sendBatch(messages) {
      if (sent.length === failOnCall) throw new Error('queue unavailable');
      sent.push(messages.map((m) => m.body));
    },
  };
}

describe('queueChunks', () => {
  it('splits at 100 messages per sendBatch', () => {
    const { chunks, tooLarge } = queueChunks(Array.from({ length: 250 }, (_, i) => row(i)));
    expect(chunks.map((c) => c.length)).toEqual([100, 100, 50]);
    expect(tooLarge).toEqual([]);
  });
  it('splits by bytes and sets aside rows too large for one message', () => {
    const { chunks, tooLarge } = queueChunks([row(1, 100_000), row(2, 100_000), row(3, 100_000), row(4, 130_000)]);
    expect(chunks.map((c) => c.map((r) => r.event_id))).toEqual([['e1', 'e2'], ['e3']]);
    expect(tooLarge.map((r) => r.event_id)).toEqual(['e4']);
  });
});

describe('queueOutbox', () => {
  it('commits decisions and extra statements to D1 and sends the rows to the queue', async () => {
    const d1 = recordingOutbox();
    const queue = recordingQueue();
    const extra = [{ sql: 'INSERT INTO events VALUES (?)', params: ['x'] }];
    await queueOutbox({ queue, d1, log: silent }).enqueue([row(1), row(2)], [decision], extra);
    expect(d1.calls).toEqual([{ rows: [], decisions: [decision], extra }]);
    expect(queue.sent).toEqual([[row(1), row(2)]]);
  });
  it('writes the rows the queue refused to the D1 outbox, so an acknowledged event is not lost', async () => {
    const d1 = recordingOutbox();
    const queue = recordingQueue(1);
    const rows = Array.from({ length: 150 }, (_, i) => row(i));
    await queueOutbox({ queue, d1, log: silent }).enqueue(rows, [decision]);
    expect(queue.sent.map((b) => b.length)).toEqual([100]);
    expect(d1.calls[1]!.rows.map((r) => r.event_id)).toEqual(rows.slice(100).map((r) => r.event_id));
  });
  it('rejects when D1 cannot take the decisions, before anything is sent', async () => {
    const queue = recordingQueue();
    const d1: Outbox = { enqueue: () => Promise.reject(new Error('d1 down')), flush: async () => undefined };
    await expect(queueOutbox({ queue, d1, log: silent }).enqueue([row(1)], [decision])).rejects.toThrow('d1 down');
    expect(queue.sent).toEqual([]);
  });
});
