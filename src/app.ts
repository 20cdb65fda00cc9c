/**
 * @module createApp(config, runtime): the Hono app, and the only place routes are wired.
 */
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { getCookie } from 'hono/cookie';
import type { Config } from './config/schema.js';
import type { Runtime } from './ports.js';
import type { RequestContext } from './event.js';
import { TagrelayError } from './errors.js';
import { ingestNative } from './ingest/native.js';
import { routeEvents } from './pipeline.js';
import { createServices, type Services } from './services.js';
import { adminRoutes } from './admin/routes.js';
import { createVerifier } from './admin/auth.js';

/** The Hono app plus the services behind it (for the runtime's start/stop and for tests). */
export type TagrelayApp = Hono & { services: Services };

/** Content types the event endpoints accept; `text/plain` is what `navigator.sendBeacon` sends. */
const ACCEPTED_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', ''];

/** Headers never copied into the event's request context (credentials). */
const PRIVATE_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization']);

function requestContext(c: Context, config: Config, runtime: Runtime): RequestContext {
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, key) => {
    if (!PRIVATE_HEADERS.has(key)) headers[key] = value;
  });
  let ip = runtime.remoteAddress(c.req.raw, c.env);
  if (config.server.trust_proxy) {
    const forwarded = headers['x-forwarded-for']?.split(',')[0]?.trim();
    if (forwarded) ip = forwarded;
  }
  return { source: 'native', ip, user_agent: headers['user-agent'], headers, cookies: getCookie(c) };
}

/** Read the body as JSON whatever the (accepted) content type says. */
async function readJson(c: Context): Promise<unknown> {
  const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) {
    throw new TagrelayError('ERR_UNSUPPORTED_MEDIA_TYPE', 'send application/json or text/plain');
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new TagrelayError('ERR_MALFORMED_JSON', 'body is not valid JSON');
  }
}

/**
 * Build the app for one runtime.
 *
 * @example
 * const app = createApp(config, nodeRuntime({ dataDir: './data' }))
 * serve({ fetch: app.fetch, port: 8080 })
 */
export function createApp(config: Config, runtime: Runtime): TagrelayApp {
  const services = createServices(config, runtime);
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof TagrelayError) return c.json(err.toBody(), err.status as 400);
    runtime.log.error('unhandled error', { error: err.name, message: err.message.slice(0, 200) });
    return c.json(new TagrelayError('ERR_INTERNAL', 'internal error').toBody(), 500);
  });
  app.notFound((c) => c.json(new TagrelayError('ERR_NOT_FOUND', 'no such route').toBody(), 404));

  if (config.server.cors_origins.length > 0) {
    app.use('/v1/*', cors({ origin: config.server.cors_origins, credentials: true, allowMethods: ['GET', 'POST', 'OPTIONS'], maxAge: 600 }));
  }

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await services.ready;
      await runtime.db.run("INSERT INTO kv (key, value) VALUES ('readyz', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(runtime.now())]);
      return c.json({ status: 'ready' });
    } catch {
      return c.json(new TagrelayError('ERR_STORE_UNAVAILABLE', 'the store is not writable').toBody(), 503);
    }
  });

  const limit = bodyLimit({
    maxSize: config.limits.max_body_bytes,
    onError: (c) => c.json(new TagrelayError('ERR_PAYLOAD_TOO_LARGE', `body exceeds ${config.limits.max_body_bytes} bytes`).toBody(), 413),
  });

  app.post('/v1/events', limit, async (c) => {
    // 1. parse
    const body = await readJson(c);
    // 2. validate → canonical events (one bad event never drops its neighbours)
    const now = runtime.now();
    const parsed = ingestNative(body, {
      now,
      request: requestContext(c, config, runtime),
      randomHex: runtime.randomHex,
      limits: config.limits,
      time: config.time,
    });
    if ('error' in parsed) throw new TagrelayError(parsed.error.code, parsed.error.message, { field: parsed.error.field });
    // 3–7. dedupe → consent → route (per destination: gate, minimize, map)
    const routed = await routeEvents(parsed.events, { config, deduper: services.deduper, destinations: services.destinations });
    // 8. enqueue: durable before the answer
    try {
      await services.ready;
      await services.outbox.enqueue(routed.rows, routed.decisions);
    } catch (err) {
      services.deduper.forget(parsed.events.map((e) => e.event_id));
      runtime.log.error('outbox write failed', { error: String(err).slice(0, 200) });
      throw new TagrelayError('ERR_STORE_UNAVAILABLE', 'events could not be stored; retry later', { cause: err });
    }
    services.counters.accepted += parsed.events.length;
    services.counters.rejected += parsed.rejected.length;
    services.counters.duplicates += routed.duplicates;
    return c.json({ accepted: parsed.events.length, duplicates: routed.duplicates, rejected: parsed.rejected }, 202);
  });

  app.route('/admin/v1', adminRoutes(services, createVerifier(config.admin, runtime.fetch as typeof fetch)));

  return Object.assign(app, { services });
}
