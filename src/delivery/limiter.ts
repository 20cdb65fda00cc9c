/**
 * @module A counting semaphore: at most `max` requests in flight to one destination.
 */

/** Runs functions with at most `max` of them pending at once, the rest in arrival order. */
export interface Limiter {
  run<T>(fn: () => Promise<T>): Promise<T>;
  readonly active: number;
}

/**
 * @example
 * const limit = createLimiter(64)
 * await Promise.all(requests.map((r) => limit.run(() => post(r))))
 */
export function createLimiter(max: number): Limiter {
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
        return fn().finally(release);
      }
      return new Promise<void>((go) => waiting.push(go)).then(() => fn().finally(release));
    },
    get active() {
      return active;
    },
  };
}
