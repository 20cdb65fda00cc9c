/**
 * @module Per request: a request id (the client's `X-Request-Id` when well-formed, else a new one),
 * echoed in the response and carried by the request's log lines, and the request counted by route
 * pattern and status. It wraps the app's `fetch` rather than adding a Hono middleware: a middleware
 * takes every request off Hono's single-handler fast path.
 */
import type { Context, Hono } from 'hono';
import type { Logger, LogFields } from '../ports.js';
import type { TagrelayMetrics } from './tagrelay.js';

/** Request ids we take from a client: a token of 8–128 safe characters (a UUID, a trace id). */
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:-]{7,127}$/;

/** The id of each request in flight (the Request object Hono's context holds). */
const ids = new WeakMap<Request, string>();

/** The request's id (set by {@link observeRequests}). */
export function requestIdOf(c: Context): string | undefined {
  return ids.get(c.req.raw);
}

/** A logger whose lines carry the request's id. */
export function requestLog(c: Context, log: Logger): Logger {
  const id = requestIdOf(c);
  if (!id) return log;
  const at = (fn: Logger['info']) => (msg: string, fields?: LogFields) => fn(msg, { request_id: id, ...fields });
  return { debug: at(log.debug), info: at(log.info), warn: at(log.warn), error: at(log.error) };
}

/** Route patterns of the app, resolved once: static paths by lookup, patterns with parameters by regex. */
function routeResolver(app: Hono): (path: string, status: number) => string {
  let exact: Set<string> | undefined;
  let patterns: { re: RegExp; path: string }[] = [];
  return (path, status) => {
    if (!exact) {
      exact = new Set();
      const seen = new Set<string>();
      for (const r of app.routes) {
        if (r.method === 'ALL' || seen.has(r.path)) continue;
        seen.add(r.path);
        if (!/[:*]/.test(r.path)) exact.add(r.path);
        else {
          const source = r.path
            .split(/(:[A-Za-z0-9_]+(?:\{[^}]*\})?|\*)/)
            .map((part) => (part === '*' ? '.*' : part.startsWith(':') ? (/\{(.*)\}$/.exec(part)?.[1] ?? '[^/]+') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
            .join('');
          patterns.push({ re: new RegExp(`^${source}$`), path: r.path });
        }
      }
      patterns = patterns.filter((p) => p.path !== '/*');
    }
    if (exact.has(path)) return path;
    for (const p of patterns) if (p.re.test(path)) return p.path;
    return status === 404 ? 'unmatched' : 'other';
  };
}

/**
 * Wrap `app.fetch` (and so `app.request`): request id in and out, the request counted, and (with
 * `accessLog`) one JSON line per request. Requests answered 5xx are always logged with their id.
 */
export function observeRequests(app: Hono, deps: { metrics: TagrelayMetrics; log: Logger; randomHex(bytes: number): string; accessLog: boolean }): void {
  const { metrics, log } = deps;
  const inner = app.fetch;
  const routeOf = routeResolver(app);
  app.fetch = async (request, env, ctx) => {
    const given = request.headers.get('x-request-id');
    const id = given !== null && WELL_FORMED.test(given) ? given : deps.randomHex(8);
    ids.set(request, id);
    const started = deps.accessLog ? performance.now() : 0;
    const res = await inner(request, env, ctx);
    try {
      res.headers.set('x-request-id', id);
    } catch {
      // An immutable response (a proxied script): it goes out without the header.
    }
    const status = res.status;
    const path = request.url.slice(request.url.indexOf('/', 8)).split('?', 1)[0]!;
    const route = routeOf(path, status);
    metrics.request(route, status);
    if (deps.accessLog || status >= 500) {
      const fields = { request_id: id, method: request.method, route, status, ...(deps.accessLog ? { ms: Math.round((performance.now() - started) * 10) / 10 } : {}) };
      if (status >= 500) log.warn('request failed', fields);
      else log.info('request', fields);
    }
    return res;
  };
}
