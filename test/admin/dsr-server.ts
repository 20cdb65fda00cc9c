/**
 * An in-process tagrelay on a real 127.0.0.1 socket with three destinations: the warehouse, a GA4
 * endpoint that keeps answering 503 + Retry-After (its records stay pending: a `delivery_retry` row
 * each, due in an hour) and a Meta endpoint that refuses the pixel (dead letters). For the
 * data-subject request suites.
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { startFake } from '../fakes/fake-server.js';
import { startMetaFake } from '../fakes/meta-fake.js';
import type { ConfigInput } from '../../src/config/schema.js';

export const SALT = 'dsr-test-salt-0123456789abcdef';

/** Every purpose granted: every destination decides `send` (events go in full). */
export const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };

export async function startDsrServer(extra: Partial<ConfigInput> = {}) {
  const ga4 = await startFake(() => ({ status: 503, headers: { 'retry-after': '3600' }, body: '{}' }));
  const meta = await startMetaFake({ pixelId: '123456789012345' });
  const { app, log, runtime } = testApp({
    dev_mode: false,
    admin: { jwt: { secret: ADMIN_SECRET } },
    privacy: { pseudonymization: { salt: SALT, salt_id: 't1' } },
    // GA4's breaker never opens here: each record is claimed (and waits in delivery_retry) however
    // many sends the background worker made while the suite was posting.
    delivery: { breaker: { failures: 1000 } },
    destinations: [
      { id: 'lake', type: 'sqlite' },
      { id: 'ga4', type: 'ga4', measurement_id: 'G-TEST1234', api_secret: 'ga4-secret', endpoint: ga4.url },
      // The fake serves another pixel: Meta answers a permanent 400 and the items are dead-lettered.
      { id: 'meta', type: 'meta_capi', pixel_id: '999999999999', access_token: 'test-access-token', endpoint: meta.url, server_action_source: 'other' },
    ],
    ...extra,
  });
  const server = await new Promise<ReturnType<typeof serve>>((ok) => {
    const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, () => ok(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  /** POST JSON over the socket. */
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  /** Call the admin API with a fresh token holding `scope`. */
  const admin = async (method: 'GET' | 'POST', path: string, scope: string, body?: unknown) =>
    fetch(`${base}/admin/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${await hsToken({ scope, sub: 'dpo' })}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });

  /** Land pending commits and deliver what is due (the warehouse stores, Meta dead-letters, GA4 waits). */
  const settle = async () => {
    await app.services.outbox.flush();
    await app.services.worker.drain();
  };

  const close = async () => {
    await new Promise((ok) => server.close(ok));
    await app.services.close();
    await ga4.close();
    await meta.close();
  };

  return { app, log, db: runtime.db, base, post, admin, settle, close, ga4, meta };
}
