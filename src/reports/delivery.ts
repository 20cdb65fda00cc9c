/**
 * @module Reconciliation per destination: per day (of receipt) and event name, how many events were
 * received, what was decided for each destination (send / anonymize / cookieless / drop / skip, with
 * the consent reasons), how many were delivered, are retrying, were dead-lettered, or are still pending.
 * Read from the decision counts (`delivery_counts`: the decision records grouped by day of receipt,
 * event name, action, status and consent codes, kept in the settling transaction) and the record log's
 * undelivered tail. Whole UTC days: `since` and `until` are widened to the days they fall in.
 */
import type { SqlDb } from '../ports.js';
import type { ReportParams } from './types.js';
import { dayString } from './types.js';

/** One destination, day and event name. */
export interface DeliveryLine {
  destination: string;
  day: string;
  name: string;
  /**
   * Events accepted that day with this name: the same for every destination (what each must account
   * for as decided or pending). Every accepted event is decided at every destination, so this is the
   * most any destination accounts for.
   */
  received: number;
  decided: { send: number; anonymize: number; cookieless: number; drop: number; skip: number };
  delivered: number;
  retrying: number;
  dead_lettered: number;
  /** Not decided yet for this destination (in the record log past its cursor). */
  pending: number;
  /** Why events were not sent in full: consent reason code → events (anonymized, cookieless or dropped). */
  consent_reasons: Record<string, number>;
}

/** The delivery report's data. */
export interface DeliveryData {
  destinations: string[];
  lines: DeliveryLine[];
}

const DAY_MS = 86_400_000;

/** Decision statuses before the action was recorded (older stores): the action they imply. */
const ACTION_OF_STATUS: Record<string, keyof DeliveryLine['decided'] | undefined> = { dropped: 'drop', skipped: 'skip' };

/**
 * Compute the reconciliation. `destinations`: the configured ones (listed even when nothing was decided yet).
 *
 * @example
 * await deliveryReport(runtime.db, params, config.destinations.map((d) => d.id))
 */
export async function deliveryReport(db: SqlDb, p: ReportParams, destinations: readonly string[] = []): Promise<DeliveryData> {
  const fromDay = Math.floor(p.since / DAY_MS);
  const toDay = Math.ceil(p.until / DAY_MS);
  // Decision counts carry the event's name and day of receipt (written at settlement): no join with the records.
  const decided = await db.all<{ destination_id: string; day: number; name: string; action: string; status: string; consent: string; n: number }>(
    'SELECT destination_id, day, name, action, status, consent, SUM(n) AS n FROM delivery_counts WHERE day >= ? AND day < ?' +
      (p.destination ? ' AND destination_id = ?' : '') +
      ' GROUP BY 1, 2, 3, 4, 5, 6 HAVING SUM(n) > 0',
    p.destination ? [fromDay, toDay, p.destination] : [fromDay, toDay],
  );
  const ids = p.destination ? [p.destination] : [...new Set([...destinations, ...decided.map((d) => d.destination_id)])].sort();
  // Not decided yet: records past a destination's cursor without a decision there (a short tail).
  const cursors = new Map((await db.all<{ destination_id: string; seq: number }>('SELECT destination_id, seq FROM delivery_cursor')).map((c) => [c.destination_id, c.seq]));
  const pending: { destination_id: string; day: number; name: string; n: number }[] = [];
  for (const id of ids) {
    const rows = await db.all<{ day: number; name: string; n: number }>(
      "SELECT received_at / 86400000 AS day, json_extract(data, '$.name') AS name, COUNT(*) AS n FROM records r WHERE seq > ? AND received_at >= ? AND received_at < ? " +
        'AND NOT EXISTS (SELECT 1 FROM delivery_log l WHERE l.event_id = r.event_id AND l.destination_id = ?) GROUP BY 1, 2',
      [cursors.get(id) ?? 0, fromDay * DAY_MS, toDay * DAY_MS, id],
    );
    for (const r of rows) pending.push({ destination_id: id, ...r });
  }
  const lines = new Map<string, DeliveryLine>();
  const lineOf = (destination: string, day: number, name: string) => {
    const key = `${destination}\u0000${day}\u0000${name}`;
    let l = lines.get(key);
    if (!l) {
      l = {
        destination,
        day: dayString(day),
        name,
        received: 0,
        decided: { send: 0, anonymize: 0, cookieless: 0, drop: 0, skip: 0 },
        delivered: 0,
        retrying: 0,
        dead_lettered: 0,
        pending: 0,
        consent_reasons: {},
      };
      lines.set(key, l);
    }
    return l;
  };
  for (const row of decided) {
    const l = lineOf(row.destination_id, Number(row.day), row.name);
    const n = Number(row.n);
    const action = (row.action || ACTION_OF_STATUS[row.status]) as keyof DeliveryLine['decided'] | undefined;
    if (action && action in l.decided) l.decided[action] += n;
    if (row.status === 'delivered') l.delivered += n;
    else if (row.status === 'retrying') l.retrying += n;
    else if (row.status === 'dead') l.dead_lettered += n;
    for (const code of row.consent ? row.consent.split(' ') : []) l.consent_reasons[code] = (l.consent_reasons[code] ?? 0) + n;
  }
  for (const row of pending) lineOf(row.destination_id, Number(row.day), row.name).pending += Number(row.n);
  // Every accepted event gets a decision at every destination (send, anonymize, cookieless, drop or skip):
  // the events received that day with that name are the most any destination accounts for.
  const received = new Map<string, number>();
  const dayName = (l: DeliveryLine) => `${l.day}\u0000${l.name}`;
  for (const l of lines.values()) {
    const accounted = l.decided.send + l.decided.anonymize + l.decided.cookieless + l.decided.drop + l.decided.skip + l.pending;
    received.set(dayName(l), Math.max(received.get(dayName(l)) ?? 0, accounted));
  }
  for (const id of ids) for (const key of received.keys()) {
    const [day, name] = key.split('\u0000') as [string, string];
    lineOf(id, Math.round(Date.parse(`${day}T00:00:00Z`) / 86_400_000), name);
  }
  for (const l of lines.values()) l.received = received.get(dayName(l)) ?? 0;
  return {
    destinations: ids,
    lines: [...lines.values()].sort((a, b) => a.destination.localeCompare(b.destination) || a.day.localeCompare(b.day) || a.name.localeCompare(b.name)),
  };
}
