import { afterEach, describe, expect, it } from 'vitest';
import { clock, post, testApp } from '../helpers/runtime.js';
import { purge, retentionConfigSchema } from '../../src/privacy/retention.js';
import type { TagrelayApp } from '../../src/app.js';

const DAY = 86_400_000;
let app: TagrelayApp | undefined;
afterEach(async () => {
  await app?.services.close();
  app = undefined;
});

async function settle(a: TagrelayApp) {
  await a.services.ready;
  await a.services.outbox.flush();
  await a.services.worker.drain();
}

describe('retention purge', () => {
  it('nulls a field at its age and deletes rows at theirs — exactly what is due', async () => {
    const c = clock();
    const rules = { rules: { events: '10d', 'events.user_id': '2d', 'events.ip': '1d' } };
    app = testApp({ retention: rules, server: { trust_proxy: true } }, { now: c }).app;
    const db = app.services.runtime.db;
    const send = (id: string) =>
      post(
        app!,
        '/v1/events',
        { name: 'x', event_id: id, user: { user_id: `u-${id}` }, client: { client_id: `c-${id}` }, consent: { analytics_storage: 'granted' } },
        { 'x-forwarded-for': '203.0.113.7' },
      );
    await send('old');
    await settle(app);
    c.now += 3 * DAY;
    await send('new');
    await settle(app);
    const config = retentionConfigSchema.parse(rules);

    const dry = await purge(db, config, c.now, { dryRun: true });
    expect(dry).toEqual([
      { rule: 'events', action: 'delete', rows: 0 },
      { rule: 'events.user_id', action: 'null_field', rows: 1 },
      { rule: 'events.ip', action: 'null_field', rows: 1 },
    ]);
    // a dry run changes nothing
    expect((await db.all<{ user_id: string }>("SELECT user_id FROM events WHERE event_id = 'old'"))[0]!.user_id).toMatch(/^[0-9a-f]{64}$/);

    await purge(db, config, c.now);
    const rows = await db.all<{ event_id: string; user_id: string | null; client_id: string | null; data: string }>(
      'SELECT event_id, user_id, client_id, data FROM events ORDER BY event_id',
    );
    // the warehouse holds pseudonyms (HMAC), never the ids in clear
    expect(rows.map((r) => [r.event_id, r.user_id !== null, r.client_id !== null])).toEqual([
      ['new', true, true],
      ['old', false, true],
    ]);
    expect(JSON.stringify(rows)).not.toMatch(/u-old|u-new|c-old|c-new/);
    const old = JSON.parse(rows[1]!.data) as { user: Record<string, string>; ip?: string };
    expect(old.user.user_id).toBeUndefined();
    expect(old.ip).toBeUndefined();
    expect(JSON.parse(rows[0]!.data).ip).toBeDefined();

    // running again finds nothing more due
    expect((await purge(db, config, c.now)).every((r) => r.rows === 0)).toBe(true);

    c.now += 8 * DAY; // 'old' is 11 days old, 'new' 8
    await purge(db, config, c.now);
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM events')).map((r) => r.event_id)).toEqual(['new']);
  });

  it('a record is deleted only once every destination settled it and its rule expired; pending or dead-lettered records stay', async () => {
    const c = clock();
    app = testApp({ retention: { rules: { records: '7d' } } }, { now: c }).app;
    const db = app.services.runtime.db;
    await app.services.ready;
    const granted = { analytics_storage: 'granted' };
    await post(app, '/v1/events', { events: [{ name: 'x', event_id: 'settled' }, { name: 'x', event_id: 'held' }], context: { consent: granted } });
    await app.services.worker.drain();
    // 'held' waits in the dead-letter store (it may be replayed from its record)
    const { seq } = (await db.get<{ seq: number }>('SELECT seq FROM records WHERE event_id = ?', ['held']))!;
    await db.run("INSERT INTO dead_letter (destination_id, event_id, payload, reason, attempts, created_at, failed_at, seq) VALUES ('lake', 'held', 'null', 'test', 1, ?, ?, ?)", [c.now, c.now, seq]);
    // 'pending' is accepted while delivery is stopped: no destination has settled it
    await app.services.worker.stop();
    await post(app, '/v1/events', { name: 'x', event_id: 'pending', consent: granted });
    await app.services.outbox.flush();
    c.now += 8 * DAY;
    const counts = await purge(db, retentionConfigSchema.parse({ rules: { records: '7d' } }), c.now);
    expect(counts).toEqual([{ rule: 'records', action: 'delete', rows: 1 }]);
    expect((await db.all<{ event_id: string }>('SELECT event_id FROM records ORDER BY seq')).map((r) => r.event_id)).toEqual(['held', 'pending']);
  });

  it('the count tables (delivery_counts, traffic_counts) are kept 395 days by default, then deleted', async () => {
    const c = clock();
    app = testApp({}, { now: c }).app;
    const db = app.services.runtime.db;
    await app.services.ready;
    const config = retentionConfigSchema.parse({});
    expect([config.rules.delivery_counts, config.rules.traffic_counts]).toEqual([395 * DAY, 395 * DAY]);
    const at = (ageDays: number) => c.now - ageDays * DAY;
    await db.batch([
      { sql: "INSERT INTO delivery_counts (destination_id, day, name, action, status, consent, bucket, n) VALUES ('lake', 1, 'x', 'send', 'delivered', '', ?, 3)", params: [at(400)] },
      { sql: "INSERT INTO delivery_counts (destination_id, day, name, action, status, consent, bucket, n) VALUES ('lake', 2, 'x', 'send', 'delivered', '', ?, 4)", params: [at(10)] },
      { sql: "INSERT INTO traffic_counts (minute, outcome, reason, count) VALUES (?, 'bot', 'enrich.bot_ua', 1), (?, 'bot', 'enrich.bot_ua', 2)", params: [at(396), at(1)] },
    ]);
    const done = await purge(db, config, c.now);
    expect(done.filter((r) => r.rule.endsWith('_counts'))).toEqual([
      { rule: 'delivery_counts', action: 'delete', rows: 1 },
      { rule: 'traffic_counts', action: 'delete', rows: 1 },
    ]);
    expect(await db.all('SELECT n FROM delivery_counts')).toEqual([{ n: 4 }]);
    expect(await db.all('SELECT count FROM traffic_counts')).toEqual([{ count: 2 }]);
  });

  it('rejects unknown rules with the list of known ones', () => {
    const r = retentionConfigSchema.safeParse({ rules: { 'events.password': '1d' } });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.message).toContain('events.<field>');
    expect(r.error!.issues[0]!.path).toEqual(['rules', 'events.password']);
  });
});
