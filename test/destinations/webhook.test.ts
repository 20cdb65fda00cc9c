import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { signWebhook, webhook, webhookConfigSchema, type WebhookConfig, type WebhookEvent } from '../../src/destinations/webhook.js';
import { destinationConfigSchema } from '../../src/destinations/index.js';
import type { MapContext, SendResult } from '../../src/destinations/types.js';
import { decide } from '../../src/delivery/decide.js';
import { toRecord } from '../../src/delivery/record.js';
import { prepareIdentity } from '../../src/privacy/identity.js';
import { privacyConfigSchema } from '../../src/privacy/config.js';
import { isKnownReason } from '../../src/reasons/catalog.js';
import type { Event } from '../../src/event.js';
import { H, T0, consent, event, fetchProbe, outbox, recordingLogger, sendContext } from './fixtures.js';
import { nodeHasher, sha256 } from '../privacy/fixtures.js';
import { readmeVerifier, startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';

const SECRET = 'whsec-0123456789abcdef0123456789abcdef';
const API_KEY = 'crm-api-key-7f3a9c';
const full: MapContext = { action: 'send', reasons: [] };
const parse = (over: Record<string, unknown> = {}): WebhookConfig =>
  webhookConfigSchema.parse({ id: 'crm', type: 'webhook', url: 'https://crm.shop.example/hooks/tagrelay', secret: SECRET, ...over });

const base = event({
  event_id: 'evt-7',
  name: 'purchase',
  params: { currency: 'EUR', value: '25.5', transaction_id: 'T-7' },
  items: [{ item_id: 'SKU_1', item_name: 'Tee', price: 25.5, quantity: 1 }],
  user: { user_id: 'crm-9001' },
  hashed_user: { em: H.em, ph: H.ph, fn: H.fn, external_id: H.external_id },
  page: { url: 'https://shop.example/done', referrer: 'https://news.example/', title: 'Thanks' },
  client: { client_id: '1234567890.1714564800', session_id: '1714564800', fbp: 'fb.1.1.2' },
  request: { source: 'native', ip: '203.0.113.7', user_agent: 'Mozilla/5.0', headers: {}, cookies: {} },
  campaign: { source: 'news', medium: 'email', campaign: 'spring', channel: 'email' },
});

describe('webhook map (golden)', () => {
  it('a purchase: ids, hashes by Meta’s rules, consent summary, page and campaign; nothing of the request', () => {
    expect(webhook.map(base, parse(), full)).toEqual({
      payload: {
        event_id: 'evt-7',
        name: 'purchase',
        time: '2024-05-01T12:00:00.000Z',
        value: 25.5,
        params: { currency: 'EUR', value: '25.5', transaction_id: 'T-7' },
        items: [{ item_id: 'SKU_1', item_name: 'Tee', price: 25.5, quantity: 1 }],
        client_id: '1234567890.1714564800',
        user_id: 'crm-9001',
        user: { sha256_email: H.em, sha256_phone: H.ph },
        consent: {
          action: 'send',
          region: 'DE',
          policy_version: '1',
          granted: ['ad_storage', 'analytics_storage', 'ad_user_data', 'ad_personalization', 'functionality_storage', 'personalization_storage', 'security_storage'],
          denied: [],
          limited_data_use: false,
        },
        page: { url: 'https://shop.example/done', referrer: 'https://news.example/', title: 'Thanks' },
        campaign: { source: 'news', medium: 'email', campaign: 'spring', channel: 'email' },
      } satisfies WebhookEvent,
    });
  });

  it('a bare page view carries only what it has; a rule-derived event keeps its kind', () => {
    const bare = event({ client: {}, consent_state: consent(['analytics_storage']) });
    const r = webhook.map(bare, parse(), { action: 'anonymize', reasons: [] });
    if ('skip' in r) throw new Error(r.skip);
    expect(Object.keys(r.payload).sort()).toEqual(['consent', 'event_id', 'name', 'page', 'params', 'time']);
    expect(r.payload.consent).toMatchObject({ action: 'anonymize', granted: ['analytics_storage'] });
    const derived = webhook.map({ ...base, kind: 'micro' } as Event, parse(), full);
    expect('payload' in derived && derived.payload.kind).toBe('micro');
  });

  it('the events filter skips other names with a reason in words', () => {
    const cfg = parse({ events: ['purchase'] });
    expect('payload' in webhook.map(base, cfg, full)).toBe(true);
    expect(webhook.map({ ...base, name: 'page_view' }, cfg, full)).toEqual({ skip: 'webhook.event_not_selected' });
    expect(isKnownReason('webhook.event_not_selected')).toBe(true);
  });
});

describe('webhook through decide(): consent and hashing as the record holds them', () => {
  const global = privacyConfigSchema.parse({ pseudonymization: { salt: 'webhook-test-salt-0123456789', salt_id: 's1' } });
  async function record(state = consent()) {
    const clear = event({
      ...base,
      hashed_user: undefined,
      user: { user_id: 'crm-9001', email: '  Ada.Lovelace@Example.com ', phone: '+1 (650) 555-1234', first_name: 'Ada' },
      consent_state: state,
    });
    return toRecord(clear, await prepareIdentity(clear, { global, hasher: nodeHasher }), [], 'v1');
  }
  const dest = (over: Record<string, unknown> = {}) => ({ config: destinationConfigSchema.parse({ id: 'crm', type: 'webhook', url: 'https://crm.example/h', secret: SECRET, ...over }), kind: webhook });

  it('by default no purpose is required: email and phone hashed by Meta’s rules, no IP, User-Agent, name or vendor cookie', async () => {
    const d = decide(await record(consent([])), dest());
    expect(d.action).toBe('send');
    const p = d.payload as WebhookEvent;
    expect(p.user).toEqual({ sha256_email: sha256('ada.lovelace@example.com'), sha256_phone: sha256('16505551234') });
    expect(p.consent.denied).toHaveLength(7);
    const text = JSON.stringify(p);
    for (const absent of ['203.0.113.7', 'Mozilla', 'fb.1.1.2', 'Ada', 'ada.lovelace', H.fn]) expect(text).not.toContain(absent);
  });

  it('requires decides: dropped without the purpose, or anonymized without ids and hashes', async () => {
    const denied = await record(consent(['analytics_storage']));
    const dropped = decide(denied, dest({ requires: ['ad_user_data'] }));
    expect(dropped.action).toBe('drop');
    expect(dropped.payload).toBeUndefined();
    const anon = decide(denied, dest({ requires: ['ad_user_data'], when_denied: 'anonymize' }));
    expect(anon.action).toBe('anonymize');
    const p = anon.payload as WebhookEvent;
    expect(p.user).toBeUndefined();
    expect(p.user_id).toBeUndefined();
    expect(p.client_id).toBeUndefined();
    expect(p.consent.action).toBe('anonymize');
  });
});

describe('webhook config', () => {
  it('parses with defaults and is part of the destination union', () => {
    expect(parse()).toMatchObject({ headers: {}, allow_http: false, timeout_ms: 10_000 });
    expect(destinationConfigSchema.parse({ id: 'crm', type: 'webhook', url: 'https://crm.example/h', secret: SECRET }).type).toBe('webhook');
  });

  it.each([
    [{ url: 'http://crm.shop.example/hooks' }, 'url', /https/],
    [{ secret: 'short' }, 'secret', /32 characters/],
    [{ headers: { 'X-Tagrelay-Signature': 'v1=forged' } }, 'headers', /may not set/],
    [{ headers: { 'bad header': 'x' } }, 'headers', /header name/],
    [{ events: [] }, 'events', /./],
    [{ endpoint: 'https://crm.example' }, 'endpoint', /address is url/],
  ])('refuses %o', (over, field, message) => {
    const r = webhookConfigSchema.safeParse({ id: 'crm', type: 'webhook', url: 'https://crm.example/h', secret: SECRET, ...over });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path[0]).toBe(field);
    expect(r.error!.issues[0]!.message).toMatch(message);
  });

  it('plain http only to this host, or when allowed', () => {
    expect(parse({ url: 'http://127.0.0.1:9000/h' }).url).toBe('http://127.0.0.1:9000/h');
    expect(parse({ url: 'http://receiver:3000/h', allow_http: true }).url).toBe('http://receiver:3000/h');
  });
});

