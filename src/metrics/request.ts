/**
 * @module Per request: a request id (the client's `X-Request-Id` when well-formed, else a new one),
 * echoed in the response and carried by the request's log lines, and the request counted by route
 * pattern and status.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger, LogFields } from '../ports.js';
import type { TagrelayMetrics } from './tagrelay.js';

/** Request ids we take from a client: a token of 8–128 safe characters (a UUID, a trace id). */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** The request's id (set by {@link requestMiddleware}). */
export function requestIdOf(c: Context): string | undefined {
  return c.get('requestId' as never) as string | undefined;
}

/** A logger whose lines carry the request's id. */
export function requestLog(c: Context, log: Logger): Logger {
  const id = requestIdOf(c);
  if (!id) return log;
  const at = (fn: Logger['info']) => (msg: string, fields?: LogFields) => fn(msg, { request_id: id, ...fields });
  return { debug: at(log.debug), info: at(log.info), warn: at(log.warn), error: at(log.error) };
}

/**
 * The first middleware: request id in and out, request counted, and (with `accessLog`) one JSON line
 * per request. Requests answered 5xx are always logged with their id.
 */
export function requestMiddleware(deps: { metrics: TagrelayMetrics; log: Logger; randomHex(bytes: number): string; accessLog: boolean }): MiddlewareHandler {
  const { metrics, log } = deps;
  return async (c, next) => {
    const given = c.req.header('x-request-id');
    const id = given !== undefined && WELL_FORMED.test(given) ? given : deps.randomHex(8);
    c.set('requestId' as never, id as never);
    const started = deps.accessLog ? performance.now() : 0;
    await next();
    try {
      c.res.headers.set('x-request-id', id);
    } catch {
      // An immutable response (a proxied script): it goes out without the header.
    }
    // The middleware's own pattern is what an unmatched request reports.
    const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
    const status = c.res.status;
    metrics.request(route, status);
    if (deps.accessLog || status >= 500) {
      const fields = { request_id: id, method: c.req.method, route, status, ...(deps.accessLog ? { ms: Math.round((performance.now() - started) * 10) / 10 } : {}) };
      if (status >= 500) log.warn('request failed', fields);
      else log.info('request', fields);
    }
  };
}
