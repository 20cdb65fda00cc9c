import { it, expect } from 'vitest';
import { post, testApp } from '../helpers/runtime.js';
it('dbg', async () => {
  const t = testApp({ delivery: { max_attempts: 3, backoff_base: 0, backoff_max: 0 } });
  const app = t.app;
  console.log(app.services.destinations.map(d => d.config.id + ':' + d.config.type));
  let calls = 0;
  app.services.destinations[0]!.kind = {
    ...app.services.destinations[0]!.kind,
    local: undefined,
    async send(batch: { id: number }[]) {
      calls++;
      console.log('send', batch.map(b=>b.id), Date.now());
      return { delivered: [], failed: [], retry: batch.map((i) => ({ id: i.id, error: 'HTTP 503' })) };
    },
  } as never;
  const r = await post(app, '/v1/events', { name: 'x', event_id: 'r-1', consent: { analytics_storage: 'granted' } });
  console.log(r.status, await r.text());
  await app.services.ready;
  await app.services.outbox.flush();
  console.log('before drain', calls, await t.runtime.db.all('SELECT * FROM delivery_retry'), await t.runtime.db.all('SELECT * FROM delivery_cursor'));
  const t0 = Date.now();
  await app.services.worker.drain();
  console.log('fault', app.services.worker.fault, t.log.text().slice(0,3000)); console.log('after drain', Date.now() - t0, calls, await t.runtime.db.all('SELECT * FROM delivery_retry'), await t.runtime.db.all('SELECT * FROM dead_letter'), await t.runtime.db.all('SELECT * FROM delivery_log'));
  await app.services.close();
});
