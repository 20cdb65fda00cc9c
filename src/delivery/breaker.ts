/**
 * @module Circuit breaker per destination: stop calling a vendor that keeps failing, probe it after a cooldown.
 */
import type { SendResult } from '../destinations/types.js';

/** Breaker settings (delivery config `breaker`); durations in ms. */
export interface BreakerConfig {
  /** Consecutive failed sends that open the breaker. */
  failures: number;
  /** First cooldown; doubles each time a probe fails. */
  cooldown: number;
  /** Longest exponential cooldown (a longer Retry-After still wins). */
  max_cooldown: number;
}

/** `closed`: sending; `open`: not sending until `open_until`; `half_open`: the next send is a probe. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** What a send told the breaker about the destination (see {@link classifySend}). */
export type SendOutcome =
  | { kind: 'success' }
  | { kind: 'failure'; retryAfterMs?: number }
  /** The vendor only refused items permanently (or none were sent): says nothing about its health. */
  | { kind: 'neutral' };

/** A breaker's state for stats, metrics and the admin API. */
export interface BreakerSnapshot {
  state: BreakerState;
  consecutive_failures: number;
  /** Times the breaker opened since the process started. */
  opened: number;
  /** Epoch ms when an open breaker lets a probe through; `null` unless open. */
  open_until: number | null;
}

/** One destination's breaker. All methods take the current time, so tests drive it with a fake clock. */
export interface Breaker {
  /**
   * May the worker send now? An open breaker whose cooldown has passed turns half-open and says yes:
   * the caller sends one batch as the probe and reports it with {@link Breaker.record}.
   */
  allow(now: number): boolean;
  /** Feed the outcome of a send. */
  record(outcome: SendOutcome, now: number): void;
  readonly state: BreakerState;
  /** Epoch ms when an open breaker lets the next probe through (0 unless open). */
  readonly openUntil: number;
  snapshot(): BreakerSnapshot;
}

/**
 * Classify one send for the breaker. Any delivered item proves the vendor is up; a send whose items
 * all came back retryable (network error, timeout, 429, 5xx, or a thrown send) is a failure and carries
 * the largest Retry-After it saw; permanent refusals alone are neutral (the vendor answered).
 */
export function classifySend(result: SendResult): SendOutcome {
  if (result.delivered.length > 0) return { kind: 'success' };
  if (result.retry.length === 0) return { kind: 'neutral' };
  const afters = result.retry.map((r) => r.retry_after_ms).filter((v): v is number => v !== undefined);
  return afters.length > 0 ? { kind: 'failure', retryAfterMs: Math.max(...afters) } : { kind: 'failure' };
}

/**
 * Cooldown after the `opens`-th consecutive opening (1-based): `cooldown · 2^(opens−1)` capped at
 * `max_cooldown`, but never shorter than the largest Retry-After seen in this failure streak: the
 * vendor asked us to stay away that long (RFC 9110 §10.2.3), so not even a probe goes earlier.
 */
export function cooldownFor(opens: number, retryAfterMs: number, config: BreakerConfig): number {
  const exponential = Math.min(config.max_cooldown, config.cooldown * 2 ** Math.max(0, Math.min(opens - 1, 30)));
  return Math.max(exponential, retryAfterMs);
}

/**
 * @example
 * const breaker = createBreaker({ failures: 5, cooldown: 5000, max_cooldown: 300_000 })
 * if (breaker.allow(now())) breaker.record(classifySend(await send(batch)), now())
 */
export function createBreaker(config: BreakerConfig): Breaker {
  let state: BreakerState = 'closed';
  let failures = 0;
  /** Openings since the last success: drives the exponential cooldown. */
  let streakOpens = 0;
  let largestRetryAfter = 0;
  let openUntil = 0;
  let opened = 0;

  function open(now: number): void {
    streakOpens++;
    opened++;
    state = 'open';
    openUntil = now + cooldownFor(streakOpens, largestRetryAfter, config);
  }

  return {
    get state() {
      return state;
    },
    get openUntil() {
      return state === 'open' ? openUntil : 0;
    },
    allow(now) {
      if (state !== 'open') return true;
      if (now < openUntil) return false;
      state = 'half_open';
      return true;
    },
    record(outcome, now) {
      if (outcome.kind === 'neutral') return;
      if (outcome.kind === 'success') {
        state = 'closed';
        failures = 0;
        streakOpens = 0;
        largestRetryAfter = 0;
        return;
      }
      failures++;
      largestRetryAfter = Math.max(largestRetryAfter, outcome.retryAfterMs ?? 0);
      // A failed probe reopens at once, with a longer cooldown. Sends still in flight when the breaker
      // opened report their failures later: they do not reopen it (or double its cooldown) again.
      if (state === 'half_open' || (state === 'closed' && failures >= config.failures)) open(now);
    },
    snapshot() {
      return {
        state,
        consecutive_failures: failures,
        opened,
        open_until: state === 'open' ? openUntil : null,
      };
    },
  };
}
