import { afterEach, describe, expect, it } from 'vitest';
import { clock, post, testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';

let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

const BOT = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

describe('traffic counts in the store (rejected, duplicates, bots)', () => {
  it('are counted per minute and reason, ride along with the next records commit, and are flushed before a read', async () => {
    const now = clock(Date.UTC(2026, 10, 29, 12, 0, 30));
    app = testApp({}, { now }).app;
    const db = app.services.runtime.db;
    const rows = () => db.all<{ minute: number; outcome: string; reason: string; count: number }>('SELECT minute, outcome, reason, count FROM traffic_counts ORDER BY outcome, reason');
    await post(app, '/v1/events', { events: [{ name: 'page_view', event_id: 'a' }, { name: '9bad' }] }, { 'user-agent': UA });
    await post(app, '/v1/events', { events: [{ name: 'page_view', event_id: 'a' }, { name: 'page_view', event_id: 'b' }] }, { 'user-agent': UA });
    // b's commit carried the first request's rejection; the second request's duplicate is counted after its commit.
    expect(await rows()).toEqual([{ minute: Date.UTC(2026, 10, 29, 12, 0), outcome: 'rejected', reason: 'ERR_INVALID_NAME', count: 1 }]);
    now.now += 60_000;
    // Only bots: no records commit; the counts wait in memory until flushed (the console flushes before it reads).
    await post(app, '/v1/events', { events: [{ name: 'page_view' }, { name: 'page_view' }] }, { 'user-agent': BOT });
    expect((await rows()).filter((r) => r.outcome === 'bot')).toEqual([]);
    await app.services.tally.flush(db);
    expect(await rows()).toEqual([
      { minute: Date.UTC(2026, 10, 29, 12, 1), outcome: 'bot', reason: 'bot.ua_pattern:googlebot', count: 2 },
      { minute: Date.UTC(2026, 10, 29, 12, 0), outcome: 'duplicate', reason: 'dedupe.event_id_seen', count: 1 },
      { minute: Date.UTC(2026, 10, 29, 12, 0), outcome: 'rejected', reason: 'ERR_INVALID_NAME', count: 1 },
    ]);
    expect(await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM records')).toEqual({ n: 2 });
  });
});
