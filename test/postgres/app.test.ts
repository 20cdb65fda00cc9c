import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type TagrelayApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { nodeRuntime } from '../../src/runtime/node/runtime.js';
import { captureLog, post, testApp } from '../helpers/runtime.js';
import { sql, usePostgres } from './server.js';

const pgServer = usePostgres();
const SALT = 'e2e-salt-0123456789abcdef';
const EMAIL = 'Jane.Doe@Example.com';

let current: TagrelayApp | undefined;
afterEach(async () => {
  await current?.services.close();
  current = undefined;
});

/** Accept, commit and deliver everything due. */
async function deliver(app: TagrelayApp): Promise<void> {
  await app.services.ready;
  await app.services.outbox.flush();
  await app.services.worker.drain();
}

interface WarehouseRow {
  event_id: string;
  name: string;
  user_id: string | null;
  client_id: string | null;
  page_url: string | null;
  data: { hashed_user?: { em?: string }; salt_id?: string; user?: { user_id?: string } };
}

const hmac = (value: string) => createHmac('sha256', SALT).update(value).digest('hex');

describe('postgres destination end to end', () => {
  it('an event with consent lands in PostgreSQL pseudonymized: no clear email or user id', async () => {
    const { app, log } = testApp({
      privacy: { pseudonymization: { salt: SALT, salt_id: 'e2e' } },
      destinations: [{ id: 'wh', type: 'postgres', connection_string: pgServer.url, table: 'e2e_events' }],
    });
    current = app;
    const res = await post(app, '/v1/events', {
      name: 'sign_up',
      consent: { analytics_storage: 'granted' },
      user: { email: EMAIL, user_id: 'crm-77' },
      page: { url: 'https://shop.example/welcome' },
    });
    expect(res.status).toBe(202);
    await deliver(app);

    const rows = await sql<WarehouseRow>(pgServer.url, 'SELECT event_id, name, user_id, client_id, page_url, data FROM public.e2e_events');
    expect(rows).toHaveLength(1);
    const [row] = rows;
    expect(row!.name).toBe('sign_up');
    expect(row!.page_url).toBe('https://shop.example/welcome');
    // Warehouse pseudonyms: HMAC(salt, sha256(normalized email)) and HMAC(salt, user id).
    expect(row!.data.hashed_user?.em).toBe(hmac(createHash('sha256').update(EMAIL.toLowerCase()).digest('hex')));
    expect(row!.user_id).toBe(hmac('crm-77'));
    expect(row!.data.salt_id).toBe('e2e');
    const stored = JSON.stringify(row).toLowerCase();
    expect(stored).not.toContain(EMAIL.toLowerCase());
    expect(stored).not.toContain('crm-77');

    const delivery = await app.services.runtime.db.get<{ status: string }>('SELECT status FROM delivery_log WHERE event_id = ?', [row!.event_id]);
    expect(delivery?.status).toBe('delivered');
    expect(log.text()).not.toContain(pgServer.url);
  });

  it('a runtime without PostgreSQL dead-letters the event with postgres.unavailable_on_runtime', async () => {
    const { app } = testApp(
      { destinations: [{ id: 'wh', type: 'postgres', connection_string: pgServer.url }] },
      { runtime: { postgres: undefined } },
    );
    current = app;
    expect((await post(app, '/v1/events', { name: 'page_view', consent: { analytics_storage: 'granted' } })).status).toBe(202);
    await deliver(app);
    const dead = await app.services.runtime.db.all<{ destination_id: string; reason: string }>('SELECT destination_id, reason FROM dead_letter');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.destination_id).toBe('wh');
    expect(dead[0]!.reason).toMatch(/^postgres\.unavailable_on_runtime: /);
  });

  it('config/examples/postgres.yaml, loaded as the container would, delivers into PostgreSQL', async () => {
    const file = new URL('../../config/examples/postgres.yaml', import.meta.url);
    const config = parseConfig(readFileSync(file, 'utf8'), 'postgres.yaml', {
      DATABASE_URL: pgServer.url,
      TAGRELAY_SALT: SALT,
      TAGRELAY_ADMIN_SECRET: 'x'.repeat(32),
    });
    const log = captureLog();
    const app = createApp(config, nodeRuntime({ dataDir: '', file: ':memory:', log }));
    current = app;
    const res = await post(app, '/v1/events', { name: 'page_view', consent: { analytics_storage: 'granted' }, user: { email: EMAIL } });
    expect(res.status).toBe(202);
    await deliver(app);
    const rows = await sql<WarehouseRow>(pgServer.url, 'SELECT name, data FROM public.tagrelay_events');
    expect(rows.map((r) => r.name)).toEqual(['page_view']);
    expect(JSON.stringify(rows).toLowerCase()).not.toContain(EMAIL.toLowerCase());
    expect(log.text()).not.toContain(pgServer.url);
  });
});
