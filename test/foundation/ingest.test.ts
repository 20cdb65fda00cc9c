import { afterEach, describe, expect, it } from 'vitest';
import { clock, post, testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';

let current: TagrelayApp | undefined;
function setup(...args: Parameters<typeof testApp>) {
  const t = testApp(...args);
  current = t.app;
  return t;
}
afterEach(async () => {
  await current?.services.close();
  current = undefined;
});

async function stored(app: TagrelayApp) {
  await app.services.ready;
  await app.services.outbox.flush();
  await app.services.worker.drain();
  return app.services.runtime.db.all<{ event_id: string; name: string; time: number; data: string }>(
    'SELECT event_id, name, time, data FROM events ORDER BY name',
  );
}

describe('POST /v1/events — errors', () => {
  const cases: { name: string; init: RequestInit; status: number; code: string }[] = [
    { name: 'malformed JSON', init: { body: '{"name":', headers: { 'content-type': 'application/json' } }, status: 400, code: 'ERR_MALFORMED_JSON' },
    { name: 'wrong content type', init: { body: '<x/>', headers: { 'content-type': 'application/xml' } }, status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' },
    { name: 'multipart', init: { body: 'a', headers: { 'content-type': 'multipart/form-data; boundary=x' } }, status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' },
    { name: 'a JSON string', init: { body: '"hello"', headers: { 'content-type': 'application/json' } }, status: 400, code: 'ERR_INVALID_BODY' },
    { name: 'events not an array', init: { body: '{"events":{}}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'ERR_INVALID_BODY' },
    { name: 'context not an object', init: { body: '{"context":1,"events":[]}', headers: { 'content-type': 'application/json' } }, status: 400, code: 'ERR_INVALID_BODY' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.status} ${c.code}`, async () => {
      const { app } = setup();
      const res = await app.request('/v1/events', { method: 'POST', ...c.init });
      expect(res.status).toBe(c.status);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe(c.code);
      expect(body.error.message.length).toBeGreaterThan(0);
    });
  }

  it('a body over the limit → 413 ERR_PAYLOAD_TOO_LARGE', async () => {
    const { app } = setup({ limits: { max_body_bytes: 2048 } });
    const res = await post(app, '/v1/events', { name: 'page_view', params: { big: 'x'.repeat(900) }, page: { title: 'y'.repeat(1500) } });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
  });

  it('more events than the batch limit → 400 ERR_TOO_MANY_EVENTS', async () => {
    const { app } = setup({ limits: { max_events: 3 } });
    const res = await post(app, '/v1/events', { events: [1, 2, 3, 4].map(() => ({ name: 'e' })) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_TOO_MANY_EVENTS');
  });
});

describe('POST /v1/events — batches', () => {
  it('stores exactly the valid events of a mixed batch and names each rejected one', async () => {
    const { app } = setup({ limits: { max_params: 3, max_string_length: 10 } });
    const res = await post(app, '/v1/events', {
      context: { consent: { analytics_storage: 'granted' }, page: { url: 'https://shop.example/' } },
      events: [
        { name: 'good_one', params: { a: 1 } },
        { name: '1bad' },
        { name: 'too_many', params: { a: 1, b: 2, c: 3, d: 4 } },
        { name: 'too_long', params: { a: 'x'.repeat(11) } },
        { name: 'wrong_type', params: { a: { nested: true } } },
        'not an object',
        { name: 'bad_time', time: 'yesterday' },
        { name: 'good_two', params: { items: [{ item_id: 'SKU1', price: '9.5', quantity: 2 }] } },
      ],
    });
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; code: string; field?: string }[] };
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r) => [r.index, r.code])).toEqual([
      [1, 'ERR_INVALID_NAME'],
      [2, 'ERR_TOO_MANY_PARAMS'],
      [3, 'ERR_VALUE_TOO_LONG'],
      [4, 'ERR_INVALID_TYPE'],
      [5, 'ERR_INVALID_EVENT'],
      [6, 'ERR_INVALID_TYPE'],
    ]);
    expect(body.rejected[2]!.field).toBe('params.a');
    const rows = await stored(app);
    expect(rows.map((r) => r.name)).toEqual(['good_one', 'good_two']);
    const two = JSON.parse(rows[1]!.data) as { items: { price: number }[]; page: { url: string } };
    expect(two.items[0]!.price).toBe(9.5);
    expect(two.page.url).toBe('https://shop.example/');
  });

  it('accepts text/plain (sendBeacon) and urlencoded (curl -d) bodies holding JSON', async () => {
    const { app } = setup();
    for (const type of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded']) {
      const res = await app.request('/v1/events', { method: 'POST', headers: { 'content-type': type }, body: JSON.stringify({ name: 'beacon' }) });
      expect(res.status).toBe(202);
    }
    expect((await stored(app)).length).toBe(2);
  });

  it('event fields override the batch context field by field', async () => {
    const { app } = setup();
    await post(app, '/v1/events', {
      context: { page: { url: 'https://a.example/', title: 'A' }, consent: { analytics_storage: 'granted' } },
      events: [{ name: 'x', page: { title: 'B' } }],
    });
    const [row] = await stored(app);
    expect(JSON.parse(row!.data).page).toEqual({ url: 'https://a.example/', title: 'B' });
  });
});

describe('dedupe', () => {
  it('acknowledges a repeated event_id without processing it again, and counts it', async () => {
    const { app } = setup();
    const ev = { name: 'purchase', event_id: 'order-42', params: { value: 10 } };
    const first = (await (await post(app, '/v1/events', ev)).json()) as { accepted: number; duplicates: number };
    const second = (await (await post(app, '/v1/events', ev)).json()) as { accepted: number; duplicates: number };
    expect(first).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(second).toMatchObject({ accepted: 1, duplicates: 1 });
    const rows = await stored(app);
    expect(rows.length).toBe(1);
    expect(await app.services.runtime.db.all('SELECT event_id FROM records')).toEqual([{ event_id: 'order-42' }]);
    expect(app.services.counters.duplicates).toBe(1);
  });

  it('forgets an id once the window passed and its record was purged', async () => {
    const c = clock();
    const { app } = setup({ dedupe: { window: '1h' }, retention: { rules: { records: '1h' } } }, { now: c });
    await post(app, '/v1/events', { name: 'x', event_id: 'same' });
    await stored(app);
    c.now += 30 * 60_000;
    await app.services.purgeNow();
    expect(await (await post(app, '/v1/events', { name: 'x', event_id: 'same' })).json()).toMatchObject({ duplicates: 1 });
    c.now += 31 * 60_000;
    await app.services.purgeNow();
    expect(await (await post(app, '/v1/events', { name: 'x', event_id: 'same' })).json()).toMatchObject({ duplicates: 0 });
  });

  it('keeps at most dedupe.max_ids ids in memory; older ones are still duplicates through the store', async () => {
    const { app } = setup({ dedupe: { max_ids: 10 } });
    const events = Array.from({ length: 50 }, (_, i) => ({ name: 'x', event_id: `bounded-${i}` }));
    expect(await (await post(app, '/v1/events', { events })).json()).toMatchObject({ accepted: 50, duplicates: 0 });
    expect(app.services.deduper.size).toBeLessThanOrEqual(10);
    expect(await (await post(app, '/v1/events', { events: events.slice(0, 5) })).json()).toMatchObject({ duplicates: 5 });
  });
});

describe('time normalization', () => {
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  const cases = [
    { name: 'no time → server time', time: undefined, expected: now, adjusted: false },
    { name: 'ISO within window', time: new Date(now - 3_600_000).toISOString(), expected: now - 3_600_000, adjusted: false },
    { name: 'epoch ms within window', time: now - 71 * 3_600_000, expected: now - 71 * 3_600_000, adjusted: false },
    { name: 'older than 72 h', time: now - 73 * 3_600_000, expected: now, adjusted: true },
    { name: '14 min in the future', time: now + 14 * 60_000, expected: now + 14 * 60_000, adjusted: false },
    { name: '16 min in the future', time: new Date(now + 16 * 60_000).toISOString(), expected: now, adjusted: true },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const t = clock(now);
      const { app } = setup({}, { now: t });
      const res = await post(app, '/v1/events', { name: 'timed', time: c.time, consent: { analytics_storage: 'granted' } });
      expect(res.status).toBe(202);
      const [row] = await stored(app);
      expect(row!.time).toBe(c.expected);
      expect(JSON.parse(row!.data).time_adjusted ?? false).toBe(c.adjusted);
    });
  }
});

describe('operational endpoints', () => {
  it('healthz and readyz answer 200 on a writable store', async () => {
    const { app } = setup();
    expect((await app.request('/healthz')).status).toBe(200);
    expect((await app.request('/readyz')).status).toBe(200);
  });

  it('readyz → 503 and ingest → 503 when the store cannot write', async () => {
    const { app, runtime } = setup();
    await app.services.ready;
    const broken = new Error('SQLITE_READONLY: attempt to write a readonly database');
    runtime.db.run = async () => {
      throw broken;
    };
    runtime.db.batch = async () => {
      throw broken;
    };
    expect((await app.request('/readyz')).status).toBe(503);
    const res = await post(app, '/v1/events', { name: 'x', event_id: 'kept-for-retry' });
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_STORE_UNAVAILABLE');
    // the id was not remembered, so the client's retry is not taken for a duplicate
    expect(app.services.deduper.lookup('kept-for-retry')).toBeUndefined();
  });

  it('answers CORS preflights for configured origins only', async () => {
    const { app } = setup({ server: { cors_origins: ['https://www.example.com'] } });
    const ok = await app.request('/v1/events', { method: 'OPTIONS', headers: { origin: 'https://www.example.com', 'access-control-request-method': 'POST' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://www.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const bad = await app.request('/v1/events', { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('unknown routes → 404 JSON', async () => {
    const { app } = setup();
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('ERR_NOT_FOUND');
  });
});
