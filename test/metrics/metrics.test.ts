/**
 * GET /metrics over a real socket: exact counts after known traffic — requests by route and status,
 * events by outcome and reason, consent decisions, deliveries, retries, dead letters, outbox depth and
 * age (read from the store), latency histograms, the User-Agent cache, event-loop delay and memory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFake, type VendorFake } from '../fakes/fake-server.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { clock } from '../helpers/runtime.js';
import { parseExposition, startProxy, valueOf, type Sample } from './helpers.js';

const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };
const DENIED = { analytics_storage: 'denied', ad_storage: 'denied', ad_user_data: 'denied', ad_personalization: 'denied' };
const UA = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const BOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';

describe('GET /metrics after known traffic', () => {
  const now = clock(Date.now());
  let ga4: Ga4Fake;
  let meta: MetaFake;
  let down: VendorFake;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let samples: Sample[];
  let types: Map<string, string>;

  const scrape = async (scope = 'metrics:read') => {
    const res = await fetch(`${proxy.base}/metrics`, { headers: { authorization: `Bearer ${await hsToken({ scope })}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    return parseExposition(await res.text());
  };

  beforeAll(async () => {
    ga4 = await startGa4Fake({ apiSecret: 'ga4-secret' });
    meta = await startMetaFake({ pixelId: '123456789012345' });
    // A vendor that keeps answering 503 with Retry-After: 1h — its items wait in delivery_retry.
    down = await startFake(() => ({ status: 503, headers: { 'retry-after': '3600' }, body: '{}' }));
    proxy = await startProxy(
      {
        dev_mode: false,
        admin: { jwt: { secret: ADMIN_SECRET } },
        delivery: { breaker: { failures: 1000 } },
        destinations: [
          { id: 'lake', type: 'sqlite' },
          { id: 'ga4', type: 'ga4', measurement_id: 'G-TEST1234', api_secret: 'ga4-secret', endpoint: ga4.url },
          { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'test-access-token', endpoint: meta.url },
          // Another pixel: Meta refuses it for good (400) and the items are dead-lettered.
          { id: 'meta_bad', type: 'meta_capi', pixel_id: '999999999999', access_token: 'test-access-token', endpoint: meta.url },
          { id: 'ga4_down', type: 'ga4', measurement_id: 'G-DOWN1234', api_secret: 'down-secret', endpoint: down.url },
        ],
      },
      { now },
    );
    const received = now.now;
    const user = { email: 'someone@example.org' };
    // Meta takes a website event only with its page URL and User-Agent.
    const page = { url: 'https://shop.example/checkout' };
    const headers = { 'user-agent': UA };
    // GA4 answers the first request 503: the three granted events (one visitor: one request) are retried, then delivered.
    ga4.failNext({ status: 503, body: '{}', retryAfter: '1' });
    // 1. three granted events and one with a bad name (rejected)
    const first = await proxy.post(
      '/v1/events',
      {
        events: [
          { name: 'page_view', event_id: 'e-1', client: { client_id: '111.222' }, user, page, consent: GRANTED },
          { name: 'purchase', event_id: 'e-2', client: { client_id: '111.222' }, user, page, consent: GRANTED, params: { value: 10, currency: 'EUR' } },
          { name: 'sign_up', event_id: 'e-3', client: { client_id: '111.222' }, user, page, consent: GRANTED },
          { name: 'bad name', event_id: 'e-x' },
        ],
      },
      headers,
    );
    expect(first.status).toBe(202);
    // 2. a repeat (duplicate), a bot, one with every purpose denied
    expect((await proxy.post('/v1/events', { name: 'page_view', event_id: 'e-1', consent: GRANTED }, headers)).status).toBe(202);
    expect((await proxy.post('/v1/events', { name: 'page_view', event_id: 'e-bot', consent: GRANTED }, { 'user-agent': BOT_UA })).status).toBe(202);
    expect((await proxy.post('/v1/events', { name: 'page_view', event_id: 'e-4', client: { client_id: '333.444' }, consent: DENIED }, headers)).status).toBe(202);
    // 3. a malformed body, a gtag hit with no event name, an unknown route
    expect((await proxy.post('/v1/events', '{"name":', headers)).status).toBe(400);
    expect((await fetch(`${proxy.base}/g/collect?v=2&tid=G-TEST1234&cid=1.2`, { headers })).status).toBe(204);
    expect((await fetch(`${proxy.base}/nope`)).status).toBe(404);
    await proxy.settle();
    // The retry comes due after its Retry-After (1 s on the test's clock).
    now.now += 1000;
    await proxy.settle();
    // Outbox age is measured against the test clock: a minute after the events came in.
    now.now = received + 60_000;
    const scraped = await scrape();
    ({ samples, types } = scraped);
    if (process.env.SHOW_METRICS) console.log(scraped.samples.map((s) => `${s.name} ${JSON.stringify(s.labels)} ${s.value}`).join('\n'));
  });

  afterAll(async () => {
    await proxy?.close();
    await ga4?.close();
    await meta?.close();
    await down?.close();
  });

  it('needs a token with metrics:read', async () => {
    expect((await fetch(`${proxy.base}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${proxy.base}/metrics`, { headers: { authorization: `Bearer ${await hsToken({ scope: 'dlq:read' })}` } });
    expect(wrong.status).toBe(403);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('ERR_FORBIDDEN');
  });

  it('counts requests by route pattern and status', () => {
    const req = (route: string, status: string) => valueOf(samples, 'tagrelay_http_requests_total', { route, status });
    expect(req('/v1/events', '202')).toBe(4);
    expect(req('/v1/events', '400')).toBe(1);
    expect(req('/g/collect', '204')).toBe(1);
    expect(req('unmatched', '404')).toBe(1);
    expect(types.get('tagrelay_http_requests_total')).toBe('counter');
  });

  it('counts events by outcome and reason', () => {
    const ev = (outcome: string, reason?: string) => valueOf(samples, 'tagrelay_events_total', reason ? { outcome, reason } : { outcome });
    expect(ev('accepted')).toBe(4);
    expect(ev('duplicate', 'dedupe.duplicate')).toBe(1);
    expect(ev('bot', 'bot.ua_pattern:googlebot')).toBe(1);
    // The native event named 'bad name', and the gtag hit without `en`.
    expect(ev('rejected', 'ERR_INVALID_NAME')).toBe(2);
    expect(ev('rejected')).toBe(2);
    expect(ev('derived')).toBe(0);
  });

  it('counts consent decisions per destination and reason, matching the decision records', async () => {
    const cd = (destination: string, action: string, reason?: string) =>
      valueOf(samples, 'tagrelay_consent_decisions_total', reason ? { destination, action, reason } : { destination, action }) ?? 0;
    expect(cd('ga4', 'send', 'granted')).toBe(3);
    expect(cd('ga4', 'drop', 'consent.purpose_denied:analytics_storage')).toBe(1);
    expect(cd('meta', 'send', 'granted')).toBe(3);
    expect(cd('meta', 'drop')).toBe(1);
    expect(cd('lake', 'send')).toBe(3);
    expect(cd('lake', 'anonymize', 'consent.purpose_denied:analytics_storage')).toBe(1);
    // Every decision of the store's record has its count: per destination, dropped ones match delivery_log.
    const rows = await proxy.db.all<{ destination_id: string; n: number }>("SELECT destination_id, COUNT(*) AS n FROM delivery_log WHERE status = 'dropped' GROUP BY destination_id");
    for (const r of rows) expect(cd(r.destination_id, 'drop'), r.destination_id).toBe(r.n);
  });

  it('counts deliveries, retries and dead letters per destination, matching the store', async () => {
    const del = (destination: string, outcome: string) => valueOf(samples, 'tagrelay_deliveries_total', { destination, outcome });
    expect(del('lake', 'delivered')).toBe(4);
    expect(del('ga4', 'delivered')).toBe(3);
    expect(del('ga4', 'dropped')).toBe(1);
    expect(del('ga4', 'retrying')).toBe(3);
    expect(valueOf(samples, 'tagrelay_delivery_retries_total', { destination: 'ga4' })).toBe(3);
    expect(del('meta', 'delivered')).toBe(3);
    expect(del('meta_bad', 'dead')).toBe(3);
    expect(valueOf(samples, 'tagrelay_dead_letters_total', { destination: 'meta_bad' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_dead_letter_depth', { destination: 'meta_bad' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_dead_letter_depth', { destination: 'ga4' })).toBe(0);
    const dead = await proxy.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM dead_letter WHERE destination_id = 'meta_bad'");
    expect(dead!.n).toBe(3);
    // The vendor saw what the counters say: one visitor's three events in one request, refused (503), then taken.
    expect(ga4.received.map((r) => [r.path, r.status, r.body?.events?.length])).toEqual([
      ['/mp/collect', 503, 3],
      ['/mp/collect', 204, 3],
    ]);
    expect(valueOf(samples, 'tagrelay_vendor_requests_total', { destination: 'ga4', result: 'ok' })).toBe(1);
    expect(valueOf(samples, 'tagrelay_vendor_requests_total', { destination: 'ga4', result: 'failed' })).toBe(1);
  });

  it('reads outbox depth and oldest age from the store', async () => {
    const waiting = await proxy.db.get<{ n: number }>("SELECT COUNT(*) AS n FROM delivery_retry WHERE destination_id = 'ga4_down'");
    expect(waiting!.n).toBe(3);
    expect(valueOf(samples, 'tagrelay_outbox_depth', { destination: 'ga4_down', state: 'retrying' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_outbox_depth', { destination: 'ga4_down', state: 'pending' })).toBe(0);
    expect(valueOf(samples, 'tagrelay_outbox_oldest_age_seconds', { destination: 'ga4_down' })).toBe(60);
    expect(valueOf(samples, 'tagrelay_outbox_depth', { destination: 'ga4' })).toBe(0);
    expect(valueOf(samples, 'tagrelay_outbox_oldest_age_seconds', { destination: 'ga4' })).toBe(0);
  });

  it('has latency histograms whose counts match the calls and deliveries', () => {
    expect(types.get('tagrelay_delivery_latency_seconds')).toBe('histogram');
    expect(valueOf(samples, 'tagrelay_delivery_latency_seconds_count', { destination: 'ga4' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_delivery_latency_seconds_bucket', { destination: 'ga4', le: '+Inf' })).toBe(3);
    // Accepted at t, delivered after the retry at t + 1 s on the test clock; Meta at once.
    expect(valueOf(samples, 'tagrelay_delivery_latency_seconds_bucket', { destination: 'ga4', le: '0.5' })).toBe(0);
    expect(valueOf(samples, 'tagrelay_delivery_latency_seconds_bucket', { destination: 'ga4', le: '1' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_delivery_latency_seconds_sum', { destination: 'ga4' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_delivery_latency_seconds_bucket', { destination: 'meta', le: '0.005' })).toBe(3);
    // Two GA4 calls (one refused), each a real round trip of 20–50 ms.
    expect(valueOf(samples, 'tagrelay_vendor_request_seconds_count', { destination: 'ga4' })).toBe(2);
    expect(valueOf(samples, 'tagrelay_vendor_request_seconds_bucket', { destination: 'ga4', le: '0.01' })).toBe(0);
    expect(valueOf(samples, 'tagrelay_vendor_request_seconds_sum', { destination: 'ga4' })).toBeGreaterThan(0.04);
  });

  it('reports the User-Agent cache, event-loop delay and memory', () => {
    // One parse (miss), then three cache hits: the batch's other two events and the denied one.
    expect(valueOf(samples, 'tagrelay_ua_cache_misses')).toBe(1);
    expect(valueOf(samples, 'tagrelay_ua_cache_hits')).toBe(3);
    expect(valueOf(samples, 'tagrelay_ua_cache_hit_ratio')).toBe(0.75);
    expect(valueOf(samples, 'tagrelay_process_memory_bytes', { kind: 'rss' })).toBeGreaterThan(10_000_000);
    expect(valueOf(samples, 'tagrelay_process_memory_bytes', { kind: 'heap_used' })).toBeGreaterThan(1_000_000);
    const p99 = valueOf(samples, 'tagrelay_event_loop_delay_seconds', { stat: 'p99' });
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThan(10);
  });

  it('counts every scrape, and a second scrape sees the first', async () => {
    const again = await scrape();
    expect(valueOf(again.samples, 'tagrelay_http_requests_total', { route: '/metrics', status: '200' })).toBe(1);
    expect(valueOf(again.samples, 'tagrelay_http_requests_total', { route: '/metrics', status: '401' })).toBe(1);
    expect(valueOf(again.samples, 'tagrelay_http_requests_total', { route: '/metrics', status: '403' })).toBe(1);
  });
});

describe('metrics.public', () => {
  it('answers without a token when public, and not at all when disabled', async () => {
    const open = await startProxy({ dev_mode: false, metrics: { public: true } });
    const off = await startProxy({ dev_mode: false, metrics: { enabled: false } });
    try {
      const res = await fetch(`${open.base}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('# TYPE tagrelay_events_total counter');
      expect((await fetch(`${off.base}/metrics`)).status).toBe(404);
    } finally {
      await open.close();
      await off.close();
    }
  });
});
