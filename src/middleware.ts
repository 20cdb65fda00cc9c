/**
 * @module The public endpoints' CORS policy and body limit, written to stay on the Node adapter's fast
 * path: headers go through `c.header()` before the handler (Hono's `cors` touches `c.res` first, so
 * every answer is rebuilt around a stream), and a declared `Content-Length` is checked without opening
 * the body as a stream (Hono's `bodyLimit` reads `c.req.raw.body`, which builds a WHATWG Request
 * per request). A chunked body (no length) still goes through Hono's streaming limit.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit as streamingLimit } from 'hono/body-limit';

/**
 * Credentialed CORS for a fixed list of origins: the origin is echoed only when listed, with
 * `Vary: Origin` on every answer. A preflight (OPTIONS) is answered here with 204.
 *
 * @example app.use('/v1/*', corsPolicy({ origins: ['https://shop.example.com'], methods: ['GET', 'POST', 'OPTIONS'], maxAgeS: 600 }))
 */
export function corsPolicy(opts: { origins: readonly string[]; methods: readonly string[]; maxAgeS: number }): MiddlewareHandler {
  const allowed = new Set(opts.origins);
  const methods = opts.methods.join(',');
  const maxAge = String(opts.maxAgeS);
  return async function cors(c, next) {
    const origin = c.req.header('origin');
    const ok = origin !== undefined && allowed.has(origin);
    if (ok) {
      c.header('Access-Control-Allow-Origin', origin);
      c.header('Access-Control-Allow-Credentials', 'true');
    }
    c.header('Vary', 'Origin', { append: true });
    if (c.req.method === 'OPTIONS') {
      c.header('Access-Control-Max-Age', maxAge);
      if (ok) {
        c.header('Access-Control-Allow-Methods', methods);
        const requested = c.req.header('access-control-request-headers');
        if (requested) {
          c.header('Access-Control-Allow-Headers', requested.split(',').map((h) => h.trim()).join(','));
          c.header('Vary', 'Access-Control-Request-Headers', { append: true });
        }
      }
      return c.body(null, 204);
    }
    await next();
  };
}

/**
 * Refuse bodies over `maxSize` bytes with `onError`. A request that declares its length is judged by
 * it (the server never reads more than the declared length); one without (chunked) is counted while
 * it streams.
 */
export function bodyLimit(opts: { maxSize: number; onError: (c: Context) => Response | Promise<Response> }): MiddlewareHandler {
  const streaming = streamingLimit(opts);
  return async function limit(c, next) {
    const length = c.req.header('content-length');
    if (length !== undefined && c.req.header('transfer-encoding') === undefined && /^\d+$/.test(length)) {
      if (Number(length) > opts.maxSize) return opts.onError(c);
      await next();
      return;
    }
    return streaming(c, next);
  };
}
