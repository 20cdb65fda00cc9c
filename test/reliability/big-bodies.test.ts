/**
 * Issue 13 item 10: big batches are processed in slices that yield to other requests, so twenty
 * concurrent 256 KiB bodies do not hold a one-event request until they are all done. Asserted by
 * order of completion, not by time.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { post, testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

/** A batch of `n` events with distinct visitors, about 500 bytes each. */
function bigBatch(tag: string, n: number) {
  return {
    context: { consent: { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' }, page: { url: 'https://shop.example/p/1?utm_source=x' } },
    events: Array.from({ length: n }, (_, i) => ({
      name: 'view_item',
      event_id: `${tag}-${i}`,
      params: { currency: 'EUR', value: i, note: 'x'.repeat(260) },
      user: { email: `visitor-${tag}-${i}@example.com` },
      client: { client_id: `${i}.${tag.length}` },
    })),
  };
}

describe('large bodies do not stall small requests', () => {
  it('a one-event request sent after twenty 500-event bodies is answered before most of them', async () => {
    app = testApp({ limits: { max_body_bytes: 512 * 1024 } }).app;
    await app.services.ready;
    const order: string[] = [];
    const body = JSON.stringify(bigBatch('big', 500));
    expect(body.length).toBeGreaterThan(200 * 1024);
    const big = Array.from({ length: 20 }, (_, k) =>
      Promise.resolve(post(app!, '/v1/events', body.replaceAll('"big-', `"big${k}-`))).then(async (res) => {
        expect(res.status).toBe(202);
        order.push(`big${k}`);
      }),
    );
    await new Promise((r) => setImmediate(r));
    const small = Promise.resolve(post(app, '/v1/events', { name: 'add_to_cart', event_id: 'small-1' })).then((res) => {
      expect(res.status).toBe(202);
      order.push('small');
    });
    await Promise.all([...big, small]);
    expect(order).toHaveLength(21);
    // Answered before at least three quarters of the big bodies finished.
    expect(order.indexOf('small')).toBeLessThan(5);
    const stored = await app.services.runtime.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM records');
    expect(stored!.n).toBe(20 * 500 + 1);
  });
});
