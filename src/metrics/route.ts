/**
 * @module `GET /metrics`: the Prometheus text format, for admin tokens with scope `metrics:read`
 * (or for anyone with `metrics.public`, behind a network boundary).
 */
import type { Handler, MiddlewareHandler } from 'hono';
import type { Registry } from './registry.js';
import { exposition, EXPOSITION_CONTENT_TYPE } from './exposition.js';

/** The scope check, or a pass-through when the endpoint is public. */
export function metricsAuth(auth: MiddlewareHandler | undefined): MiddlewareHandler {
  return auth ?? (async (_c, next) => next());
}

/** The exposition of every family, collectors run first. */
export function metricsHandler(registry: Registry): Handler {
  return async (c) => {
    const text = await exposition(registry);
    return c.body(text, 200, { 'content-type': EXPOSITION_CONTENT_TYPE, 'cache-control': 'no-store' });
  };
}
