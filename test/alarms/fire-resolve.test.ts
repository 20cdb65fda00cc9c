/**
 * Every alarm kind on one simulated timeline: four days of history written, then a week evaluated
 * every 5 minutes with one fault per kind at a known time. Each alarm must fire once, at the right
 * time, say what/since/expected/seen, resolve once when the signal recovers, and nothing else fires.
 */
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { allOn, harness } from './harness.js';
import { DAY, HOUR, MIN, T0, type Fault } from './traffic.js';

const at = (day: number, hour: number) => T0 + day * DAY + hour * HOUR;
// Day 7 is Monday 2026-11-09.
const FAULTS: Record<string, Fault> = {
  'event_stopped:purchase': { from: at(7, 10), to: at(7, 14), rate: { purchase: 0 } },
  'volume_drop:page_view': { from: at(7, 18), to: at(7, 21), rate: { page_view: 0.2 } },
  'volume_spike:add_to_cart': { from: at(8, 11), to: at(8, 13), rate: { add_to_cart: 5 } },
  'plan_violations:': { from: at(8, 16), to: at(8, 18), flagged: 0.5 },
  'consent_denied:': { from: at(9, 10), to: at(9, 12), denied: 0.9 },
  'match_quality:': { from: at(9, 15), to: at(9, 17), matched: 0.1 },
  'destination_failing:ga4': { from: at(10, 10), to: at(10, 11), failing: 0.6 },
};

describe('alarms fire once and resolve once', () => {
  let h: Awaited<ReturnType<typeof harness>>;
  beforeAll(async () => {
    h = await harness({ seed: 11, faults: Object.values(FAULTS), alarms: allOn() });
    await h.fill(at(4, 0));
    await h.run(at(11, 0));
  }, 600_000);
  afterAll(() => h?.close());

  it('fires exactly the injected faults, each once, and resolves each once', () => {
    expect(h.fired.map((a) => a.key).sort()).toEqual(Object.keys(FAULTS).sort());
    expect(h.resolved.map((a) => a.key).sort()).toEqual(Object.keys(FAULTS).sort());
    expect(h.alarms.open()).toEqual([]);
  });

  it('each fires within its fault and resolves after it ends, within an hour and a half', () => {
    for (const [key, fault] of Object.entries(FAULTS)) {
      const fired = h.fired.find((a) => a.key === key)!;
      const resolved = h.resolved.find((a) => a.key === key)!;
      expect(fired.at, key).toBeGreaterThan(fault.from);
      expect(fired.at, key).toBeLessThan(fault.to);
      expect(resolved.at, key).toBeGreaterThan(fault.to);
      expect(resolved.at, key).toBeLessThanOrEqual(fault.to + 90 * MIN);
      expect(resolved.id, key).toBe(fired.id);
    }
  });

  it('event stopped: fires 2 h after the last purchase, says since when, expected and seen', async () => {
    const fault = FAULTS['event_stopped:purchase']!;
    const last = await h.runtime.db.get<{ at: number }>(
      "SELECT MAX(received_at) AS at FROM records WHERE json_extract(data, '$.name') = 'purchase' AND received_at < ?",
      [fault.from],
    );
    const fired = h.fired.find((a) => a.kind === 'event_stopped')!;
    expect(fired.since).toBe(last!.at);
    expect(fired.at).toBeGreaterThanOrEqual(last!.at + 2 * HOUR);
    expect(fired.at).toBeLessThan(last!.at + 2 * HOUR + 5 * MIN + 1);
    expect(fired.seen).toBe(0);
    expect(fired.expected).toBeGreaterThanOrEqual(10);
    const first = await h.runtime.db.get<{ at: number }>(
      "SELECT MIN(received_at) AS at FROM records WHERE json_extract(data, '$.name') = 'purchase' AND received_at >= ?",
      [fault.to],
    );
    const resolved = h.resolved.find((a) => a.kind === 'event_stopped')!;
    // Resolved on the first tick after a purchase arrived again.
    expect(resolved.at).toBeGreaterThan(first!.at);
    expect(resolved.at).toBeLessThanOrEqual(first!.at + 5 * MIN);
  });

  it('volume drop and spike: seen against expected from the same hours of the past days', () => {
    const drop = h.fired.find((a) => a.kind === 'volume_drop')!;
    expect(drop.seen).toBeLessThan(drop.expected * 0.5);
    expect(drop.expected).toBeGreaterThan(100);
    const spike = h.fired.find((a) => a.kind === 'volume_spike')!;
    expect(spike.seen).toBeGreaterThan(spike.expected * 3);
  });

  it('shares: violations and denials jump up, match quality drops, in percent', () => {
    const plan = h.fired.find((a) => a.kind === 'plan_violations')!;
    expect(plan.expected).toBeLessThan(5);
    expect(plan.seen).toBeGreaterThan(12);
    const consent = h.fired.find((a) => a.kind === 'consent_denied')!;
    expect(consent.expected).toBeGreaterThan(25);
    expect(consent.expected).toBeLessThan(35);
    expect(consent.seen).toBeGreaterThan(consent.expected + 20);
    const match = h.fired.find((a) => a.kind === 'match_quality')!;
    expect(match.expected).toBeGreaterThan(55);
    expect(match.seen).toBeLessThan(match.expected - 15);
  });

  it('destination failing: fires within 10 minutes of the first failures', () => {
    const fault = FAULTS['destination_failing:ga4']!;
    const fired = h.fired.find((a) => a.kind === 'destination_failing')!;
    expect(fired.at - fault.from).toBeLessThanOrEqual(10 * MIN);
    expect(fired.seen).toBeGreaterThanOrEqual(20);
  });

  it('logs one warn line per alarm and one info line per resolution, with the words', () => {
    const warns = h.log.lines.filter((l) => l.level === 'warn' && l.msg.startsWith('[tagrelay] ALARM'));
    const infos = h.log.lines.filter((l) => l.level === 'info' && l.msg.startsWith('[tagrelay] RESOLVED'));
    for (const l of [...warns, ...infos]) console.log(l.msg);
    expect(warns).toHaveLength(Object.keys(FAULTS).length);
    expect(infos).toHaveLength(Object.keys(FAULTS).length);
    const stopped = warns.find((l) => l.fields?.kind === 'event_stopped')!;
    expect(stopped.msg).toMatch(/`purchase` stopped arriving: none since 2026-11-09 (09|10):\d\d UTC \(2h \dm\); expected ≈ \d+(\.\d)? in 2h \(same hours, last 7 days\), seen 0\./);
  });
});
