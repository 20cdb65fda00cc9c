/**
 * One suite, run on each warehouse: every report over a generated data set equals the truth the
 * generator's model gives (truth.ts). SQLite and PostgreSQL run the same assertions.
 */
import { expect, it } from 'vitest';
import { runReport, parseReportParams, type ReportSource, type ReportName, type RawParams } from '../../src/reports/index.js';
import type { AbandonmentData, CohortsData, FunnelData, MicroData, RevenueData } from '../../src/reports/index.js';
import { MICRO_RULES, type Dataset } from './generator.js';
import { abandonmentTruth, cohortsTruth, coverageTruth, funnelTruth, microTruth, revenueTruth } from './truth.js';

export function reportSuite(get: () => { source: ReportSource; ds: Dataset }): void {
  const run = async (name: ReportName, raw: RawParams = {}) => {
    const { source, ds } = get();
    const params = parseReportParams(name, { since: String(ds.since), until: String(ds.until), ...raw }, ds.until);
    return runReport(source, name, params, { now: ds.until, microRules: MICRO_RULES });
  };

  it('every report states the consent coverage of its range', async () => {
    const { ds } = get();
    const truth = coverageTruth(ds);
    expect(truth.anonymized).toBeGreaterThan(0);
    expect(truth.cookieless).toBeGreaterThan(0);
    for (const name of ['funnel', 'micro', 'abandonment', 'revenue', 'cohorts'] as const) expect((await run(name)).coverage).toEqual(truth);
  });

  for (const variant of [
    { label: 'sessions', raw: {}, o: { count: 'sessions' as const } },
    { label: 'users within a session', raw: { count: 'users' }, o: { count: 'users' as const } },
    { label: 'users within 7 days', raw: { count: 'users', within: '7d' }, o: { count: 'users' as const, withinDays: 7 } },
    { label: 'sessions by channel', raw: { by: 'channel' }, o: { count: 'sessions' as const, by: 'channel' as const } },
    { label: 'users within 3 days by device', raw: { count: 'users', within: '3d', by: 'device' }, o: { count: 'users' as const, withinDays: 3, by: 'device' as const } },
    { label: 'custom steps by campaign', raw: { steps: 'page_view,add_to_cart,purchase', by: 'campaign' }, o: { count: 'sessions' as const, by: 'campaign' as const, steps: ['page_view', 'add_to_cart', 'purchase'] } },
  ]) {
    it(`funnel: ${variant.label}`, async () => {
      const { ds } = get();
      const steps = variant.o.steps ?? ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'];
      const truth = funnelTruth(ds, { ...variant.o, steps });
      const data = (await run('funnel', variant.raw)).data as FunnelData;
      expect(truth.total[0]!.count).toBeGreaterThan(20);
      expect(truth.total.at(-1)!.count).toBeGreaterThan(0);
      expect(data.total).toEqual(truth.total);
      if (variant.o.by) {
        expect(new Map(data.groups!.map((g) => [g.key, g.steps]))).toEqual(truth.groups);
        expect(truth.groups.size).toBeGreaterThan(1);
      }
    });
  }

  for (const count of ['sessions', 'users'] as const) {
    it(`micro: rate and purchase lift per rule (${count})`, async () => {
      const { ds } = get();
      const ids = MICRO_RULES.map((r) => r.id);
      const truth = microTruth(ds, count, ids);
      const data = (await run('micro', { count })).data as MicroData;
      expect(data.units).toBe(truth.units);
      expect(data.purchasing_units).toBe(truth.purchasing_units);
      expect(data.micro.map(({ name: _n, ...l }) => l)).toEqual(truth.lines);
      expect(data.micro.find((m) => m.rule_id === 'pricing')!.lift).toBeGreaterThan(1);
      expect(data.micro.find((m) => m.rule_id === 'never_fired')).toMatchObject({ with: 0, rate: 0, name: 'chat_opened' });
    });
  }

  it('abandonment: carts, checkouts, value left (total and by country)', async () => {
    const { ds } = get();
    const truth = abandonmentTruth(ds, 'sessions', 'country');
    const data = (await run('abandonment', { by: 'country' })).data as AbandonmentData;
    const strip = (l: { carts: number; abandoned_carts: number; checkouts: number; abandoned_checkouts: number; value_left: Record<string, number> }) => ({
      carts: l.carts,
      abandoned_carts: l.abandoned_carts,
      checkouts: l.checkouts,
      abandoned_checkouts: l.abandoned_checkouts,
      value_left: l.value_left.EUR ?? 0,
    });
    expect(strip(data.total)).toEqual(truth.total);
    expect(data.total.cart_abandonment_rate).toBe(truth.total.abandoned_carts / truth.total.carts);
    expect(data.total.checkout_abandonment_rate).toBe(truth.total.abandoned_checkouts / truth.total.checkouts);
    expect(new Map(data.groups!.map((g) => [g.key, strip(g)]))).toEqual(truth.lines);
    expect(truth.total.value_left).toBeGreaterThan(0);
  });

  it('revenue: by day, by campaign, repeat purchases, time to first purchase', async () => {
    const { ds } = get();
    const truth = revenueTruth(ds, 'campaign');
    const data = (await run('revenue', { by: 'campaign' })).data as RevenueData;
    expect(data.total).toMatchObject({ orders: truth.orders, revenue: truth.revenue, orders_anonymized: truth.orders_anonymized, sessions: truth.sessions, converting_sessions: truth.converting_sessions });
    expect(data.total.aov).toBe(truth.revenue / truth.orders);
    expect(data.total.conversion_rate).toBe(truth.converting_sessions / truth.sessions);
    expect(truth.orders_anonymized).toBeGreaterThan(0);
    const pick = (l: { revenue: number; orders: number; sessions: number; converting_sessions: number }) => ({ revenue: l.revenue, orders: l.orders, sessions: l.sessions, converting_sessions: l.converting_sessions });
    expect(new Map(data.by_day.map((l) => [l.key, pick(l)]))).toEqual(truth.byDay);
    expect(new Map(data.groups.map((l) => [l.key, pick(l)]))).toEqual(truth.groups);
    expect(data.unattributed.orders).toBe(truth.unattributed_orders);
    expect(data.purchasers).toBe(truth.purchasers);
    expect(data.repeat_purchasers).toBe(truth.repeat_purchasers);
    expect(truth.repeat_purchasers).toBeGreaterThan(0);
    expect(data.median_ms_to_first_purchase).toBe(truth.median_ms_to_first_purchase);
  });

  it('cohorts: weekly retention of first-visit cohorts', async () => {
    const { ds } = get();
    const truth = cohortsTruth(ds);
    const data = (await run('cohorts')).data as CohortsData;
    expect(new Map(data.cohorts.map((c) => [c.week, c.active]))).toEqual(new Map([...truth.entries()].map(([k, a]) => [k, Array.from({ length: a.length }, (_, i) => a[i] ?? 0)])));
    expect(data.cohorts.length).toBeGreaterThanOrEqual(4);
    for (const c of data.cohorts) expect(c.retention[0]).toBe(1);
  });
}

/**
 * The same data set over a range that starts and ends inside an hour (and inside sessions): the
 * embedded warehouse reads its summary for the whole hours and the rows of the two partial hours.
 */
export function cutRange(ds: Dataset): Dataset {
  return { ...ds, since: ds.since + 3.5 * 86_400_000 + 17 * 60_000 + 3_001, until: ds.until - 2 * 86_400_000 - 41 * 60_000 - 999 };
}
