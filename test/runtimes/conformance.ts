/**
 * The end-to-end behaviour every runtime must show over real HTTP, written once as a function of a
 * running server (jose's tap/run-<runtime>, h3's describeMatrix). Each runtime's *.test.ts starts its
 * server and calls {@link conformance}.
 */
import { expect, it } from 'vitest';
import { Agent, fetch as undiciFetch, type BodyInit as UndiciBody } from 'undici';
import { gtagEventId } from '../../src/ingest/gtag.js';

/** A stored warehouse row, as the `events` table holds it. */
export interface WarehouseRow {
  event_id: string;
  name: string;
  data: string;
}

/** A server under test. */
export interface Target {
  baseUrl: string;
  /** Read one event from the server's embedded warehouse (its SQLite file or local D1), if present. */
  readEvent(eventId: string): WarehouseRow | undefined;
}

interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

/** Wait for a condition the server reaches asynchronously (delivery runs after the 202). */
async function eventually<T>(probe: () => T | undefined, what: string, limitMs = 15_000): Promise<T> {
  const until = Date.now() + limitMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Register the conformance cases. `target` is read lazily: the server starts in the caller's beforeAll.
 *
 * @example
 * conformance(() => server, { runtime: 'bun' })
 */
export function conformance(target: () => Target, opts: { runtime: string; knownIssues?: Record<string, string> }): void {
  /** A case this runtime is known to fail: `it.fails` keeps it visible and turns red once it is fixed. */
  const check = (name: string, fn: () => Promise<void>) => (opts.knownIssues?.[name] ? it.fails : it)(name, fn);
  const url = (path: string) => target().baseUrl + path;
  // Fresh ids per run: dedupe is per process, but a warehouse may outlive one.
  const run = `${opts.runtime}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const post = (body: BodyInit, type = 'application/json') =>
    fetch(url('/v1/events'), { method: 'POST', headers: { 'content-type': type }, body });

  it('is alive and ready', async () => {
    const health = await fetch(url('/healthz'));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(url('/readyz'));
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('accepts one event with 202 and stores it in the embedded warehouse', async () => {
    const id = `${run}-single`;
    const res = await post(JSON.stringify({ name: 'add_to_cart', event_id: id, params: { currency: 'EUR', value: 19.9 }, consent: { analytics_storage: 'granted' } }));
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const row = await eventually(() => target().readEvent(id), `event ${id} in the warehouse`);
    expect(row.name).toBe('add_to_cart');
    expect(JSON.parse(row.data).params).toEqual({ currency: 'EUR', value: 19.9 });
  });

  it('takes a gtag.js hit on /g/collect with 204 and stores it with its gtag consent', async () => {
    const hit = new URLSearchParams({
      v: '2', tid: 'G-CONFORM', cid: '111.222', sid: '1700000000', sct: '1', seg: '1', _p: run, _s: '1',
      en: 'page_view', dl: 'https://shop.example/', dt: 'Home', gcs: 'G111',
    });
    const res = await fetch(url(`/g/collect?${hit}`));
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const id = gtagEventId(new Map(hit), 0, 'page_view')!;
    const row = await eventually(() => target().readEvent(id), `gtag event ${id} in the warehouse`);
    const data = JSON.parse(row.data) as { source: string; params: Record<string, unknown>; consent: { purposes: Record<string, { value: string }> } };
    expect(row.name).toBe('page_view');
    expect(data.source).toBe('gtag');
    expect(data.params.page_location).toBe('https://shop.example/');
    expect(data.consent.purposes.analytics_storage!.value).toBe('granted');
  });

  it('stores an EEA visitor without consent anonymized: no client id, no user data, no identity cookie', async () => {
    const id = `${run}-denied`;
    const res = await fetch(url('/v1/events'), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-ipcountry': 'DE' },
      body: JSON.stringify({ name: 'add_to_cart', event_id: id, user: { email: 'jane@example.com', user_id: 'u-1' }, client: { client_id: '123.456' } }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('set-cookie')).toBeNull();
    const row = await eventually(() => target().readEvent(id), `event ${id} in the warehouse`);
    const data = JSON.parse(row.data) as { user: object; hashed_user?: object; client: { client_id?: string }; consent: { purposes: Record<string, { value: string }> } };
    expect(data.consent.purposes.analytics_storage!.value).toBe('denied');
    expect(data.user).toEqual({});
    expect(data.hashed_user).toBeUndefined();
    expect(data.client.client_id).not.toBe('123.456');
    expect(row.data).not.toContain('jane@example.com');
  });

  it('accepts a batch around one invalid event and names it by index and code', async () => {
    const events = [
      { name: 'page_view', event_id: `${run}-b0`, consent: { analytics_storage: 'granted' } },
      { name: '1-not-a-name', event_id: `${run}-b1` },
      { name: 'scroll', event_id: `${run}-b2`, consent: { analytics_storage: 'granted' } },
    ];
    const res = await post(JSON.stringify({ context: { page: { url: 'https://www.example.com/' } }, events }));
    expect(res.status).toBe(202);
    const body = (await res.json()) as { accepted: number; duplicates: number; rejected: { index: number; code: string; field?: string }[] };
    expect(body.accepted).toBe(2);
    expect(body.duplicates).toBe(0);
    expect(body.rejected).toHaveLength(1);
    expect(body.rejected[0]).toMatchObject({ index: 1, code: 'ERR_INVALID_NAME', field: 'name' });
    const stored = await eventually(() => target().readEvent(`${run}-b2`), 'the third event of the batch');
    expect(stored.name).toBe('scroll');
    expect(target().readEvent(`${run}-b1`)).toBeUndefined();
  });

  it('accepts text/plain (navigator.sendBeacon) like JSON', async () => {
    const res = await post(JSON.stringify({ name: 'beacon', event_id: `${run}-beacon` }), 'text/plain;charset=UTF-8');
    expect(res.status).toBe(202);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(1);
  });

  it('acknowledges a repeated event_id as a duplicate', async () => {
    const body = JSON.stringify({ name: 'purchase', event_id: `${run}-order`, params: { value: 10 } });
    expect(await (await post(body)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await post(body)).json()).toMatchObject({ accepted: 1, duplicates: 1 });
  });

  const errors: { name: string; body: string; type: string; status: number; code: string }[] = [
    { name: 'an XML body', body: '<event/>', type: 'application/xml', status: 415, code: 'ERR_UNSUPPORTED_MEDIA_TYPE' },
    { name: 'malformed JSON', body: '{"name":', type: 'application/json', status: 400, code: 'ERR_MALFORMED_JSON' },
    { name: 'a JSON string', body: '"hello"', type: 'application/json', status: 400, code: 'ERR_INVALID_BODY' },
  ];
  for (const c of errors) {
    it(`answers ${c.name} with ${c.status} ${c.code}`, async () => {
      const res = await post(c.body, c.type);
      expect(res.status).toBe(c.status);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.code).toBe(c.code);
      expect(body.error.message.length).toBeGreaterThan(0);
    });
  }

  const big = () => new TextEncoder().encode(JSON.stringify({ name: 'big', params: { pad: 'x'.repeat(300_000) } }));
  /** A body over the default 256 KiB limit, on a connection of its own (so a dropped socket stays in this case). */
  async function tooLarge(chunked: boolean, then?: (dispatcher: Agent) => Promise<void>): Promise<void> {
    const dispatcher = new Agent({ connections: 1, pipelining: 1 });
    try {
      // A stream body has no known length, so it goes out chunked and the limit is enforced while reading.
      const body = (chunked ? new Blob([big()]).stream() : big()) as UndiciBody;
      const res = await undiciFetch(url('/v1/events'), { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half', dispatcher });
      expect(res.status).toBe(413);
      expect(((await res.json()) as ErrorBody).error.code).toBe('ERR_PAYLOAD_TOO_LARGE');
      await then?.(dispatcher);
    } finally {
      await dispatcher.destroy();
    }
  }

  for (const chunked of [false, true]) {
    const kind = chunked ? 'chunked' : 'content-length';
    it(`answers a ${kind} body over 256 KiB with 413 ERR_PAYLOAD_TOO_LARGE`, () => tooLarge(chunked));
    // With one connection, the follow-up has to reuse it unless the server said `Connection: close`.
    check(`keeps the connection usable after a 413 (${kind} body)`, () =>
      tooLarge(chunked, async (dispatcher) => {
        expect((await undiciFetch(url('/healthz'), { dispatcher })).status).toBe(200);
      }),
    );
  }

  it('answers unknown routes with 404 JSON', async () => {
    const res = await fetch(url('/nope'));
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe('ERR_NOT_FOUND');
  });
}
