import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tiktok, tiktokConfigSchema, type TikTokConfig } from '../../src/destinations/tiktok.js';
import type { TikTokEvent } from '../../src/destinations/tiktok-map.js';
import type { SendResult } from '../../src/destinations/types.js';
import { describeReason, isKnownReason } from '../../src/reasons/catalog.js';
import { startTikTokFake, type TikTokFake } from '../fakes/tiktok-fake.js';
import { H, fetchProbe, outbox, recordingLogger, sendContext } from './fixtures.js';

const TOKEN = 'tt-very-secret-access-token-5e1f';
const PIXEL = 'C4ABCDEFGH1234567890';
const NOW = Date.now();

let fake: TikTokFake;
let config: TikTokConfig;

beforeEach(async () => {
  fake = await startTikTokFake({ pixelCode: PIXEL, accessToken: TOKEN });
  config = tiktokConfigSchema.parse({ id: 'tiktok', type: 'tiktok', pixel_code: PIXEL, access_token: TOKEN, endpoint: fake.url, timeout_ms: 500 });
});
afterEach(() => fake.close());

function ev(i: number, over: Partial<TikTokEvent> = {}): TikTokEvent {
  return {
    event: 'CompletePayment',
    event_time: Math.floor(NOW / 1000) - 60,
    event_id: `evt-${i}`,
    user: { email: H.em, ip: '203.0.113.7', user_agent: 'Mozilla/5.0' },
    properties: { value: i, currency: 'EUR', contents: [{ content_id: 'SKU_1', price: i, quantity: 1 }], content_type: 'product' },
    page: { url: 'https://shop.example/done' },
    limited_data_use: false,
    ...over,
  };
}

const ok = () => JSON.stringify({ code: 0, message: 'OK', request_id: 'R0', data: {} });
const coded = (code: number, message: string) => JSON.stringify({ code, message, request_id: 'REQ42', data: {} });
const allErrors = (r: SendResult) => [...r.failed.map((f) => f.error), ...r.retry.map((f) => f.error)];

