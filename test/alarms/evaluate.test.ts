/**
 * The pure alarm conditions, as tables of cases: what fires, what resolves, what stays undecided.
 */
import { describe, expect, it } from 'vitest';
import { evaluate, type AlarmInputs } from '../../src/alarms/evaluate.js';
import { alarmsConfigSchema } from '../../src/alarms/config.js';
import { firingText, resolvedText, span } from '../../src/alarms/message.js';

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const config = alarmsConfigSchema.parse({ volume: { enabled: true }, plan_violations: { enabled: true }, consent_denied: { enabled: true }, match_quality: { enabled: true } });

function inputs(over: Partial<AlarmInputs> = {}): AlarmInputs {
  const flat = (now: number, past: number) => [now, ...new Array<number>(7).fill(past)];
  return {
    now: NOW,
    days: 7,
    lastSeen: new Map([['purchase', NOW - 10 * 60_000]]),
    stopped: () => flat(0, 20),
    volume: () => flat(100, 100),
    shares: {
      plan_violations: { num: flat(2, 2), den: flat(100, 100) },
      consent_denied: { num: flat(30, 30), den: flat(100, 100) },
      match_quality: { num: flat(60, 60), den: flat(100, 100) },
    },
    destinations: new Map([['ga4', { delivered: 100, retrying: 0, dead: 0 }]]),
    ...over,
  };
}
const state = (i: AlarmInputs, key: string) => evaluate(i, config).find((c) => c.key === key)?.state;
const flat = (now: number, past: number) => [now, ...new Array<number>(7).fill(past)];

describe('event_stopped', () => {
  it.each([
    ['seen 10 min ago', NOW - 10 * 60_000, 20, 'ok'],
    ['silent 2 h, 20 expected', NOW - 2 * HOUR, 20, 'firing'],
    ['silent 2 h, 9 expected (below the floor of 10)', NOW - 2 * HOUR, 9, 'unknown'],
    ['silent 1h59, 20 expected', NOW - 2 * HOUR + 60_000, 20, 'ok'],
    ['silent 9 days (retired name)', NOW - 9 * 24 * HOUR, 20, 'ok'],
  ] as const)('%s → %s', (_, last, expected, want) => {
    expect(state(inputs({ lastSeen: new Map([['purchase', last]]), stopped: () => flat(0, expected) }), 'event_stopped:purchase')).toBe(want);
  });
  it('needs min_history_days of history', () => {
    expect(state(inputs({ days: 2, lastSeen: new Map([['purchase', NOW - 3 * HOUR]]) }), 'event_stopped:purchase')).toBe('unknown');
  });
  it('ignores names outside events / in ignore_events', () => {
    const only = alarmsConfigSchema.parse({ ignore_events: ['purchase'] });
    expect(evaluate(inputs({ lastSeen: new Map([['purchase', NOW - 3 * HOUR]]) }), only)).toEqual([expect.objectContaining({ kind: 'destination_failing' })]);
  });
});

describe('volume', () => {
  it.each([
    [100, 100, 'ok', 'ok'],
    [40, 100, 'firing', 'ok'],
    [70, 100, 'unknown', 'ok'],
    [320, 100, 'ok', 'firing'],
    [5, 10, 'unknown', 'ok'], // expected below min_expected 20: drops not judged
    [70, 10, 'unknown', 'firing'], // spike floor: 3 × max(10, 20) = 60
    [50, 10, 'unknown', 'unknown'], // between the spike's fire (60) and resolve (40) lines
  ] as const)('seen %d vs expected %d → drop %s, spike %s', (seen, expected, drop, spike) => {
    const i = inputs({ volume: () => flat(seen, expected) });
    expect([state(i, 'volume_drop:purchase'), state(i, 'volume_spike:purchase')]).toEqual([drop, spike]);
  });
  it('a noisy history widens the band: the same drop is not significant', () => {
    const noisy = [45, 100, 20, 180, 40, 160, 60, 140];
    expect(state(inputs({ volume: () => noisy }), 'volume_drop:purchase')).toBe('unknown');
  });
});

describe('shares', () => {
  it.each([
    ['consent_denied', flat(30, 30), flat(100, 100), 'ok'],
    ['consent_denied', flat(60, 30), flat(100, 100), 'firing'],
    ['consent_denied', flat(45, 30), flat(100, 100), 'unknown'],
    ['consent_denied', flat(30, 30), flat(40, 100), 'unknown'], // too few events
    ['match_quality', flat(20, 60), flat(100, 100), 'firing'],
    ['match_quality', flat(70, 60), flat(100, 100), 'ok'],
    ['plan_violations', flat(20, 2), flat(100, 100), 'firing'],
    ['plan_violations', flat(2, 2), flat(100, 100), 'ok'],
  ] as const)('%s %j of %j → %s', (kind, num, den, want) => {
    const base = inputs();
    expect(state(inputs({ shares: { ...base.shares, [kind]: { num, den } } }), `${kind}:`)).toBe(want);
  });
  it('the same jump on few events is within sampling noise', () => {
    const base = inputs();
    // 17 points up (20 % → 37 %) on 60 events: 3.2 standard errors, below z = 4; on 600 events, 10.
    const cfg = alarmsConfigSchema.parse({ consent_denied: { enabled: true, threshold: 0.15 } });
    const judge = (num: number, den: number) =>
      evaluate(inputs({ shares: { ...base.shares, consent_denied: { num: [num, ...new Array(7).fill(den / 5)], den: [den, ...new Array(7).fill(den)] } } }), cfg).find(
        (c) => c.kind === 'consent_denied',
      )?.state;
    expect(judge(22, 60)).toBe('unknown');
    expect(judge(220, 600)).toBe('firing');
  });
});

describe('destination_failing', () => {
  it.each([
    [{ delivered: 100, retrying: 0, dead: 0 }, 'ok'],
    [{ delivered: 70, retrying: 30, dead: 0 }, 'firing'],
    [{ delivered: 94, retrying: 0, dead: 6 }, 'firing'],
    [{ delivered: 85, retrying: 15, dead: 0 }, 'unknown'],
    [{ delivered: 0, retrying: 10, dead: 0 }, 'unknown'], // fewer than min_outcomes
  ])('%j → %s', (counts, want) => {
    expect(state(inputs({ destinations: new Map([['ga4', counts]]) }), 'destination_failing:ga4')).toBe(want);
  });
});

describe('messages', () => {
  it('say what, since when, expected and seen; escape wire text for Slack', () => {
    const a = { id: 1, key: 'event_stopped:<b>', kind: 'event_stopped' as const, subject: '<b>&', since: NOW - 2 * HOUR - 5 * 60_000, opened_at: NOW, expected: 12.5, seen: 0, window: 2 * HOUR, detail: 'same hours, last 7 days' };
    expect(firingText(a)).toBe('[tagrelay] ALARM event_stopped: `&lt;b&gt;&amp;` stopped arriving: none since 2026-11-23 09:55 UTC (2h 5m); expected ≈ 12.5 in 2h (same hours, last 7 days), seen 0.');
    expect(resolvedText({ ...a, resolved_at: NOW + 30 * 60_000 }, { seen: 1, expected: 3 })).toBe(
      '[tagrelay] RESOLVED event_stopped: `&lt;b&gt;&amp;` arriving again at 2026-11-23 12:30 UTC; open 30m (fired 2026-11-23 12:00 UTC).',
    );
    expect([span(0), span(59 * 60_000), span(HOUR), span(49 * HOUR)]).toEqual(['0m', '59m', '1h', '2d 1h']);
  });
});
