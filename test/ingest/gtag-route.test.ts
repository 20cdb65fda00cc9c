import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

const fixture = (name: string) => readFileSync(new URL(`../fixtures/gtag/${name}`, import.meta.url), 'utf8').trim();

async function settle(a: TagrelayApp) {
  await a.services.ready;
  await a.services.outbox.flush();
  await a.services.worker.drain();
}

describe('/g/collect', () => {
  it('a GET page_view hit answers 204 with no body and stores the event with gtag consent and client id', async () => {
    app = testApp().app;
    const url = new URL(fixture('page-view.url'));
    url.searchParams.set('gcs', 'G111');
    const res = await app.request(`/g/collect${url.search}`, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36' } });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    await settle(app);
    const rows = await app.services.runtime.db.all<{ name: string; data: string }>('SELECT name, data FROM events');
    expect(rows.map((r) => r.name)).toEqual(['page_view']);
    const data = JSON.parse(rows[0]!.data) as { source: string; consent: { purposes: Record<string, { value: string; source: string }> } };
    expect(data.source).toBe('gtag');
    expect(data.consent.purposes.analytics_storage!.value).toBe('granted');
    expect(['gcs', 'gcd']).toContain(data.consent.purposes.analytics_storage!.source);
  });

  it('a batched POST stores every line; a malformed line is counted, the rest kept, still 204', async () => {
    app = testApp().app;
    const url = new URL(fixture('batch-post.url'));
    url.searchParams.set('gcs', 'G111');
    const body = `${fixture('batch-post.body')}\r\nen=bad%20name&epn.value=abc`;
    const res = await app.request(`/g/collect${url.search}`, { method: 'POST', headers: { 'content-type': 'text/plain;charset=UTF-8' }, body });
    expect(res.status).toBe(204);
    expect(Number(res.headers.get('x-tagrelay-rejected'))).toBeGreaterThanOrEqual(1);
    await settle(app);
    const lines = fixture('batch-post.body').split(/\r?\n/).filter(Boolean).length;
    expect(await app.services.runtime.db.all('SELECT event_id FROM events')).toHaveLength(lines);
  });

  it('consent denied (gcs=G100) in an opt-in region stores the event anonymized, with no identity cookie', async () => {
    app = testApp().app;
    const res = await app.request(`/g/collect${new URL(fixture('consent-denied.url')).search}`);
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toBeNull();
    await settle(app);
    const [row] = await app.services.runtime.db.all<{ client_id: string | null; data: string }>('SELECT client_id, data FROM events');
    const data = JSON.parse(row!.data) as { consent: { purposes: Record<string, { value: string }> }; hashed_user?: unknown; user: object };
    expect(data.consent.purposes.analytics_storage!.value).toBe('denied');
    expect(data.hashed_user).toBeUndefined();
    expect(data.user).toEqual({});
  });

  it('a hit without v=2 is answered 204 and counted as rejected, nothing stored', async () => {
    app = testApp().app;
    const res = await app.request('/g/collect?tid=G-X&en=page_view&cid=1.2');
    expect(res.status).toBe(204);
    expect(res.headers.get('x-tagrelay-rejected')).toBe('1');
    await settle(app);
    expect(await app.services.runtime.db.all('SELECT * FROM events')).toEqual([]);
    expect(app.services.counters.rejected).toBe(1);
  });
});

describe('/g/collect and /v1/events share event ids', () => {
  it('the same purchase from gtag (ep.event_id) and from the back end (event_id) is stored once', async () => {
    app = testApp().app;
    const hit = 'v=2&tid=G-TEST&cid=111.222&sid=333&_p=444&_s=5&gcs=G111&en=purchase&ep.event_id=order-77&epn.value=12&cu=EUR';
    expect((await app.request(`/g/collect?${hit}`)).status).toBe(204);
    const res = await app.request('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'purchase', event_id: 'order-77', params: { value: 12, currency: 'EUR' }, consent: { analytics_storage: 'granted' } }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ accepted: 1, duplicates: 1 });
    await settle(app);
    expect(await app.services.runtime.db.all('SELECT event_id FROM events')).toEqual([{ event_id: 'order-77' }]);
  });
});
