import { afterEach, describe, expect, it } from 'vitest';
import { WAREHOUSE_HASHING } from '../../src/privacy/hashing.js';
import { post, testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import type { TagrelayApp } from '../../src/app.js';
import { defineDestination, baseDestinationSchema } from '../../src/destinations/types.js';
import { destinations } from '../../src/destinations/index.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

describe('dead-letter store over the admin API', () => {
  it('a permanent failure lands in dead_letter with its reason, can be listed, inspected and replayed', async () => {
    let fail = true;
    let version = 1;
    const sent: { id: string; v: number }[] = [];
    // A destination kind that refuses permanently until told otherwise.
    const flaky = defineDestination({
      type: 'sqlite',
      configSchema: baseDestinationSchema as never,
      requires: ['analytics_storage'],
      whenDenied: 'drop',
      privacy: { hashing: WAREHOUSE_HASHING, ip: 'truncate' },
      batch: { maxEvents: 10, maxWaitMs: 0 },
      maxInFlight: 4,
      map: (e) => ({ payload: { id: e.event_id, v: version } }),
      async send(batch) {
        if (fail) return { delivered: [], retry: [], failed: batch.map((i) => ({ id: i.id, error: 'HTTP 400: {"error":"bad field"}' })) };
        sent.push(...batch.map((i) => i.payload as { id: string; v: number }));
        return { delivered: batch.map((i) => i.id), retry: [], failed: [] };
      },
      reasons: { area: 'sqlite', vendor: 'The test destination', codes: {} },
      identityKeys: ['id'],
      docs: { vendor: 'https://example.com', page: 'docs/destinations/sqlite.md' },
      example: {} as never,
    });
    const t = testApp({ admin: { jwt: { secret: ADMIN_SECRET } } });
    app = t.app;
    app.services.destinations[0]!.kind = flaky as never;
    await post(app, '/v1/events', { name: 'purchase', event_id: 'p-1', consent: { analytics_storage: 'granted' } });
    await app.services.ready;
    await app.services.outbox.flush();
    await app.services.worker.drain();

    const read = await hsToken({ scope: 'dlq:read' });
    const list = (await (await app.request('/admin/v1/dead-letter', { headers: { authorization: `Bearer ${read}` } })).json()) as {
      items: { id: number; event_id: string; reason: string }[];
    };
    expect(list.items).toHaveLength(1);
    expect(list.items[0]).toMatchObject({ event_id: 'p-1', reason: 'HTTP 400: {"error":"bad field"}' });
    const one = (await (await app.request(`/admin/v1/dead-letter/${list.items[0]!.id}`, { headers: { authorization: `Bearer ${read}` } })).json()) as {
      payload: unknown;
    };
    // The payload decided at failure; the record it came from stays for the replay.
    expect(one.payload).toEqual({ id: 'p-1', v: 1 });
    expect(await app.services.runtime.db.all("SELECT event_id FROM records WHERE event_id = 'p-1'")).toHaveLength(1);
    expect(await app.services.runtime.db.all('SELECT * FROM delivery_retry')).toEqual([]);

    const deliveries = await app.request('/admin/v1/deliveries/p-1', { headers: { authorization: `Bearer ${await hsToken({ scope: 'debug:read' })}` } });
    expect(((await deliveries.json()) as { deliveries: { status: string }[] }).deliveries[0]!.status).toBe('dead');

    // The cause is fixed (vendor and mapping): the replay decides the payload again from the record.
    fail = false;
    version = 2;
    const write = await hsToken({ scope: 'dlq:write' });
    const denied = await app.request('/admin/v1/dead-letter/replay', { method: 'POST', headers: { authorization: `Bearer ${read}` }, body: '{"ids":[1]}' });
    expect(denied.status).toBe(403);
    const bad = await app.request('/admin/v1/dead-letter/replay', { method: 'POST', headers: { authorization: `Bearer ${write}` }, body: '{"ids":"all"}' });
    expect(bad.status).toBe(400);
    const replay = await app.request('/admin/v1/dead-letter/replay', {
      method: 'POST',
      headers: { authorization: `Bearer ${write}` },
      body: JSON.stringify({ ids: [list.items[0]!.id] }),
    });
    expect(await replay.json()).toEqual({ requeued: 1 });
    await app.services.worker.drain();
    expect(sent).toEqual([{ id: 'p-1', v: 2 }]);
    expect(await app.services.runtime.db.all('SELECT * FROM dead_letter')).toEqual([]);
    expect(await app.services.runtime.db.all('SELECT * FROM delivery_retry')).toEqual([]);
    const after = await app.request('/admin/v1/deliveries/p-1', { headers: { authorization: `Bearer ${await hsToken({ scope: 'debug:read' })}` } });
    expect(((await after.json()) as { deliveries: { status: string }[] }).deliveries[0]!.status).toBe('delivered');
    expect(destinations.sqlite.type).toBe('sqlite');
  });

  it('retries then dead-letters after max_attempts, keeping the last error', async () => {
    const t = testApp({ delivery: { max_attempts: 3, backoff_base: 0, backoff_max: 0 } });
    app = t.app;
    let calls = 0;
    app.services.destinations[0]!.kind = {
      ...app.services.destinations[0]!.kind,
      local: undefined,
      async send(batch: { id: number }[]) {
        calls++;
        return { delivered: [], failed: [], retry: batch.map((i) => ({ id: i.id, error: 'HTTP 503' })) };
      },
    } as never;
    await post(app, '/v1/events', { name: 'x', event_id: 'r-1', consent: { analytics_storage: 'granted' } });
    await app.services.ready;
    await app.services.outbox.flush();
    await app.services.worker.drain();
    expect(calls).toBe(3);
    const [dead] = await app.services.runtime.db.all<{ reason: string; attempts: number }>('SELECT reason, attempts FROM dead_letter');
    expect(dead).toEqual({ reason: 'HTTP 503 (gave up after 3 attempts)', attempts: 3 });
    // Nothing waits for another attempt; the decision record says dead after 3.
    expect(await app.services.runtime.db.all('SELECT * FROM delivery_retry')).toEqual([]);
    expect(await app.services.runtime.db.all('SELECT event_id, destination_id, status, attempts, error FROM delivery_log')).toEqual([
      { event_id: 'r-1', destination_id: 'lake', status: 'dead', attempts: 3, error: 'HTTP 503 (gave up after 3 attempts)' },
    ]);
  });
});
