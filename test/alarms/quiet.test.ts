import { describe, expect, it } from 'vitest';
import { allOn, harness } from './harness.js';
import { DAY, T0 } from './traffic.js';

describe('alarms on a normal week', () => {
  it('stay quiet with every kind on: diurnal traffic with noise, a week of history, then a week evaluated every 5 minutes', async () => {
    const h = await harness({ seed: 7, alarms: allOn() });
    await h.fill(T0 + 7 * DAY);
    await h.run(T0 + 14 * DAY);
    expect(h.fired.map((a) => `${a.key} at ${new Date(a.at).toISOString()}: ${a.seen} vs ${a.expected}`)).toEqual([]);
    expect(h.alarms.open()).toEqual([]);
    // Quiet because everything was judged normal, not because nothing was judged: every tick had
    // a week of history, and every kind was judged "ok" on most ticks.
    expect(h.ticks.length).toBe(7 * 288);
    // (The first 2 hours' 2-hour windows reach 7 days back to before the first record: 6 days there.)
    expect(h.ticks.every((t) => t.evaluated && t.days >= 6)).toBe(true);
    expect(h.ticks.filter((t) => t.days === 7).length).toBeGreaterThan(h.ticks.length - 30);
    const ok = new Map<string, number>();
    for (const t of h.ticks) for (const c of t.conditions) if (c.state === 'ok') ok.set(c.kind, (ok.get(c.kind) ?? 0) + 1);
    for (const kind of ['event_stopped', 'volume_drop', 'volume_spike', 'plan_violations', 'consent_denied', 'match_quality', 'destination_failing']) {
      expect(ok.get(kind) ?? 0, kind).toBeGreaterThan(h.ticks.length / 2);
    }
    await h.close();
  }, 600_000);
});
