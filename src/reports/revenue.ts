/**
 * @module Revenue: revenue, orders, AOV and session conversion rate by day and by channel (or any
 * `by`); repeat purchase rate; time to first purchase. Orders count every purchase event (an order
 * is an order under any consent); sessions and users count only visitors seen in full.
 */
import { FULL, inRange, unitOf } from './common.js';
import type { ReportSource } from './source.js';
import { piecesWith, readOrders, trailsWith, unitEvents, unitsSql } from './summary.js';
import { DIMENSIONS, dayString, median, ratio, type Dimension, type ReportParams } from './types.js';

/** The metrics of one day or one group. */
export interface RevenueLine {
  key: string | null;
  revenue: number;
  orders: number;
  /** revenue / orders. */
  aov: number | null;
  /** Sessions seen in full (by the day they started, or by their dimension). */
  sessions: number;
  converting_sessions: number;
  /** converting_sessions / sessions. */
  conversion_rate: number | null;
}

/** The revenue report's data. */
export interface RevenueData {
  purchase: string;
  total: RevenueLine & { orders_anonymized: number; currencies: string[] };
  by_day: RevenueLine[];
  by: Dimension;
  groups: RevenueLine[];
  /** Orders sent anonymized or cookieless, or without a session: no session to attribute them to. */
  unattributed: { orders: number; revenue: number };
  /** Users seen in full who purchased; repeat_purchasers bought at least twice in the range. */
  purchasers: number;
  repeat_purchasers: number;
  repeat_purchase_rate: number | null;
  /** Median time from a purchaser's first event in the range to their first purchase, ms. */
  median_ms_to_first_purchase: number | null;
}

const line = (key: string | null): RevenueLine => ({ key, revenue: 0, orders: 0, aov: null, sessions: 0, converting_sessions: 0, conversion_rate: null });

function finish<L extends RevenueLine>(l: L): L {
  l.aov = ratio(l.revenue, l.orders);
  l.conversion_rate = ratio(l.converting_sessions, l.sessions);
  return l;
}

/** Compute revenue. */
export async function revenueReport(source: ReportSource, p: ReportParams): Promise<RevenueData> {
  const by: Dimension = p.by ?? 'channel';
  const { orders, sessions, purchasers } = source.summary === true ? await fromSummary(source, p, by) : await fromSql(source, p, by);

  const total = { ...line(null), orders_anonymized: 0, currencies: [] as string[] };
  const days = new Map<number, RevenueLine>();
  const dayLine = (day: number) => {
    let l = days.get(day);
    if (!l) days.set(day, (l = line(dayString(day))));
    return l;
  };
  const currencies = new Set<string>();
  for (const o of orders) {
    const l = dayLine(Number(o.day));
    for (const t of [l, total]) {
      t.orders += Number(o.orders);
      t.revenue += Number(o.revenue);
    }
    total.orders_anonymized += Number(o.anon);
    if (o.currency) currencies.add(o.currency);
  }
  const groups = new Map<string | null, RevenueLine>();
  const groupLine = (key: string | null) => {
    let l = groups.get(key);
    if (!l) groups.set(key, (l = line(key)));
    return l;
  };
  let attributedOrders = 0;
  let attributedRevenue = 0;
  for (const s of sessions) {
    for (const t of [dayLine(Number(s.day)), groupLine(s.dim ?? null), total]) {
      t.sessions += Number(s.sessions);
      t.converting_sessions += Number(s.converting);
    }
    const g = groupLine(s.dim ?? null);
    g.orders += Number(s.orders);
    g.revenue += Number(s.revenue);
    attributedOrders += Number(s.orders);
    attributedRevenue += Number(s.revenue);
  }
  const repeat = purchasers.filter((u) => Number(u.purchases) >= 2).length;
  return {
    purchase: p.purchase,
    total: { ...finish(total), currencies: [...currencies].sort() },
    by_day: [...days.entries()].sort((a, b) => a[0] - b[0]).map(([, l]) => finish(l)),
    by,
    groups: [...groups.values()].map(finish).sort((a, b) => b.revenue - a.revenue || b.sessions - a.sessions || String(a.key).localeCompare(String(b.key))),
    unattributed: { orders: total.orders - attributedOrders, revenue: total.revenue - attributedRevenue },
    purchasers: purchasers.length,
    repeat_purchasers: repeat,
    repeat_purchase_rate: ratio(repeat, purchasers.length),
    median_ms_to_first_purchase: median(purchasers.map((u) => Number(u.first_purchase) - Number(u.first_seen))),
  };
}

/** Orders per day and currency; full sessions per start day and `by` value; purchasers seen in full. */
interface RevenueRows {
  orders: { day: unknown; orders: unknown; revenue: unknown; anon: unknown; currency: string | null }[];
  sessions: { day: unknown; dim: string | null; sessions: unknown; converting: unknown; orders: unknown; revenue: unknown }[];
  purchasers: { first_seen: unknown; first_purchase: unknown; purchases: unknown }[];
}

