/** The delivery reconciliation on a hand-built store: pending tails, a destination behind the others, dead letters, consent codes. */
import { describe, expect, it } from 'vitest';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { decisionStatements, type DeliveryItem } from '../../src/delivery/settle.js';
import type { RouteAction } from '../../src/destinations/types.js';
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
    // Written the way settlement writes them: the decision record and its group's count.
    const log = (id: string, dest: string, status: string, action: RouteAction, consent: string | null, retrying = false) => {
      const item: DeliveryItem = {
        seq: Number(id.slice(1)),
        event_id: id,
        name: 'purchase',
        received_at: DAY + Number(id.slice(1)) * 1000,
        attempts: retrying ? 1 : 0,
        retrying,
        decision: { destination_id: dest, action, reasons: consent ? consent.split(' ') : [] },
      };
      return db.batch(decisionStatements(dest, [{ item, status, attempts: 1, error: null, dropRetry: retrying }], DAY + 99_000 + (retrying ? 600_000 : 0), 'c'));
    };
    // ga4 decided all six: 4 delivered, 1 dead, 1 dropped for consent; its cursor is at the end.
    for (const i of [1, 2, 3, 4]) await log(`e${i}`, 'ga4', 'delivered', 'send', null);
    await log('e5', 'ga4', 'dead', 'send', null);
    await log('e6', 'ga4', 'dropped', 'drop', 'consent.purpose_denied:ad_storage consent.region_default_opt_in');
    await db.run('INSERT INTO delivery_cursor (destination_id, seq) VALUES (?, ?)', ['ga4', 6]);
    // meta is behind: two decided (one retrying), cursor at 2, four pending.
    await log('e1', 'meta', 'delivered', 'send', null);
    await log('e2', 'meta', 'retrying', 'send', null);
    // A retry that settled later moves its record from `retrying` to `delivered` (counted once, in its new group).
    await log('e3', 'meta', 'retrying', 'send', null);
    await log('e3', 'meta', 'delivered', 'send', null, true);
    await db.run('INSERT INTO delivery_cursor (destination_id, seq) VALUES (?, ?)', ['meta', 3]);
    const p = parseReportParams('delivery', { since: String(DAY), until: String(DAY + 86_400_000) }, DAY + 86_400_000);
    const data = await deliveryReport(db, p, ['ga4', 'meta', 'tiktok']);
    expect(data.destinations).toEqual(['ga4', 'meta', 'tiktok']);
    expect(data.lines).toEqual([
      { destination: 'ga4', day: '2026-11-20', name: 'purchase', received: 6, decided: { send: 5, anonymize: 0, cookieless: 0, drop: 1, skip: 0 }, delivered: 4, retrying: 0, dead_lettered: 1, pending: 0, consent_reasons: { 'consent.purpose_denied:ad_storage': 1, 'consent.region_default_opt_in': 1 } },
      { destination: 'meta', day: '2026-11-20', name: 'purchase', received: 6, decided: { send: 3, anonymize: 0, cookieless: 0, drop: 0, skip: 0 }, delivered: 2, retrying: 1, dead_lettered: 0, pending: 3, consent_reasons: {} },
      // Configured but never ran: every record is pending there.
      { destination: 'tiktok', day: '2026-11-20', name: 'purchase', received: 6, decided: { send: 0, anonymize: 0, cookieless: 0, drop: 0, skip: 0 }, delivered: 0, retrying: 0, dead_lettered: 0, pending: 6, consent_reasons: {} },
    ]);
    expect((await deliveryReport(db, { ...p, destination: 'meta' })).lines.map((l) => l.destination)).toEqual(['meta']);
    // The counts are the decision records grouped, whatever moved between groups.
    const grouped = await db.all(
      "SELECT destination_id, received_at / 86400000 AS day, name, action, status, COALESCE(consent, '') AS consent, COUNT(*) AS n FROM delivery_log GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 5, 4",
    );
    const counted = await db.all('SELECT destination_id, day, name, action, status, consent, SUM(n) AS n FROM delivery_counts GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(n) > 0 ORDER BY 1, 5, 4');
    expect(counted).toEqual(grouped);
    await db.close();
  });
});
