/**
 * @module A bench-only destination kind: POSTs batches of mapped events as JSON to the local sink.
 *
 * It stands in for an HTTP vendor (batching, the runtime's pooled fetch, 2xx → delivered) so the
 * delivery benchmark measures the outbox → HTTP path before GA4 / Meta are merged.
 */
import { z } from 'zod';
import { baseDestinationSchema, defineDestination } from '../../src/destinations/types.js';
import type { ActiveDestination } from '../../src/delivery/worker.js';
import type { DestinationConfig } from '../../src/destinations/index.js';
import { GOOGLE_HASHING } from '../../src/privacy/hashing.js';

const httpSinkConfigSchema = baseDestinationSchema.extend({ type: z.literal('http_sink') });

/** What the bench destination sends per event: a GA4-like event with its ids. */
interface SinkEvent {
  name: string;
  client_id?: string;
  params: Record<string, unknown>;
  time: number;
}

const httpSink = defineDestination({
  type: 'http_sink',
  configSchema: httpSinkConfigSchema,
  requires: ['analytics_storage'],
  whenDenied: 'drop',
  privacy: { hashing: GOOGLE_HASHING, ip: 'truncate' },
  batch: { maxEvents: 100, maxWaitMs: 0 },
  maxInFlight: 4,
  map(event): { payload: SinkEvent } {
    return { payload: { name: event.name, client_id: event.client.client_id, params: { ...event.params, items: event.items }, time: event.time } };
  },
  async send(batch, config, ctx) {
    const res = await ctx.fetch(`${config.endpoint}/collect`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ events: batch.map((i) => i.payload) }),
    });
    await res.arrayBuffer();
    if (res.ok) return { delivered: batch.map((i) => i.id), retry: [], failed: [] };
    return { delivered: [], retry: batch.map((i) => ({ id: i.id, error: `http_${res.status}` })), failed: [] };
  },
  reasons: { area: 'http_sink', vendor: 'The bench sink', codes: {} },
  identityKeys: ['client_id'],
  docs: { vendor: 'https://www.rfc-editor.org/rfc/rfc9110', page: 'bench/README.md' },
  example: { id: 'sink', type: 'http_sink' },
});

/** An active bench HTTP destination pointed at `sinkUrl`, batching `batchSize` events per request. */
export function httpSinkDestination(id: string, sinkUrl: string, batchSize = 100): ActiveDestination {
  const config = httpSinkConfigSchema.parse({ id, type: 'http_sink', endpoint: sinkUrl, batch: { max_events: batchSize } });
  return { config: config as unknown as DestinationConfig, kind: httpSink };
}
