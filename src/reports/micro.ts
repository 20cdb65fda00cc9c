/**
 * @module Micro-conversion lift: for every micro-conversion the conversion rules derive, the share of
 * sessions (or users) with it, and the purchase rate of those with it vs those without it. A lift
 * above 1 says the small step predicts purchases.
 */
import { inRange, unitOf } from './common.js';
import type { ReportSource } from './source.js';
import { hasRule, piecesWith, readRules, unitsSql } from './summary.js';
import { ratio, type ReportParams } from './types.js';

/** One micro-conversion's line. */
export interface MicroLine {
  rule_id: string;
  /** The event name the rule emits. */
  name: string;
  /** Units with the micro-conversion. */
  with: number;
  /** with / all units. */
  rate: number | null;
  purchases_with: number;
  purchases_without: number;
  purchase_rate_with: number | null;
  purchase_rate_without: number | null;
  /** purchase_rate_with / purchase_rate_without. */
  lift: number | null;
}

/** The micro report's data. */
export interface MicroData {
  count: ReportParams['count'];
  purchase: string;
  units: number;
  purchasing_units: number;
  micro: MicroLine[];
}

/** The rules a report lists even when they never fired (from the `conversions` config). */
export interface MicroRule {
  id: string;
  name: string;
}

/**
 * Compute micro-conversion lift. `rules`: the configured micro rules (listed even with no event);
 * rules seen in the warehouse but no longer configured are listed too.
 */
export async function microReport(source: ReportSource, p: ReportParams, rules: readonly MicroRule[] = []): Promise<MicroData> {
  const { all, bought, lines } = source.summary === true ? await fromSummary(source, p) : await fromSql(source, p);
  const seen = new Map(lines.map((l) => [l.rule_id, l]));
  const ids = [...new Set([...rules.map((x) => x.id), ...lines.map((l) => l.rule_id)])];
  return {
    count: p.count,
    purchase: p.purchase,
    units: all,
    purchasing_units: bought,
    micro: ids.map((id) => {
      const l = seen.get(id);
      const withN = Number(l?.n ?? 0);
      const withBought = Number(l?.bought ?? 0);
      const rateWith = ratio(withBought, withN);
      const rateWithout = ratio(bought - withBought, all - withN);
      return {
        rule_id: id,
        name: rules.find((x) => x.id === id)?.name ?? l!.name,
        with: withN,
        rate: ratio(withN, all),
        purchases_with: withBought,
        purchases_without: bought - withBought,
        purchase_rate_with: rateWith,
        purchase_rate_without: rateWithout,
        lift: rateWith === null || rateWithout === null || rateWithout === 0 ? null : rateWith / rateWithout,
      };
    }),
  };
}

/** Per rule: units with it (`n`), of which bought; and every unit and the buyers among them. */
interface MicroCounts {
  all: number;
  bought: number;
  lines: { rule_id: string; name: string; n: unknown; bought: unknown }[];
}

/** PostgreSQL: the counts in SQL. */
async function fromSql(source: ReportSource, p: ReportParams): Promise<MicroCounts> {
  const d = source.dialect;
  const unit = unitOf(p.count);
  const r = inRange(source, p);
  const units = `u AS (SELECT ${unit.keys}, MAX(CASE WHEN name = ? THEN 1 ELSE 0 END) AS bought FROM ${d.units} WHERE ${r.sql} AND ${unit.where} GROUP BY ${unit.keys})`;
  const micro = `m AS (SELECT rule_id, ${unit.keys}, MIN(name) AS name FROM ${d.units} WHERE ${r.sql} AND ${unit.where} AND kind = 'micro' AND rule_id IS NOT NULL GROUP BY rule_id, ${unit.keys})`;
  const [totals] = await source.all<{ units: unknown; bought: unknown }>(
    `WITH ${units} SELECT ${d.num('COUNT(*)')} AS units, ${d.num('COALESCE(SUM(bought), 0)')} AS bought FROM u`,
    [p.purchase, ...r.params],
  );
  const lines = await source.all<{ rule_id: string; name: string; n: unknown; bought: unknown }>(
    `WITH ${units}, ${micro} SELECT m.rule_id, MIN(m.name) AS name, ${d.num('COUNT(*)')} AS n, ${d.num('SUM(u.bought)')} AS bought FROM m JOIN u ON ${unit.join('m', 'u')} GROUP BY m.rule_id`,
    [p.purchase, ...r.params, ...r.params],
  );
  return { all: Number(totals?.units ?? 0), bought: Number(totals?.bought ?? 0), lines };
}

/** The embedded warehouse: the counts in SQL over the report summary (a unit has a rule when its trail holds it). */
async function fromSummary(source: ReportSource, p: ReportParams): Promise<MicroCounts> {
  const rules = await readRules(source, p.since, p.until);
  const u = unitsSql({
    since: p.since,
    until: p.until,
    unit: p.count,
    aggs: [piecesWith(p.purchase, 'b'), ...rules.map((r, i) => ({ sql: `SUM(instr(trail, ?) > 0) AS r${i}`, params: [hasRule(r.rule)] }))],
  });
  const per = rules.map((_, i) => `, SUM(r${i} > 0) AS n${i}, SUM(r${i} > 0 AND b > 0) AS b${i}`).join('');
  const [row] = await source.all<Record<string, number | null>>(`WITH ${u.sql} SELECT COUNT(*) AS units, SUM(b > 0) AS bought${per} FROM u`, u.params);
  return {
    all: Number(row?.units ?? 0),
    bought: Number(row?.bought ?? 0),
    lines: rules.map((r, i) => ({ rule_id: r.rule, name: r.name, n: Number(row?.[`n${i}`] ?? 0), bought: Number(row?.[`b${i}`] ?? 0) })).filter((l) => l.n > 0),
  };
}
