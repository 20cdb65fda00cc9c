import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { metaCapi, metaCapiConfigSchema, type MetaCapiConfig } from '../../src/destinations/meta-capi.js';
import type { MetaEvent } from '../../src/destinations/meta-capi-map.js';
import type { SendResult } from '../../src/destinations/types.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import { H, outbox, recordingLogger, sendContext } from './fixtures.js';

const TOKEN = 'EAAB-very-secret-token-123';
const PIXEL = '123456789012345';
const NOW = Date.now();

let fake: MetaFake;
let config: MetaCapiConfig;

beforeEach(async () => {
  fake = await startMetaFake({ pixelId: PIXEL, accessToken: TOKEN });
  config = metaCapiConfigSchema.parse({ id: 'meta', type: 'meta_capi', pixel_id: PIXEL, access_token: TOKEN, endpoint: fake.url, timeout_ms: 500 });
});
afterEach(() => fake.close());

function ev(i: number, over: Partial<MetaEvent> = {}): MetaEvent {
  return {
    event_name: 'Purchase',
    event_time: Math.floor(NOW / 1000) - 60,
    event_id: `evt-${i}`,
    action_source: 'website',
    event_source_url: 'https://shop.example/checkout',
    user_data: { em: [H.em], client_user_agent: 'Mozilla/5.0' },
    custom_data: { value: i, currency: 'EUR' },
    ...over,
  };
}

function allErrors(r: SendResult): string[] {
  return [...r.failed.map((f) => f.error), ...r.retry.map((f) => f.error)];
}

describe('meta send', () => {
  it('delivers a batch in one request with the token in the body and the test code', async () => {
    const items = outbox([ev(1), ev(2), ev(3)]);
    const r = await metaCapi.send(items, { ...config, test_event_code: 'TEST123' }, sendContext(NOW));
    expect(r).toEqual({ delivered: [1, 2, 3], retry: [], failed: [] });
    expect(fake.received).toHaveLength(1);
    expect(fake.received[0]!.path).toBe(`/v21.0/${PIXEL}/events`);
    expect(fake.received[0]!.query).toEqual({});
    expect(fake.received[0]!.body?.test_event_code).toBe('TEST123');
    expect(fake.accepted().map((e) => e.event_id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
  });

  it('splits more than 1000 events into requests of at most 1000', async () => {
    const items = outbox(Array.from({ length: 1203 }, (_, i) => ev(i)));
    const r = await metaCapi.send(items, config, sendContext(NOW));
    expect(r.delivered).toHaveLength(1203);
    expect(fake.received.map((q) => q.body?.data?.length)).toEqual([1000, 203]);
  });

  it('isolates one bad event by bisection: the others are delivered, it fails with Meta’s message', async () => {
    const events = Array.from({ length: 8 }, (_, i) => ev(i + 1));
    events[5] = ev(6, { user_data: { em: ['person@example.com'] } });
    const r = await metaCapi.send(outbox(events), config, sendContext(NOW));
    expect(r.delivered.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(r.failed).toEqual([{ id: 6, error: expect.stringContaining('subcode=2804016') }]);
    expect(r.failed[0]!.error).toContain('User Parameter Not Hashed');
    expect(r.failed[0]!.error).toMatch(/fbtrace_id=/);
    expect(r.retry).toEqual([]);
    expect(fake.accepted().map((e) => e.event_id).sort()).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-7', 'evt-8']);
    // 1 + 2 + 2 + 2 requests for a depth-3 bisection of 8 events
    expect(fake.received.length).toBeLessThanOrEqual(7);
  });

  it('429 with Retry-After → every item retried with the hint, nothing further sent', async () => {
    fake.failNext({ status: 429, body: JSON.stringify({ error: { message: 'Too many calls', type: 'OAuthException', code: 17, fbtrace_id: 'T' } }), retryAfter: '30' });
    const r = await metaCapi.send(outbox([ev(1), ev(2)]), config, sendContext(NOW));
    expect(r.retry.map((x) => [x.id, x.retry_after_ms])).toEqual([
      [1, 30_000],
      [2, 30_000],
    ]);
    expect(fake.received).toHaveLength(1);
  });

  it.each([
    [500, { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', code: 2, is_transient: true }],
    [400, { message: 'Application request limit reached', type: 'OAuthException', code: 4 }],
    [400, { message: 'User request limit reached', type: 'OAuthException', code: 17 }],
    [400, { message: 'Application limit reached', type: 'OAuthException', code: 341 }],
    [400, { message: 'An unknown error occurred', type: 'OAuthException', code: 1 }],
  ])('%i with code %o is retryable', async (status, error) => {
    fake.failNext({ status, body: JSON.stringify({ error: { ...error, fbtrace_id: 'Axyz' } }) });
    const r = await metaCapi.send(outbox([ev(1), ev(2)]), config, sendContext(NOW));
    expect(r.retry.map((x) => x.id)).toEqual([1, 2]);
    expect(r.retry[0]!.error).toContain(`code=${error.code}`);
    expect(r.failed).toEqual([]);
  });

  it('a wrong token (190) fails every item and the token never shows in errors or logs', async () => {
    const log = recordingLogger();
    const wrong = { ...config, access_token: 'EAAB-wrong-token-999' };
    const r = await metaCapi.send(outbox([ev(1), ev(2)]), wrong, sendContext(NOW, log));
    expect(r.failed.map((f) => f.id)).toEqual([1, 2]);
    expect(r.failed[0]!.error).toContain('code=190');
    expect(r.failed[0]!.error).toContain('Invalid OAuth access token');
    for (const text of [...allErrors(r), ...log.lines]) {
      expect(text).not.toContain('EAAB-wrong-token-999');
      expect(text).not.toContain(TOKEN);
    }
  });

  it('redacts the token even when a vendor body echoes it', async () => {
    fake.failNext({ status: 400, body: JSON.stringify({ error: { message: `Bad token ${TOKEN}`, type: 'OAuthException', code: 100, fbtrace_id: 'A' } }) });
    const r = await metaCapi.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(r.failed).toHaveLength(1);
    expect(r.failed[0]!.error).toContain('Bad token ****');
    expect(r.failed[0]!.error).not.toContain(TOKEN);
  });

  it('fails events that aged past 7 days in the outbox before sending, delivering the rest', async () => {
    const stale = ev(1, { event_time: Math.floor(NOW / 1000) - 7 * 86_400 - 10 });
    const r = await metaCapi.send(outbox([stale, ev(2)]), config, sendContext(NOW));
    expect(r.failed).toEqual([{ id: 1, error: 'meta.event_too_old' }]);
    expect(r.delivered).toEqual([2]);
    expect(fake.received).toHaveLength(1);
  });

  it('timeouts are retryable', async () => {
    fake.failNext({ status: 200, delayMs: 1500 });
    const r = await metaCapi.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(r.retry).toEqual([{ id: 1, error: 'meta.timeout after 500ms' }]);
  });

  it('a batch-wide rejection stops bisecting once the split budget is spent and retries the rest', async () => {
    const bad = (i: number): MetaEvent => ev(i, { user_data: { em: ['not-hashed'] } });
    const r = await metaCapi.send(outbox(Array.from({ length: 200 }, (_, i) => bad(i + 1))), config, sendContext(NOW));
    expect(r.delivered).toEqual([]);
    expect(r.failed.length + r.retry.length).toBe(200);
    expect(r.retry.every((x) => x.error.startsWith('meta.split_budget_exhausted'))).toBe(true);
    expect(r.retry.length).toBeGreaterThan(0);
    expect(fake.received.length).toBeLessThanOrEqual(65);
  });
});