describe('the README’s verification code', () => {
  it('accepts tagrelay’s signature and refuses a changed body, a wrong secret and timestamps over 5 minutes away', async () => {
    const verify = await readmeVerifier();
    const now = Date.now();
    const ts = String(Math.floor(now / 1000));
    const body = '{"events":[{"event_id":"e1","name":"purchase","params":{"note":"naïve ✓"}}]}';
    const headers = { 'x-tagrelay-timestamp': ts, 'x-tagrelay-signature': `v1=${await signWebhook(SECRET, ts, body)}` };
    expect(verify(body, headers, SECRET, now)).toBe(true);
    expect(verify(body.replace('e1', 'e2'), headers, SECRET, now)).toBe(false);
    expect(verify(body, headers, `${SECRET}x`, now)).toBe(false);
    expect(verify(body, { ...headers, 'x-tagrelay-signature': 'v1=00' }, SECRET, now)).toBe(false);
    expect(verify(body, {}, SECRET, now)).toBe(false);
    expect(verify(body, headers, SECRET, now + 299_000)).toBe(true);
    expect(verify(body, headers, SECRET, now + 301_000)).toBe(false);
    expect(verify(body, headers, SECRET, now - 301_000)).toBe(false);
  });
});

describe('webhook send (a receiver on 127.0.0.1 that verifies as the README says)', () => {
  const NOW = Date.now();
  let rx: WebhookReceiver;
  let config: WebhookConfig;
  const payloads = (n: number, over: (i: number) => Partial<WebhookEvent> = () => ({})): WebhookEvent[] =>
    Array.from({ length: n }, (_, i) => {
      const r = webhook.map({ ...base, event_id: `evt-${i + 1}` }, config, full);
      if ('skip' in r) throw new Error(r.skip);
      return { ...r.payload, ...over(i + 1) };
    });
  const allErrors = (r: SendResult) => [...r.failed.map((f) => f.error), ...r.retry.map((f) => f.error)];

  beforeEach(async () => {
    rx = await startWebhookReceiver({ secret: SECRET, refuse: (e) => (e.params as Record<string, unknown>)?.sku === 'BAD' });
    config = parse({ url: `${rx.url}${rx.path}`, headers: { 'x-api-key': API_KEY }, timeout_ms: 500 });
  });
  afterEach(() => rx.close());

  it('delivers a batch in one signed request the receiver verifies, with the configured headers', async () => {
    const events = payloads(3);
    const r = await webhook.send(outbox(events), config, sendContext(NOW));
    expect(r).toEqual({ delivered: [1, 2, 3], retry: [], failed: [] });
    expect(rx.received).toHaveLength(1);
    const req = rx.received[0]!;
    expect(req.status).toBe(200);
    expect(req.headers['x-api-key']).toBe(API_KEY);
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['x-tagrelay-timestamp']).toBe(String(Math.floor(NOW / 1000)));
    expect(req.headers['x-tagrelay-signature']).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(rx.accepted()).toEqual(events);
    expect(req.raw).not.toContain(SECRET);
  });

  it('a wrong secret is refused by the receiver (401): every event fails for good, and no secret reaches errors or logs', async () => {
    const log = recordingLogger();
    const wrong = { ...config, secret: 'whsec-wrong-wrong-wrong-wrong-wrong-00' };
    const r = await webhook.send(outbox(payloads(2)), wrong, sendContext(NOW, log));
    expect(r.failed).toEqual([
      { id: 1, error: 'webhook.http_401: {"error":"invalid signature"}' },
      { id: 2, error: 'webhook.http_401: {"error":"invalid signature"}' },
    ]);
    expect(log.lines.some((l) => l.includes('webhook send incomplete'))).toBe(true);
    for (const text of [...allErrors(r), ...log.lines]) for (const s of [SECRET, wrong.secret, API_KEY]) expect(text).not.toContain(s);
  });

  it('a request signed more than 5 minutes ago is refused (replay protection)', async () => {
    const r = await webhook.send(outbox(payloads(1)), config, sendContext(NOW - 6 * 60_000));
    expect(r.failed).toEqual([{ id: 1, error: 'webhook.http_401: {"error":"invalid signature"}' }]);
  });

  it('429 with Retry-After and 500 are retried, with the hint', async () => {
    rx.failNext({ status: 429, body: '{"error":"slow down"}', retryAfter: '30' });
    const throttled = await webhook.send(outbox(payloads(2)), config, sendContext(NOW));
    expect(throttled.retry).toEqual([
      { id: 1, error: 'webhook.http_429: {"error":"slow down"}', retry_after_ms: 30_000 },
      { id: 2, error: 'webhook.http_429: {"error":"slow down"}', retry_after_ms: 30_000 },
    ]);
    rx.failNext({ status: 500, body: 'upstream down' });
    const down = await webhook.send(outbox(payloads(1)), config, sendContext(NOW));
    expect(down).toEqual({ delivered: [], retry: [{ id: 1, error: 'webhook.http_500: upstream down' }], failed: [] });
  });

  it('a 400 for one event is isolated by splitting the batch (halves in flight together): the others are delivered', async () => {
    const probe = fetchProbe();
    const events = payloads(8, (i) => (i === 6 ? { params: { sku: 'BAD' } } : {}));
    const r = await webhook.send(outbox(events), config, { ...sendContext(NOW, undefined, 4), fetch: probe.fetch });
    expect(r.delivered.sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 7, 8]);
    expect(r.failed).toEqual([{ id: 6, error: 'webhook.http_400: {"error":"event evt-6 refused: unknown product"}' }]);
    expect(r.retry).toEqual([]);
    expect(rx.accepted().map((e) => e.event_id).sort()).toEqual(['evt-1', 'evt-2', 'evt-3', 'evt-4', 'evt-5', 'evt-7', 'evt-8']);
    // 1 + 2 + 2 + 2 requests for a depth-3 bisection of 8 events; each pair of halves goes out together.
    expect(probe.started).toBe(7);
    expect(probe.peak).toBeGreaterThanOrEqual(2);
    expect(probe.peak).toBeLessThanOrEqual(4);
  });

  it('a secret or header value echoed by the receiver is masked', async () => {
    rx.failNext({ status: 422, body: `bad key ${API_KEY}, secret ${SECRET}` });
    const r = await webhook.send(outbox(payloads(1)), config, sendContext(NOW));
    expect(r.failed).toEqual([{ id: 1, error: 'webhook.http_422: bad key ****, secret ****' }]);
  });

  it('timeouts and a receiver that is down are retryable', async () => {
    rx.failNext({ status: 200, delayMs: 1500 });
    const slow = await webhook.send(outbox(payloads(1)), config, sendContext(NOW));
    expect(slow.retry).toEqual([{ id: 1, error: 'webhook.timeout after 500ms' }]);
    await rx.close();
    const down = await webhook.send(outbox(payloads(1)), config, sendContext(NOW));
    expect(down.retry).toHaveLength(1);
    expect(down.retry[0]!.error).toMatch(/^webhook\.network error/);
    for (const e of [slow.retry[0]!.error, down.retry[0]!.error]) expect(isKnownReason(e)).toBe(true);
  });
});
