import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ga4, ga4ConfigSchema, type Ga4Config } from '../../src/destinations/ga4.js';
import type { Ga4Payload } from '../../src/destinations/ga4-map.js';
import type { MapContext, SendResult } from '../../src/destinations/types.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { event, outbox, recordingLogger, sendContext } from './fixtures.js';

const SECRET = 'Sup3r-Secr3t-Value';
const NOW = Date.now();
const full: MapContext = { action: 'send', reasons: [] };

let fake: Ga4Fake;
let config: Ga4Config;

beforeEach(async () => {
  fake = await startGa4Fake({ apiSecret: SECRET });
  config = ga4ConfigSchema.parse({ id: 'ga', type: 'ga4', measurement_id: 'G-TEST123', api_secret: SECRET, endpoint: fake.url, timeout_ms: 500 });
});
afterEach(() => fake.close());

/** Map events through the real map() so send() sees what the pipeline would store. */
function mapped(specs: { client: string; name?: string; n?: number }[]): Ga4Payload[] {
  const out: Ga4Payload[] = [];
  let k = 0;
  for (const s of specs) {
    for (let i = 0; i < (s.n ?? 1); i++) {
      const r = ga4.map(
        event({ event_id: `e${k++}`, name: s.name ?? 'view_item', time: NOW, received_at: NOW, client: { client_id: s.client, session_id: '1', engagement_time_msec: 10 } }),
        config,
        full,
      );
      if ('skip' in r) throw new Error(r.skip);
      out.push(r.payload);
    }
  }
  return out;
}

function errorsOf(r: SendResult): string[] {
  return [...r.failed.map((f) => f.error), ...r.retry.map((f) => f.error)];
}

