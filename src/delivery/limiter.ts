/**
 * @module A counting semaphore: at most `max` requests in flight to one destination.
 */

/** Runs functions with at most `max` of them pending at once, the rest in arrival order. */
export interface Limiter {
  run<T>(fn: () => Promise<T>): Promise<T>;
  readonly active: number;
}

/**
 * `hold`, asked before each function starts: a promise to wait for first (e.g. until the
 * destination's circuit breaker lets requests through again), or undefined to start now. A request
 * queued behind one that opened the breaker (a 429 with Retry-After) then waits out the cooldown
 * instead of going out right after the refusal.
 *
 * @example
 * const limit = createLimiter(64)
 * await Promise.all(requests.map((r) => limit.run(() => post(r))))
 */
export function createLimiter(max: number, hold: () => Promise<void> | undefined = () => undefined): Limiter {
  const start = async <T>(fn: () => Promise<T>): Promise<T> => {
    for (let wait = hold(); wait; wait = hold()) await wait;
    return fn();
  };
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    const next = waiting.shift();
    if (next) {
      active++;
      next();
    }
  };
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      if (active < max) {
        active++;
        return start(fn).finally(release);
      }
      return new Promise<void>((go) => waiting.push(go)).then(() => start(fn).finally(release));
    },
    get active() {
      return active;
    },
  };
}
