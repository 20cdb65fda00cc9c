/**
 * @module Retry timing: exponential backoff with full jitter, and `Retry-After` parsing.
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

/** `Retry-After` as seconds or an HTTP date → milliseconds from `now` (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
