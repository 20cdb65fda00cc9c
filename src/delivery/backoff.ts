/**
 * @module Retry timing: exponential backoff with full jitter (`Retry-After` is parsed by destinations/http.ts).
 */

/**
 * Delay before attempt `attempt` (1-based): uniform in [0, min(max, base·2^(attempt−1))] — "full jitter"
 * (AWS Architecture Blog, Exponential Backoff and Jitter). A server's Retry-After is a floor.
 */
export function backoffDelay(attempt: number, opts: { base: number; max: number; random: () => number; retryAfterMs?: number }): number {
  const cap = Math.min(opts.max, opts.base * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(opts.random() * cap);
  return Math.max(jittered, opts.retryAfterMs ?? 0);
}