describe('tiktok send', () => {
  it('delivers a batch in one request: Access-Token header, event_source web, the pixel code, the test code', async () => {
    const r = await tiktok.send(outbox([ev(1), ev(2), ev(3)]), { ...config, test_event_code: 'TEST123' }, sendContext(NOW));
    expect(r).toEqual({ delivered: [1, 2, 3], retry: [], failed: [] });
    expect(fake.received).toHaveLength(1);
    const req = fake.received[0]!;
    expect(req.path).toBe('/open_api/v1.3/event/track/');
    expect(req.query).toEqual({});
    expect(req.headers['access-token']).toBe(TOKEN);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.body).toMatchObject({ event_source: 'web', event_source_id: PIXEL, test_event_code: 'TEST123' });
    expect(req.raw).not.toContain(TOKEN);
    expect(fake.accepted().map((e) => e.event_id)).toEqual(['evt-1', 'evt-2', 'evt-3']);
  });

  it('more than 1000 events go in requests of at most 1000, in flight together', async () => {
    const probe = fetchProbe();
    const items = outbox(Array.from({ length: 2203 }, (_, i) => ev(i)));
    const r = await tiktok.send(items, config, { ...sendContext(NOW, undefined, 8), fetch: probe.fetch });
    expect(r.delivered).toHaveLength(2203);
    expect(fake.received.map((q) => q.body?.data?.length).sort()).toEqual([1000, 1000, 203].sort());
    expect(probe.peak).toBe(3);
  });

  it('one invalid event (code 40002 on HTTP 200) is isolated by bisection: the others are delivered', async () => {
    const events = Array.from({ length: 8 }, (_, i) => ev(i + 1));
    events[5] = ev(6, { user: { email: 'person@example.com' } });
    const r = await tiktok.send(outbox(events), config, sendContext(NOW, undefined, 4));
    expect(r.delivered.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(r.failed).toEqual([{ id: 6, error: expect.stringMatching(/^tiktok\.code_40002: data\[0\]\.user\.email: must be hashed with SHA-256 \(request_id=\w+\)$/) }]);
    expect(r.retry).toEqual([]);
    expect(fake.accepted().map((e) => e.event_id).sort()).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-7', 'evt-8']);
    expect(fake.received).toHaveLength(7);
    expect(describeReason(r.failed[0]!.error)).toMatch(/invalid parameter \(code 40002\)/);
  });

  it('the _ttp cookie and the phone hash pass the fake; a ttp that is not a _ttp value is refused (40002)', async () => {
    const r = await tiktok.send(outbox([ev(1, { user: { email: H.em, phone: H.ph, ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' } }), ev(2, { user: { ttp: 'a b' } })]), config, sendContext(NOW));
    expect(r.delivered).toEqual([1]);
    expect(r.failed).toEqual([{ id: 2, error: expect.stringContaining('tiktok.code_40002: data[0].user.ttp') }]);
    expect(fake.accepted()[0]).toMatchObject({ user: { phone: H.ph, ttp: '2F7h37YkS1j57AYSKTI7IHhJPYH' } });
  });

  it('over the request rate TikTok answers 40100: the requests not yet answered are retried, none lost', async () => {
    await fake.close();
    fake = await startTikTokFake({ pixelCode: PIXEL, accessToken: TOKEN, requestsPerSecond: 1 });
    config = { ...config, endpoint: fake.url };
    const r = await tiktok.send(outbox(Array.from({ length: 2500 }, (_, i) => ev(i))), config, sendContext(NOW, undefined, 1));
    expect(r.failed).toEqual([]);
    expect(r.delivered.length + r.retry.length).toBe(2500);
    // One request per second: the second of three runs into the limit (unless a second boundary falls between them).
    expect(r.retry.length).toBeGreaterThanOrEqual(500);
    expect(r.retry.every((x) => x.error.startsWith('tiktok.code_40100'))).toBe(true);
    expect(new Set([...r.delivered, ...r.retry.map((x) => x.id)]).size).toBe(2500);
  });

  it('an event time in milliseconds is refused like TikTok does, and only that event fails', async () => {
    const r = await tiktok.send(outbox([ev(1), ev(2, { event_time: NOW })]), config, sendContext(NOW));
    expect(r.delivered).toEqual([1]);
    expect(r.failed).toEqual([{ id: 2, error: expect.stringContaining('tiktok.code_40002: data[0].event_time') }]);
  });

  it.each([
    [40100, 'Too many requests. Please retry in some time.'],
    [40700, 'Internal service timeout'],
    [50000, 'System error'],
  ])('code %i on HTTP 200 is retried, and nothing further is sent', async (code, message) => {
    fake.failNext({ status: 200, body: coded(code, message) });
    const r = await tiktok.send(outbox([ev(1), ev(2)]), config, sendContext(NOW));
    expect(r.retry).toEqual([
      { id: 1, error: `tiktok.code_${code}: ${message} (request_id=REQ42)` },
      { id: 2, error: `tiktok.code_${code}: ${message} (request_id=REQ42)` },
    ]);
    expect(r.delivered).toEqual([]);
    expect(fake.received).toHaveLength(1);
    expect(isKnownReason(r.retry[0]!.error)).toBe(true);
    expect(describeReason(r.retry[0]!.error)).toMatch(/retried/);
  });

  it('HTTP 429 with Retry-After and HTTP 503 are retried with the hint', async () => {
    fake.failNext({ status: 429, body: 'slow down', retryAfter: '30' });
    const throttled = await tiktok.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(throttled.retry).toEqual([{ id: 1, error: 'tiktok.http_429: slow down', retry_after_ms: 30_000 }]);
    fake.failNext({ status: 503, body: '' });
    const down = await tiktok.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(down.retry).toEqual([{ id: 1, error: 'tiktok.http_503: ' }]);
  });

  it('a wrong token (40105) fails every event for good, and the token never shows in errors or logs', async () => {
    const log = recordingLogger();
    const wrong = { ...config, access_token: 'tt-wrong-token-000' };
    const r = await tiktok.send(outbox([ev(1), ev(2)]), wrong, sendContext(NOW, log));
    expect(r.failed.map((f) => f.id)).toEqual([1, 2]);
    expect(r.failed[0]!.error).toMatch(/^tiktok\.code_40105: Access token is incorrect or has been revoked\./);
    expect(describeReason(r.failed[0]!.error)).toMatch(/check access_token and pixel_code/);
    expect(log.lines.some((l) => l.includes('tiktok send incomplete'))).toBe(true);
    for (const text of [...allErrors(r), ...log.lines]) {
      expect(text).not.toContain('tt-wrong-token-000');
      expect(text).not.toContain(TOKEN);
    }
  });

  it('a pixel the token may not use (40001) fails for good without bisecting', async () => {
    const r = await tiktok.send(outbox([ev(1), ev(2), ev(3)]), { ...config, pixel_code: 'D17TA5JC77UDOT6CA5FG' }, sendContext(NOW));
    expect(r.failed.map((f) => f.id)).toEqual([1, 2, 3]);
    expect(r.failed[0]!.error).toContain('tiktok.code_40001: No permission to operate pixel code');
    expect(fake.received).toHaveLength(1);
  });

  it('a partially accepted request (20001) counts as delivered', async () => {
    fake.failNext({ status: 200, body: coded(20001, 'Partial success') });
    const r = await tiktok.send(outbox([ev(1), ev(2)]), config, sendContext(NOW));
    expect(r).toEqual({ delivered: [1, 2], retry: [], failed: [] });
  });

  it('the token is masked when TikTok echoes it; an unreadable 200 is retried', async () => {
    fake.failNext({ status: 200, body: coded(40002, `bad header Access-Token: ${TOKEN}`) });
    const echoed = await tiktok.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(echoed.failed).toEqual([{ id: 1, error: 'tiktok.code_40002: bad header Access-Token: **** (request_id=REQ42)' }]);
    fake.failNext({ status: 200, body: '<html>gateway</html>' });
    const garbled = await tiktok.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(garbled.retry).toEqual([{ id: 1, error: 'tiktok.unreadable_response: <html>gateway</html>' }]);
  });

  it('timeouts and network errors are retryable', async () => {
    fake.failNext({ status: 200, body: ok(), delayMs: 1500 });
    const slow = await tiktok.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(slow.retry).toEqual([{ id: 1, error: 'tiktok.timeout after 500ms' }]);
    await fake.close();
    const down = await tiktok.send(outbox([ev(1)]), config, sendContext(NOW));
    expect(down.retry[0]!.error).toMatch(/^tiktok\.network error/);
    expect(describeReason(down.retry[0]!.error)).toMatch(/^TikTok could not be reached/);
  });
});