/** PostgreSQL: the rows in SQL. */
async function fromSql(source: ReportSource, p: ReportParams, by: Dimension): Promise<RevenueRows> {
  const d = source.dialect;
  const r = inRange(source, p);
  const col = DIMENSIONS[by];
  const sess = unitOf('sessions');
  const orders = await source.all<{ day: unknown; orders: unknown; revenue: unknown; anon: unknown; currency: string | null }>(
    `SELECT ${d.day} AS day, currency, ${d.num('COUNT(*)')} AS orders, COALESCE(SUM(value), 0) AS revenue, ` +
      `${d.num("SUM(CASE WHEN consent_mode = 'send' THEN 0 ELSE 1 END)")} AS anon FROM ${d.table} WHERE ${r.sql} AND name = ? GROUP BY ${d.day}, currency`,
    [...r.params, p.purchase],
  );
  // One pass over the sessions seen in full: start day and dimension (from the first event), orders, revenue.
  const perSession =
    `SELECT MIN(time) AS first_time, ${d.first(d.day)} AS day, ${d.first(col)} AS dim, SUM(CASE WHEN name = ? THEN 1 ELSE 0 END) AS orders, ` +
    `SUM(CASE WHEN name = ? THEN COALESCE(value, 0) ELSE 0 END) AS revenue FROM ${d.units} WHERE ${r.sql} AND ${sess.where} GROUP BY ${sess.keys}`;
  const sessions = await source.all<{ day: unknown; dim: string | null; sessions: unknown; converting: unknown; orders: unknown; revenue: unknown }>(
    `SELECT day, dim, ${d.num('COUNT(*)')} AS sessions, ${d.num('SUM(CASE WHEN orders > 0 THEN 1 ELSE 0 END)')} AS converting, ${d.num('SUM(orders)')} AS orders, ` +
      `SUM(revenue) AS revenue FROM (${perSession}) s GROUP BY day, dim`,
    [p.purchase, p.purchase, ...r.params],
  );
  const purchasers = await source.all<{ first_seen: unknown; first_purchase: unknown; purchases: unknown }>(
    `SELECT MIN(${d.t}) AS first_seen, MIN(CASE WHEN name = ? THEN ${d.t} END) AS first_purchase, ${d.num('SUM(CASE WHEN name = ? THEN 1 ELSE 0 END)')} AS purchases ` +
      `FROM ${d.units} WHERE ${r.sql} AND ${FULL} GROUP BY client_id HAVING SUM(CASE WHEN name = ? THEN 1 ELSE 0 END) > 0`,
    [p.purchase, p.purchase, ...r.params, p.purchase],
  );

  return { orders, sessions, purchasers };
}

/**
 * The embedded warehouse: orders by day from the hour counts; one grouping of the summary per session
 * (and per visitor's rows without a session) gives the sessions without an order counted per day and
 * `by` value, the units with an order with their trails, and each purchaser's first event.
 */
async function fromSummary(source: ReportSource, p: ReportParams, by: Dimension): Promise<RevenueRows> {
  const orders = await readOrders(source, p.since, p.until, p.purchase);
  const buys = new Set([p.purchase]);
  const u = unitsSql({ since: p.since, until: p.until, unit: 'pieces', by, aggs: [piecesWith(p.purchase, 'o'), trailsWith([p.purchase])], materialized: true });
  const rows = await source.all<{ q: number; day: number; dim: string | null; n: number; client_id: string | null; s: string | null; trails: string | null }>(
    `WITH ${u.sql} ` +
      "SELECT 0 AS q, first_time / 86400000 AS day, dim, COUNT(*) AS n, NULL AS client_id, NULL AS s, NULL AS trails FROM uf WHERE s <> 'n' AND o = 0 GROUP BY 2, 3 " +
      'UNION ALL SELECT 1, first_time / 86400000, dim, 1, client_id, s, trails FROM uf WHERE o > 0 ' +
      'UNION ALL SELECT 2, MIN(first_time), NULL, 0, client_id, NULL, NULL FROM uf WHERE client_id IN (SELECT client_id FROM uf WHERE o > 0) GROUP BY client_id',
    u.params,
  );
  const sessions = new Map<string, { day: number; dim: string | null; sessions: number; converting: number; orders: number; revenue: number }>();
  const lineOf = (day: number, dim: string | null) => {
    const key = JSON.stringify([day, dim]);
    let line = sessions.get(key);
    if (!line) sessions.set(key, (line = { day, dim, sessions: 0, converting: 0, orders: 0, revenue: 0 }));
    return line;
  };
  const buyers = new Map<string, { first_seen: number; first_purchase: number; purchases: number }>();
  const buyer = (client: string) => {
    let b = buyers.get(client);
    if (!b) buyers.set(client, (b = { first_seen: Infinity, first_purchase: Infinity, purchases: 0 }));
    return b;
  };
  for (const r of rows) {
    if (r.q === 0) lineOf(r.day, r.dim).sessions += r.n;
    else if (r.q === 2) buyer(r.client_id!).first_seen = r.day;
    else {
      const events = unitEvents(r.trails!, buys);
      const b = buyer(r.client_id!);
      b.purchases += events.length;
      b.first_purchase = Math.min(b.first_purchase, events[0]!.t);
      if (r.s === 'n') continue;
      const line = lineOf(r.day, r.dim);
      line.sessions++;
      line.converting++;
      for (const e of events) {
        line.orders++;
        line.revenue += e.value ?? 0;
      }
    }
  }
  return { orders, sessions: [...sessions.values()], purchasers: [...buyers.values()] };
}
