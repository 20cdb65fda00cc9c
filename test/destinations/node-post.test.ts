/**
 * The Node runtime's `post` (undici `request` on keep-alive pools) behind the destinations: the same
 * outcomes as the fetch path — delivered, per-event 400 isolation, Retry-After, timeout, network error.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ga4, ga4ConfigSchema, type Ga4Config } from '../../src/destinations/ga4.js';
import type { Ga4Payload } from '../../src/destinations/ga4-map.js';
import type { MapContext, SendContext } from '../../src/destinations/types.js';
import { postJson } from '../../src/destinations/http.js';
import { pooledFetch } from '../../src/runtime/node/runtime.js';
import { createLimiter } from '../../src/delivery/limiter.js';
import { silentLogger, type SqlDb } from '../../src/ports.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { event, outbox } from './fixtures.js';

const SECRET = 'Sup3r-Secr3t-Value';
const NOW = Date.now();
const full: MapContext = { action: 'send', reasons: [] };
const fetch = pooledFetch();

let fake: Ga4Fake;
let config: Ga4Config;

beforeEach(async () => {
  fake = await startGa4Fake({ apiSecret: SECRET });
  config = ga4ConfigSchema.parse({ id: 'ga', type: 'ga4', measurement_id: 'G-TEST123', api_secret: SECRET, endpoint: fake.url, timeout_ms: 500 });
});
afterEach(() => fake.close());

const ctx = (maxInFlight = 8): SendContext => ({ fetch, now: () => NOW, log: silentLogger, db: undefined as unknown as SqlDb, limit: createLimiter(maxInFlight).run });

function mapped(clients: string[]): Ga4Payload[] {
  return clients.map((client, k) => {
    const r = ga4.map(event({ event_id: `e${k}`, name: 'view_item', time: NOW, received_at: NOW, client: { client_id: client, session_id: '1', engagement_time_msec: 10 } }), config, full);
    if ('skip' in r) throw new Error(r.skip);
    return r.payload;
  });
}

describe('node post (undici request)', () => {
  it('the runtime attaches post to its fetch, and postJson takes it', () => {
    expect(typeof fetch.post).toBe('function');
  });

  it('delivers concurrent requests the GA4 fake finds valid', async () => {
    const items = outbox(mapped(['A.1', 'B.2', 'C.3', 'D.4']));
    const r = await ga4.send(items, config, ctx());
    expect(r.delivered.sort()).toEqual([1, 2, 3, 4]);
    expect(fake.collected().map((q) => q.body?.client_id).sort()).toEqual(['A.1', 'B.2', 'C.3', 'D.4']);
    expect(fake.problems().flat()).toEqual([]);
  });

  it('a 400 for one request fails that event only; its body is read', async () => {
    fake.failNext({ status: 400, body: '{"error":"bad event"}' });
    const r = await ga4.send(outbox(mapped(['A.1'])), config, ctx());
    expect(r.failed).toEqual([{ id: 1, error: expect.stringContaining('bad event') }]);
  });

  it('429 with Retry-After is retried with the hint', async () => {
    fake.failNext({ status: 429, body: 'Too Many Requests', retryAfter: '7' });
    const r = await ga4.send(outbox(mapped(['A.1'])), config, ctx());
    expect(r.retry.map((x) => x.retry_after_ms)).toEqual([7000]);
  });

  it('a vendor slower than timeout_ms is a retryable timeout; a closed port a network error', async () => {
    fake.failNext({ status: 204, delayMs: 1500 });
    const slow = await ga4.send(outbox(mapped(['A.1'])), config, ctx());
    expect(slow.retry).toEqual([{ id: 1, error: 'ga4.timeout after 500ms' }]);
    await fake.close();
    const down = await postJson(fetch, `${fake.url}/mp/collect`, '{}', 500);
    expect(down).toEqual({ ok: false, error: expect.stringMatching(/^network error: .*ECONNREFUSED/) });
  });
});
