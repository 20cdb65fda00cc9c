/**
 * @module Bounded waiting for integration tests: poll a condition until it holds or a deadline passes.
 */

/** Options of {@link waitFor}. */
export interface WaitOptions {
  /** Fail after this long (default 10 s). */
  timeoutMs?: number;
  /** Pause between checks (default 25 ms). */
  intervalMs?: number;
}

/**
 * Poll `check` until it returns something other than `undefined`/`false`, and return that value.
 * Throws, naming `what` and the last value seen, once the deadline passes: no wait is unbounded.
 *
 * @example
 * const [hit] = await waitFor('one GA4 request', () => ga4.collected().length === 1 && ga4.collected())
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const intervalMs = opts.intervalMs ?? 25;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    last = await check();
    if (last !== undefined && last !== false) return last as T;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
