/**
 * @module Cart and checkout abandonment: sessions (or users) with add_to_cart and no purchase, with
 * begin_checkout and no purchase, and the value left in the abandoned carts (the add_to_cart values).
 */
import { inRange, unitOf } from './common.js';
import type { ReportSource } from './source.js';
import { piecesWith, trailsWith, unitEvents, unitsSql } from './summary.js';
import { DIMENSIONS, ratio, type ReportParams } from './types.js';

/** Abandonment of one group. */
export interface AbandonmentLine {
  key: string | null;
  carts: number;
  abandoned_carts: number;
  cart_abandonment_rate: number | null;
  checkouts: number;
  abandoned_checkouts: number;
  checkout_abandonment_rate: number | null;
  /** Sum of add_to_cart values in abandoned carts, per currency (`?` when none was sent). */
  value_left: Record<string, number>;
}

/** The abandonment report's data. */
export interface AbandonmentData {
  count: ReportParams['count'];
  total: AbandonmentLine;
  by?: string;
  groups?: AbandonmentLine[];
}

/** Compute abandonment. */
export async function abandonmentReport(source: ReportSource, p: ReportParams): Promise<AbandonmentData> {
  const { counts, values } = source.summary === true ? await fromSummary(source, p) : await fromSql(source, p);
  const lines = new Map<string | null, AbandonmentLine>();
  const total = emptyLine(null);
  for (const row of counts) {
    const line = lineOf(lines, row.dim ?? null);
    for (const target of [line, total]) {
      target.carts += Number(row.carts);
      target.abandoned_carts += Number(row.abandoned_carts);
      target.checkouts += Number(row.checkouts);
      target.abandoned_checkouts += Number(row.abandoned_checkouts);
    }
  }
  for (const row of values) {
    const cur = row.currency ?? '?';
    for (const target of [lineOf(lines, row.dim ?? null), total]) target.value_left[cur] = (target.value_left[cur] ?? 0) + Number(row.value);
  }
  for (const line of [total, ...lines.values()]) {
    line.cart_abandonment_rate = ratio(line.abandoned_carts, line.carts);
    line.checkout_abandonment_rate = ratio(line.abandoned_checkouts, line.checkouts);
  }
  const data: AbandonmentData = { count: p.count, total };
  if (p.by) {
    data.by = p.by;
    data.groups = [...lines.values()].sort((a, b) => b.carts - a.carts || String(a.key).localeCompare(String(b.key)));
  }
  return data;
}

function emptyLine(key: string | null): AbandonmentLine {
  return { key, carts: 0, abandoned_carts: 0, cart_abandonment_rate: null, checkouts: 0, abandoned_checkouts: 0, checkout_abandonment_rate: null, value_left: {} };
}

function lineOf(lines: Map<string | null, AbandonmentLine>, key: string | null): AbandonmentLine {
  let line = lines.get(key);
  if (!line) lines.set(key, (line = emptyLine(key)));
  return line;
}

/** Per `by` value: units with a cart or a checkout and those abandoned; the value left per currency. */
interface AbandonmentCounts {
  counts: { dim: string | null; carts: unknown; abandoned_carts: unknown; checkouts: unknown; abandoned_checkouts: unknown }[];
  values: { dim: string | null; currency: string | null; value: unknown }[];
}

