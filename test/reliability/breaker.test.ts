import { describe, expect, it } from 'vitest';
import { classifySend, cooldownFor, createBreaker, type BreakerConfig, type SendOutcome } from '../../src/delivery/breaker.js';
import { deliveryConfigSchema } from '../../src/delivery/config.js';
import type { SendResult } from '../../src/destinations/types.js';

const config: BreakerConfig = { failures: 3, cooldown: 1000, max_cooldown: 10_000 };
const fail: SendOutcome = { kind: 'failure' };
const ok: SendOutcome = { kind: 'success' };

/** A breaker and a clock the test moves by hand. */
function setup(c: BreakerConfig = config) {
  const clock = { now: 1_000_000 };
  return { breaker: createBreaker(c), clock };
}

describe('classifySend', () => {
  const cases: [string, SendResult, SendOutcome][] = [
    ['all delivered', { delivered: [1, 2], retry: [], failed: [] }, ok],
    ['partly delivered, partly retryable', { delivered: [1], retry: [{ id: 2, error: 'x' }], failed: [] }, ok],
    ['all retryable (5xx, timeout, network)', { delivered: [], retry: [{ id: 1, error: 'ga4.http_503' }], failed: [] }, fail],
    [
      'retryable with Retry-After: the largest wins',
      { delivered: [], retry: [{ id: 1, error: '429', retry_after_ms: 2000 }, { id: 2, error: '429', retry_after_ms: 7000 }, { id: 3, error: '503' }], failed: [] },
      { kind: 'failure', retryAfterMs: 7000 },
    ],
    ['only permanent refusals', { delivered: [], retry: [], failed: [{ id: 1, error: 'meta.http_400' }] }, { kind: 'neutral' }],
    ['permanent and retryable, nothing delivered', { delivered: [], retry: [{ id: 1, error: 'x' }], failed: [{ id: 2, error: 'y' }] }, fail],
    ['empty result', { delivered: [], retry: [], failed: [] }, { kind: 'neutral' }],
  ];
  it.each(cases)('%s', (_name, result, expected) => {
    expect(classifySend(result)).toEqual(expected);
  });
});

describe('cooldownFor', () => {
  const cases: [number, number, number][] = [
    // opens, retryAfter, expected
    [1, 0, 1000],
    [2, 0, 2000],
    [3, 0, 4000],
    [4, 0, 8000],
    [5, 0, 10_000], // capped
    [60, 0, 10_000], // no overflow
    [1, 3500, 3500], // Retry-After above the exponential wins
    [3, 3500, 4000], // exponential above Retry-After wins
    [1, 3_600_000, 3_600_000], // Retry-After beyond the cap is still honoured
    [60, 20_000, 20_000],
  ];
  it.each(cases)('opening %i with Retry-After %i ms → %i ms', (opens, retryAfter, expected) => {
    expect(cooldownFor(opens, retryAfter, config)).toBe(expected);
  });
});

describe('createBreaker (fake clock)', () => {
  it('stays closed below the failure threshold, and a success resets the count', () => {
    const { breaker, clock } = setup();
    breaker.record(fail, clock.now);
    breaker.record(fail, clock.now);
    breaker.record(ok, clock.now);
    breaker.record(fail, clock.now);
    breaker.record(fail, clock.now);
    expect(breaker.state).toBe('closed');
    expect(breaker.allow(clock.now)).toBe(true);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutive_failures: 2, opened: 0, open_until: null });
  });

  it('opens after N consecutive failures and refuses until the cooldown has passed', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 3; i++) breaker.record(fail, clock.now);
    expect(breaker.state).toBe('open');
    expect(breaker.snapshot()).toMatchObject({ state: 'open', consecutive_failures: 3, opened: 1, open_until: clock.now + 1000 });
    expect(breaker.allow(clock.now)).toBe(false);
    expect(breaker.allow(clock.now + 999)).toBe(false);
    expect(breaker.state).toBe('open');
    expect(breaker.allow(clock.now + 1000)).toBe(true);
    expect(breaker.state).toBe('half_open');
  });

  it('neutral outcomes neither open nor close it', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 10; i++) breaker.record({ kind: 'neutral' }, clock.now);
    expect(breaker.state).toBe('closed');
    for (let i = 0; i < 3; i++) breaker.record(fail, clock.now);
    clock.now += 1000;
    breaker.allow(clock.now);
    breaker.record({ kind: 'neutral' }, clock.now);
    expect(breaker.state).toBe('half_open');
  });

  it('a successful probe closes it; a failed probe reopens it with a doubled cooldown, capped', () => {
    const { breaker, clock } = setup();
    for (let i = 0; i < 3; i++) breaker.record(fail, clock.now);
    const cooldowns: number[] = [];
    for (let probe = 0; probe < 6; probe++) {
      const until = breaker.snapshot().open_until!;
      cooldowns.push(until - clock.now);
      clock.now = until;
      expect(breaker.allow(clock.now)).toBe(true);
      breaker.record(fail, clock.now);
      expect(breaker.state).toBe('open');
    }
    expect(cooldowns).toEqual([1000, 2000, 4000, 8000, 10_000, 10_000]);
    expect(breaker.snapshot().opened).toBe(7);
    clock.now = breaker.snapshot().open_until!;
    expect(breaker.allow(clock.now)).toBe(true);
    breaker.record(ok, clock.now);
    expect(breaker.snapshot()).toMatchObject({ state: 'closed', consecutive_failures: 0, open_until: null });
    // A new streak starts from the first cooldown again.
    for (let i = 0; i < 3; i++) breaker.record(fail, clock.now);
    expect(breaker.snapshot().open_until! - clock.now).toBe(1000);
  });

  it('honours the largest Retry-After seen in the streak', () => {
    const { breaker, clock } = setup();
    breaker.record({ kind: 'failure', retryAfterMs: 6000 }, clock.now);
    breaker.record({ kind: 'failure', retryAfterMs: 2000 }, clock.now);
    breaker.record(fail, clock.now);
    expect(breaker.snapshot().open_until! - clock.now).toBe(6000);
    expect(breaker.allow(clock.now + 5999)).toBe(false);
    expect(breaker.allow(clock.now + 6000)).toBe(true);
    // After a success the old Retry-After is forgotten.
    breaker.record(ok, clock.now);
    for (let i = 0; i < 3; i++) breaker.record(fail, clock.now);
    expect(breaker.snapshot().open_until! - clock.now).toBe(1000);
  });

  it('with failures: 1 the first failure opens it', () => {
    const { breaker, clock } = setup({ ...config, failures: 1 });
    breaker.record(fail, clock.now);
    expect(breaker.state).toBe('open');
  });
});

describe('delivery config', () => {
  it('defaults: 5 failures, 5 s cooldown, 5 min cap', () => {
    expect(deliveryConfigSchema.parse(undefined).breaker).toEqual({ failures: 5, cooldown: 5000, max_cooldown: 300_000 });
  });
  it('accepts durations and rejects a zero failure threshold', () => {
    expect(deliveryConfigSchema.parse({ breaker: { failures: 2, cooldown: '250ms', max_cooldown: '1m' } }).breaker).toEqual({
      failures: 2,
      cooldown: 250,
      max_cooldown: 60_000,
    });
    expect(deliveryConfigSchema.safeParse({ breaker: { failures: 0 } }).success).toBe(false);
  });
});