describe('ga4 send', () => {
  it('groups by client, chunks by 25, and sends payloads the fake finds valid', async () => {
    const items = outbox(mapped([{ client: 'A.1', n: 30 }, { client: 'B.2', n: 2 }]));
    const r = await ga4.send(items, config, sendContext(NOW));
    expect(errorsOf(r)).toEqual([]);
    expect(r.delivered.sort((a, b) => a - b)).toEqual(items.map((i) => i.id));
    expect(r.retry).toEqual([]);
    expect(r.failed).toEqual([]);
    const reqs = fake.collected();
    expect(reqs.map((q) => [q.body?.client_id, q.body?.events?.length])).toEqual([
      ['A.1', 25],
      ['A.1', 5],
      ['B.2', 2],
    ]);
    expect(reqs[0]!.query).toEqual({ measurement_id: 'G-TEST123', api_secret: SECRET });
    expect(fake.problems().flat()).toEqual([]);
  });

  it('429 with Retry-After seconds → every item retried with retry_after_ms; nothing more is sent', async () => {
    fake.failNext({ status: 429, body: 'Too Many Requests', retryAfter: '7' });
    const items = outbox(mapped([{ client: 'A.1' }, { client: 'B.2' }]));
    const r = await ga4.send(items, config, sendContext(NOW));
    expect(r.delivered).toEqual([]);
    expect(r.retry.map((x) => [x.id, x.retry_after_ms])).toEqual([
      [1, 7000],
      [2, 7000],
    ]);
    expect(fake.received).toHaveLength(1);
  });

  it('Retry-After as an HTTP date is honoured relative to now', async () => {
    fake.failNext({ status: 503, retryAfter: new Date(NOW + 120_000).toUTCString() });
    const r = await ga4.send(outbox(mapped([{ client: 'A.1' }])), config, sendContext(NOW));
    expect(r.retry).toHaveLength(1);
    expect(r.retry[0]!.retry_after_ms).toBeGreaterThan(118_000);
    expect(r.retry[0]!.retry_after_ms).toBeLessThanOrEqual(120_000);
  });

  it('500 → retry without a hint; the next send delivers', async () => {
    fake.failNext({ status: 500, body: 'backend error' });
    const items = outbox(mapped([{ client: 'A.1' }]));
    const first = await ga4.send(items, config, sendContext(NOW));
    expect(first.retry).toEqual([{ id: 1, error: 'ga4.http_500: backend error' }]);
    const second = await ga4.send(items, config, sendContext(NOW));
    expect(second.delivered).toEqual([1]);
  });

  it('400 → failed with the (truncated) body; other requests of the batch still go', async () => {
    fake.failNext({ status: 400, body: `{"error":"${'x'.repeat(1000)}"}` });
    const r = await ga4.send(outbox(mapped([{ client: 'A.1' }, { client: 'B.2' }])), config, sendContext(NOW));
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.error.startsWith('ga4.http_400: {"error":"xxx')).toBe(true);
    expect(r.failed[0]!.error.length).toBeLessThan(600);
    expect(r.delivered).toEqual([2]);
  });

  it('a 400 for a request of one client with 5 events: each event is tried alone, so only the bad one fails (issue 13 item 7)', async () => {
    // The first answer refuses the whole request; alone, the third event is refused again, the rest pass.
    fake.failNext({ status: 400, body: '{"error":"bad event"}' }, { status: 204 }, { status: 204 }, { status: 400, body: '{"error":"bad event"}' });
    const items = outbox(mapped([{ client: 'A.1', n: 5 }]));
    const r = await ga4.send(items, config, sendContext(NOW));
    expect(r.failed.map((f) => f.id)).toEqual([3]);
    expect(r.delivered.sort((a, b) => a - b)).toEqual([1, 2, 4, 5]);
    expect(fake.received.map((q) => q.body?.events?.length)).toEqual([5, 1, 1, 1, 1, 1]);
  });

  it('the requests of a batch are in flight together, up to max_in_flight', async () => {
    const items = outbox(mapped([{ client: 'A.1' }, { client: 'B.2' }, { client: 'C.3' }, { client: 'D.4' }, { client: 'E.5' }]));
    const r = await ga4.send(items, config, sendContext(NOW, undefined, 3));
    expect(r.delivered).toHaveLength(5);
    // Each request arrives before the ones in flight are answered (every answer takes 20–50 ms): at most 3 at once.
    const at = fake.received.map((q) => q.at);
    expect(at[2]! - at[0]!).toBeLessThan(20);
    expect(at[3]! - at[0]!).toBeGreaterThanOrEqual(20);
  });

  it('timeouts and network errors are retryable', async () => {
    fake.failNext({ status: 204, delayMs: 1500 });
    const timedOut = await ga4.send(outbox(mapped([{ client: 'A.1' }])), config, sendContext(NOW));
    expect(timedOut.retry).toEqual([{ id: 1, error: 'ga4.timeout after 500ms' }]);
    await fake.close();
    const down = await ga4.send(outbox(mapped([{ client: 'A.1' }])), config, sendContext(NOW));
    expect(down.retry).toHaveLength(1);
    expect(down.retry[0]!.error).toMatch(/^ga4\.network error/);
  });

  it('validate mode fails the events the debug endpoint blames and delivers the rest', async () => {
    const cfg = { ...config, validate: true };
    const good = mapped([{ client: 'A.1', n: 2 }]);
    const bad: Ga4Payload = { ...good[0]!, event: { ...good[0]!.event, name: '_bad_name' } };
    const items = outbox([good[0]!, bad, good[1]!]);
    const r = await ga4.send(items, cfg, sendContext(NOW));
    expect(r.failed).toEqual([{ id: 2, error: expect.stringMatching(/^ga4\.validation:NAME_INVALID events: Event at index: \[1\] has invalid name \[_bad_name\]/) }]);
    expect(r.delivered).toEqual([1, 3]);
    expect(fake.received.map((q) => q.path)).toEqual(['/debug/mp/collect', '/mp/collect']);
    expect(fake.collected()[0]!.body?.events?.map((e) => e.name)).toEqual(['view_item', 'view_item']);
  });

  it('fails events that aged past 72 h in the outbox without sending them', async () => {
    const items = outbox(mapped([{ client: 'A.1' }]));
    const r = await ga4.send(items, config, sendContext(NOW + 73 * 3_600_000));
    expect(r.failed).toEqual([{ id: 1, error: 'ga4.event_too_old' }]);
    expect(fake.received).toHaveLength(0);
  });

  it('never puts the api_secret in an error string or a log line', async () => {
    const log = recordingLogger();
    fake.failNext(
      { status: 403, body: `forbidden for api_secret=${SECRET}` },
      { status: 500, body: `oops ${encodeURIComponent(SECRET)}` },
    );
    const first = await ga4.send(outbox(mapped([{ client: 'A.1' }])), config, sendContext(NOW, log));
    const second = await ga4.send(outbox(mapped([{ client: 'A.1' }])), config, sendContext(NOW, log));
    const errors = [...errorsOf(first), ...errorsOf(second)];
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain('api_secret=****');
    for (const text of [...errors, ...log.lines]) expect(text).not.toContain(SECRET);
    expect(log.lines.length).toBeGreaterThan(0);
  });
});
