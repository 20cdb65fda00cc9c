/**
 * Issue 13 item 13: Google forbids personal data in GA4's `user_id`. A user id shaped like an email or
 * phone number is removed with a reason, and used (hashed) as the email or phone it is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { post, testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';
import { explainEvents } from '../../src/consent/endpoints.js';
import { ingestNative } from '../../src/ingest/native.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' };
const destinations = [
  { id: 'lake', type: 'sqlite' },
  { id: 'ga', type: 'ga4', measurement_id: 'G-USERID1', api_secret: 's', endpoint: 'http://127.0.0.1:9' },
  { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 't', endpoint: 'http://127.0.0.1:9', server_action_source: 'other' },
];

async function explain(userId: string) {
  app = testApp({ destinations: destinations as never }).app;
  await app.services.ready;
  const parsed = ingestNative(
    { name: 'sign_up', user: { user_id: userId }, consent: GRANTED, client: { client_id: '1.2' } },
    { now: Date.now(), request: { source: 'native', headers: {}, cookies: {} }, randomHex: app.services.runtime.randomHex, limits: app.services.config.limits, time: app.services.config.time },
  );
  if ('error' in parsed) throw new Error(parsed.error.message);
  const [e] = await explainEvents(parsed.events, { host: 't.example.com' }, app.services);
  return Object.fromEntries(e!.destinations.map((d) => [d.destination_id, d]));
}

describe('user_id shaped like personal data', () => {
  it.each([
    ['an email', 'Ada@Example.com', 'em', sha256('ada@example.com')],
    ['a phone number', '+44 20 7946 0958', 'ph', sha256('442079460958')],
  ])('%s as user_id: GA4 gets no user_id, Meta the hashed %s, every decision says why', async (_what, userId, key, hash) => {
    const d = await explain(userId);
    const ga4 = d.ga as { payload: { user_id?: string }; reasons: { code: string }[] };
    expect(ga4.payload.user_id).toBeUndefined();
    expect(JSON.stringify(ga4.payload)).not.toContain(userId);
    expect(ga4.reasons.map((r) => r.code)).toContain('privacy.user_id_pii');
    const meta = d.meta as { payload: { user_data: Record<string, unknown> } };
    expect(meta.payload.user_data[key]).toEqual([hash]);
    expect(JSON.stringify(d)).not.toContain(userId);
  });

  it('an ordinary user id is kept for GA4', async () => {
    const d = await explain('crm-42');
    expect((d.ga as { payload: { user_id?: string } }).payload.user_id).toBe('crm-42');
  });

  it('the stored record and warehouse row never hold the email used as user_id', async () => {
    app = testApp({ destinations: destinations.slice(0, 1) as never }).app;
    await post(app, '/v1/events', { name: 'login', user: { user_id: 'grace@example.org' }, consent: GRANTED });
    await app.services.worker.drain();
    const rows = await app.services.runtime.db.all<{ data: string }>('SELECT data FROM records UNION ALL SELECT data FROM events');
    expect(rows).toHaveLength(2);
    for (const r of rows) expect(r.data).not.toContain('grace@example.org');
  });
});
