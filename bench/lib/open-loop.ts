/**
 * @module Open-loop HTTP load at a fixed rate: send times on a fixed clock, latency from the scheduled send time (coordinated omission is not hidden).
 */
import { Pool } from 'undici';
import { EVENT_HEADERS, visitorBody, visitorTemplate } from './event.js';

export interface OpenLoopOptions {
  /** Requests per second, one event each. */
  rate: number;
  seconds: number;
  /** Alphanumeric label that makes this run's visitors and event ids distinct from every other run's. */
  run: string;
  /** Keep-alive connections the pool may open (requests beyond wait in the pool's queue, on the clock). */
  connections: number;
  /** Requests still unanswered this long after the end of the schedule are abandoned and counted as timeouts. */
  timeoutMs: number;
  /**
   * Called once per request when it ends: its number n (the visitor of `visitorBody(parts, n)`), the
   * HTTP status (0: a connection error or timeout) and the latency from its scheduled send time.
   */
  onAnswer?: (n: number, status: number, latencyMs: number) => void;
}

/** What one open-loop run saw; latencies in ms from the scheduled send time. */
export interface OpenLoopResult {
  offered: number;
  ok: number;
  non2xx: number;
  /** Connection errors and the like (not timeouts). */
  errors: number;
  /** Requests abandoned when the deadline (`timeoutMs` after the end of the schedule) came. */
  timeouts: number;
  /** Latencies of every answered request, sorted; failed and abandoned ones are not in here (see `percentileAll`). */
  latencies: Float64Array;
  /** How late this process put each request on the wire versus its scheduled time (ms, sorted). */
  sendLag: Float64Array;
  /** Seconds from the first scheduled send to the last answer (or abandonment). */
  elapsed: number;
  /** performance.now() of the end of the send schedule. */
  scheduleEnd: number;
  codes: Record<string, number>;
  /** CPU µs this whole process spent per offered request during the run (the generator's own cost). */
  cpuPerRequest: number;
  /** The p-th percentile over all offered requests, a failed or abandoned one counting as Infinity. */
  percentileAll(p: number): number;
}

/**
 * Offer `rate` POST /v1/events per second for `seconds` seconds, each a distinct visitor. A timer
 * sends every request whose time has come (setTimeout ticks ~1 ms apart, so the lag of this process
 * is part of the latency and reported as `sendLag`); nothing waits for earlier answers.
 *
 * @example
 * const r = await openLoop('http://127.0.0.1:8080', { rate: 1500, seconds: 10, run: 'rate', connections: 128, timeoutMs: 10_000 })
 */
export async function openLoop(url: string, o: OpenLoopOptions): Promise<OpenLoopResult> {
  const pool = new Pool(url, { connections: o.connections, pipelining: 1, keepAliveTimeout: 30_000, headersTimeout: o.timeoutMs, bodyTimeout: o.timeoutMs });
  const parts = visitorTemplate(o.run);
  const total = Math.round(o.rate * o.seconds);
  const interval = 1000 / o.rate;
  const latencies: number[] = [];
  const sendLag: number[] = [];
  const codes: Record<string, number> = {};
  let ok = 0;
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let lastDone = 0;
  const pending: Promise<void>[] = [];
  let abandoned = false;

  const fire = (n: number, scheduled: number): void => {
    sendLag.push(performance.now() - scheduled);
    pending.push(
      pool
        .request({ path: '/v1/events', method: 'POST', headers: EVENT_HEADERS, body: visitorBody(parts, n) })
        .then(async (res) => {
          await res.body.dump();
          const done = performance.now();
          latencies.push(done - scheduled);
          lastDone = Math.max(lastDone, done);
          codes[res.statusCode] = (codes[res.statusCode] ?? 0) + 1;
          if (res.statusCode >= 200 && res.statusCode < 300) ok++;
          else non2xx++;
          o.onAnswer?.(n, res.statusCode, done - scheduled);
        })
        .catch((err: Error & { code?: string }) => {
          lastDone = Math.max(lastDone, performance.now());
          const timedOut = abandoned || /TIMEOUT/.test(err.code ?? '');
          if (timedOut) timeouts++;
          else errors++;
          const key = timedOut ? 'timeout' : (err.code ?? err.name);
          codes[key] = (codes[key] ?? 0) + 1;
          o.onAnswer?.(n, 0, performance.now() - scheduled);
        }),
    );
  };

  const cpu = process.cpuUsage();
  const start = performance.now() + 5;
  await new Promise<void>((done) => {
    let next = 0;
    const tick = (): void => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        fire(next, start + next * interval);
        next++;
      }
      if (next >= total) return done();
      setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
    };
    tick();
  });
  const scheduleEnd = start + total * interval;
  // One deadline for the run instead of a timer per request (an AbortSignal.timeout per request
  // costs this process measurable CPU): what is unanswered then is abandoned by destroying the pool.
  const deadline = setTimeout(() => {
    abandoned = true;
    void pool.destroy();
  }, Math.max(0, scheduleEnd + o.timeoutMs - performance.now()));
  await Promise.all(pending);
  clearTimeout(deadline);
  if (!abandoned) await pool.close();
  const used = process.cpuUsage(cpu);

  const sorted = Float64Array.from(latencies).sort();
  return {
    offered: total,
    ok,
    non2xx,
    errors,
    timeouts,
    latencies: sorted,
    sendLag: Float64Array.from(sendLag).sort(),
    elapsed: (Math.max(lastDone, scheduleEnd) - start) / 1000,
    scheduleEnd,
    codes,
    cpuPerRequest: (used.user + used.system) / total,
    percentileAll(p) {
      // Failed and abandoned requests are the slowest of all: rank among every offered request.
      const rank = Math.min(total - 1, Math.max(0, Math.ceil((p / 100) * total) - 1));
      return rank < sorted.length ? sorted[rank]! : Infinity;
    },
  };
}
