/** The delivery reconciliation on a hand-built store: pending tails, a destination behind the others, dead letters, consent codes. */
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { DELIVERY_LOG_SQL } from '../../src/delivery/settle.js';
import { parseReportParams } from '../../src/reports/index.js';
import { deliveryReport } from '../../src/reports/delivery.js';

const DAY = Date.UTC(2026, 10, 20);

describe('delivery report', () => {
  it('accounts every received event per destination: decided, delivered, dead, pending', async () => {
    const db = openSqlite(':memory:');
    await migrate(db);
    // Six purchases on one day: seq 1..6.
    for (let i = 1; i <= 6; i++) {
      await db.run('INSERT INTO records (event_id, received_at, config_version, data) VALUES (?, ?, ?, ?)', [`e${i}`, DAY + i * 1000, 'c', JSON.stringify({ name: 'purchase' })]);
    }
    const log = (id: string, dest: string, status: string, action: string, consent: string | null) =>
      db.run(DELIVERY_LOG_SQL, [id, dest, status, 1, '[]', null, DAY + 99_000, 'c', action, 'purchase', DAY + Number(id.slice(1)) * 1000, consent]);
    // ga4 decided all six: 4 delivered, 1 dead, 1 dropped for consent; its cursor is at the end.
    for (const i of [1, 2, 3, 4]) await log(`e${i}`, 'ga4', 'delivered', 'send', null);
    await log('e5', 'ga4', 'dead', 'send', null);
    await log('e6', 'ga4', 'dropped', 'drop', 'consent.purpose_denied:ad_storage consent.region_default_opt_in');
    await db.run('INSERT INTO delivery_cursor (destination_id, seq) VALUES (?, ?)', ['ga4', 6]);
    // meta is behind: two decided (one retrying), cursor at 2, four pending.
    await log('e1', 'meta', 'delivered', 'send', null);
    await log('e2', 'meta', 'retrying', 'send', null);
    await db.run('INSERT INTO delivery_cursor (destination_id, seq) VALUES (?, ?)', ['meta', 2]);
    const p = parseReportParams('delivery', { since: String(DAY), until: String(DAY + 86_400_000) }, DAY + 86_400_000);
    const data = await deliveryReport(db, p, ['ga4', 'meta', 'tiktok']);
    expect(data.destinations).toEqual(['ga4', 'meta', 'tiktok']);
    expect(data.lines).toEqual([
      { destination: 'ga4', day: '2026-11-20', name: 'purchase', received: 6, decided: { send: 5, anonymize: 0, cookieless: 0, drop: 1, skip: 0 }, delivered: 4, retrying: 0, dead_lettered: 1, pending: 0, consent_reasons: { 'consent.purpose_denied:ad_storage': 1, 'consent.region_default_opt_in': 1 } },
      { destination: 'meta', day: '2026-11-20', name: 'purchase', received: 6, decided: { send: 2, anonymize: 0, cookieless: 0, drop: 0, skip: 0 }, delivered: 1, retrying: 1, dead_lettered: 0, pending: 4, consent_reasons: {} },
      // Configured but never ran: every record is pending there.
      { destination: 'tiktok', day: '2026-11-20', name: 'purchase', received: 6, decided: { send: 0, anonymize: 0, cookieless: 0, drop: 0, skip: 0 }, delivered: 0, retrying: 0, dead_lettered: 0, pending: 6, consent_reasons: {} },
    ]);
    expect((await deliveryReport(db, { ...p, destination: 'meta' })).lines.map((l) => l.destination)).toEqual(['meta']);
    await db.close();
  });
});