/** PostgreSQL: the counts in SQL. */
async function fromSql(source: ReportSource, p: ReportParams): Promise<AbandonmentCounts> {
  const d = source.dialect;
  const unit = unitOf(p.count);
  const r = inRange(source, p);
  // One pass per unit: its dimension (first event), whether it added to cart, began checkout, purchased;
  // then the add_to_cart values of abandoned carts per currency.
  const perUnit =
    `SELECT ${unit.keys}, MIN(time) AS first_time, ${p.by ? d.first(DIMENSIONS[p.by]) : 'NULL'} AS dim, ` +
    `SUM(CASE WHEN name = 'add_to_cart' THEN 1 ELSE 0 END) AS carts, SUM(CASE WHEN name = 'begin_checkout' THEN 1 ELSE 0 END) AS checkouts, ` +
    `SUM(CASE WHEN name = ? THEN 1 ELSE 0 END) AS bought FROM ${d.units} WHERE ${r.sql} AND ${unit.where} GROUP BY ${unit.keys}`;
  const u = `u AS (SELECT ${unit.keys}, dim, CASE WHEN carts > 0 THEN 1 ELSE 0 END AS cart, CASE WHEN checkouts > 0 THEN 1 ELSE 0 END AS checkout, CASE WHEN bought > 0 THEN 1 ELSE 0 END AS bought FROM (${perUnit}) x)`;
  const params = [p.purchase, ...r.params];
  const counts = await source.all<{ dim: string | null; carts: unknown; abandoned_carts: unknown; checkouts: unknown; abandoned_checkouts: unknown }>(
    `WITH ${u} SELECT dim, ${d.num('SUM(cart)')} AS carts, ${d.num('SUM(cart * (1 - bought))')} AS abandoned_carts, ` +
      `${d.num('SUM(checkout)')} AS checkouts, ${d.num('SUM(checkout * (1 - bought))')} AS abandoned_checkouts FROM u WHERE cart = 1 OR checkout = 1 GROUP BY dim`,
    params,
  );
  const values = await source.all<{ dim: string | null; currency: string | null; value: unknown }>(
    `WITH ${u}, v AS (SELECT ${unit.keys}, currency, SUM(value) AS value FROM ${d.units} WHERE ${r.sql} AND ${unit.where} AND name = 'add_to_cart' AND value IS NOT NULL GROUP BY ${unit.keys}, currency) ` +
      `SELECT u.dim, v.currency, SUM(v.value) AS value FROM u JOIN v ON ${unit.join('u', 'v')} WHERE u.cart = 1 AND u.bought = 0 GROUP BY u.dim, v.currency`,
    [...params, ...r.params],
  );
  return { counts, values };
}

/**
 * The embedded warehouse: the counts in SQL over the report summary; the value left from the
 * add_to_cart events of the abandoned carts' trails.
 */
async function fromSummary(source: ReportSource, p: ReportParams): Promise<AbandonmentCounts> {
  const u = unitsSql({
    since: p.since,
    until: p.until,
    unit: p.count,
    // Without a split, only the pieces with these events matter.
    ...(p.by ? { by: p.by } : { only: ['add_to_cart', 'begin_checkout', p.purchase] }),
    aggs: [piecesWith('add_to_cart', 'cart'), piecesWith('begin_checkout', 'checkout'), piecesWith(p.purchase, 'bought'), trailsWith(['add_to_cart'])],
    having: { names: ['add_to_cart', 'begin_checkout'] },
  });
  const rows = await source.all<{ dim: string | null; cart: number; checkout: number; bought: number; trails: string | null }>(
    `WITH ${u.sql} SELECT dim, cart > 0 AS cart, checkout > 0 AS checkout, bought > 0 AS bought, CASE WHEN cart > 0 AND bought = 0 THEN trails END AS trails FROM u`,
    u.params,
  );
  const counts = new Map<string | null, { dim: string | null; carts: number; abandoned_carts: number; checkouts: number; abandoned_checkouts: number }>();
  const values = new Map<string, { dim: string | null; currency: string | null; value: number }>();
  const carts = new Set(['add_to_cart']);
  for (const r of rows) {
    let c = counts.get(r.dim);
    if (!c) counts.set(r.dim, (c = { dim: r.dim, carts: 0, abandoned_carts: 0, checkouts: 0, abandoned_checkouts: 0 }));
    c.carts += r.cart;
    c.abandoned_carts += r.cart * (1 - r.bought);
    c.checkouts += r.checkout;
    c.abandoned_checkouts += r.checkout * (1 - r.bought);
    if (r.trails === null) continue;
    for (const e of unitEvents(r.trails, carts)) {
      if (e.value === null) continue;
      const key = JSON.stringify([r.dim, e.currency]);
      const v = values.get(key);
      if (v) v.value += e.value;
      else values.set(key, { dim: r.dim, currency: e.currency, value: e.value });
    }
  }
  return { counts: [...counts.values()], values: [...values.values()] };
}
