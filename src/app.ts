/**
 * @module createApp(config, runtime): the Hono app, and the only place routes are wired.
 */
import { Hono, type Context } from 'hono';
import { bodyLimit, corsPolicy } from './middleware.js';
import type { Config } from './config/schema.js';
import type { Runtime } from './ports.js';
import type { Event, RequestContext } from './event.js';
import type { ConsentValue, Purpose } from './consent/purposes.js';
import { TagrelayError, parseWith } from './errors.js';
import { ingestNative, type Rejection } from './ingest/native.js';
import { ingestGtag } from './ingest/gtag.js';
import { clientIp } from './ingest/client-ip.js';
import { acceptEvents } from './pipeline.js';
import { createServices, type Services } from './services.js';
import { adminRoutes } from './admin/routes.js';
import { createVerifier, requireScope } from './admin/auth.js';
import { parseCookies } from './identity/cookies.js';
import { ACCEPT_CH } from './enrich/client-hints.js';
import { consentChoiceSchema, explainEvents, recordConsent } from './consent/endpoints.js';
import { scriptRoutes } from './scripts/routes.js';
import { observeRequests, requestLog } from './metrics/request.js';
import { tallyRequest } from './console/tally.js';
import { consoleRoutes } from './console/routes.js';
import { consoleExtensions } from './console/extensions.js';
import { metricsAuth, metricsHandler } from './metrics/route.js';
import { debugAdminRoutes, debugLinkRoute } from './debug/routes.js';
import { traceRequest } from './debug/trace.js';

/** The Hono app plus the services behind it (for the runtime's start/stop and for tests). */
export type TagrelayApp = Hono & { services: Services };

/** Content types the event endpoints accept; `text/plain` is what `navigator.sendBeacon` sends. */
const ACCEPTED_TYPES = ['application/json', 'text/plain', 'application/x-www-form-urlencoded', ''];

/** Headers never copied into the event's request context (credentials). */
const PRIVATE_HEADERS = new Set(['cookie', 'authorization', 'proxy-authorization']);

/** The request's facts; `described` headers (explain: the request being explained) override the real ones. */
function requestContext(c: Context, config: Config, runtime: Runtime, source: RequestContext['source'], described: Record<string, string> = {}): RequestContext {
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((value, key) => {
    if (!PRIVATE_HEADERS.has(key)) headers[key] = value;
  });
  for (const [k, v] of Object.entries(described)) if (!PRIVATE_HEADERS.has(k)) headers[k] = v;
  const ip = clientIp(runtime.remoteAddress(c.req.raw, c.env), headers['x-forwarded-for'], config.server.trust_proxy);
  return { source, ip, user_agent: headers['user-agent'], headers, cookies: parseCookies(described.cookie ?? c.req.header('cookie')) };
}

/** The Host the browser addressed (for the cookie domain). */
function hostOf(c: Context): string {
  return c.req.header('host') ?? new URL(c.req.url).host;
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

/** The state of a valid consent receipt cookie; a forged or expired one is ignored but noted. */
async function receiptOf(
  cookies: Record<string, string>,
  services: Services,
): Promise<{ receipt?: Partial<Record<Purpose, ConsentValue>>; receiptInvalid?: boolean }> {
  const token = cookies[services.config.consent.receipts.cookie_name];
  if (!token) return {};
  const verified = await services.receipts.verify(token);
  return verified.ok ? { receipt: verified.state } : { receiptInvalid: true };
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
  const verifier = createVerifier(config.admin, runtime.fetch as typeof fetch);
  const app = new Hono();
  observeRequests(app, { metrics: services.metrics, log: runtime.log, randomHex: runtime.randomHex, accessLog: config.metrics.access_log });

  app.onError((err, c) => {
    if (err instanceof TagrelayError) return c.json(err.toBody(), err.status as 400);
    requestLog(c, runtime.log).error('unhandled error', { error: err.name, message: err.message.slice(0, 200) });
    return c.json(new TagrelayError('ERR_INTERNAL', 'internal error').toBody(), 500);
  });
  app.notFound((c) => c.json(new TagrelayError('ERR_NOT_FOUND', 'no such route').toBody(), 404));

  if (config.server.cors_origins.length > 0) {
    const policy = corsPolicy({ origins: config.server.cors_origins, methods: ['GET', 'POST', 'OPTIONS'], maxAgeS: 600 });
    app.use('/v1/*', policy);
    app.use('/g/*', policy);
  }

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    const fault = await services.fault();
    if (fault === undefined) return c.json({ status: 'ready' });
    requestLog(c, runtime.log).warn('not ready', { reason: fault });
    return c.json(new TagrelayError('ERR_STORE_UNAVAILABLE', fault.startsWith('delivery') ? 'delivery outcomes cannot be recorded' : 'the store is not writable').toBody(), 503);
  });

  const limit = bodyLimit({
    maxSize: config.limits.max_body_bytes,
    onError: (c) => c.json(new TagrelayError('ERR_PAYLOAD_TOO_LARGE', `body exceeds ${config.limits.max_body_bytes} bytes`).toBody(), 413),
  });

  /** Pipeline stages 3–9 (src/pipeline.ts) for the events an adapter produced; answers once they are durable. */
  async function accept(c: Context, events: Event[], rejected: Rejection[]) {
    const first = events[0]?.request;
    const receipt = first ? await receiptOf(first.cookies, services) : {};
    // The live debug stream: only a request carrying a valid debug token is traced (one presence check otherwise).
    const session = first && services.debug.carries(first) ? await services.debug.sessionOf(first) : undefined;
    const trace = session ? traceRequest(services.debug, session, events, { method: c.req.method, path: c.req.path }) : undefined;
    let accepted;
    try {
      await services.ready;
      accepted = await acceptEvents(events, { host: hostOf(c), ...receipt }, services.pipeline, services.outbox);
    } catch (err) {
      requestLog(c, runtime.log).error('record write failed', { error: String(err).slice(0, 200) });
      throw new TagrelayError('ERR_STORE_UNAVAILABLE', 'events could not be stored; retry later', { cause: err });
    }
    // Plan rejections name the event's position in the request body, like the adapter's own.
    const adapterRejected = new Set(rejected.map((r) => r.index));
    const positions: number[] = [];
    for (let k = 0; positions.length < events.length; k++) if (!adapterRejected.has(k)) positions.push(k);
    for (const r of accepted.rejected) r.index = positions[r.index] ?? r.index;
    services.counters.accepted += accepted.outcomes.filter((o) => o.status === 'accepted').length;
    services.counters.rejected += rejected.length + accepted.rejected.length;
    services.counters.duplicates += accepted.duplicates;
    services.counters.bots += accepted.bots;
    tallyRequest(services.tally, runtime.now(), rejected, accepted);
    services.metrics.accept(accepted.outcomes, rejected);
    trace?.accepted(accepted, rejected);
    for (const cookie of accepted.setCookies) c.header('set-cookie', cookie, { append: true });
    if (config.enrich.device.client_hints) c.header('accept-ch', ACCEPT_CH);
    return accepted;
  }

  app.post('/v1/events', limit, async (c) => {
    // 1. parse
    const body = await readJson(c);
    // 2. validate → canonical events (one bad event never drops its neighbours)
    const parsed = ingestNative(body, {
      now: runtime.now(),
      request: requestContext(c, config, runtime, 'native'),
      randomHex: runtime.randomHex,
      limits: config.limits,
      time: config.time,
    });
    if ('error' in parsed) throw new TagrelayError(parsed.error.code, parsed.error.message, { field: parsed.error.field });
    const accepted = await accept(c, parsed.events, parsed.rejected);
    const rejected = [...parsed.rejected, ...accepted.rejected].sort((a, b) => a.index - b.index);
    return c.json({ accepted: parsed.events.length - accepted.rejected.length, duplicates: accepted.duplicates, rejected }, 202);
  });

  /**
   * gtag.js hits (`transport_url`/`server_container_url` pointed here). Answered like Google: 204 with no
   * body for every hit that could be read, even when some lines were rejected — the page never reads the
   * answer, and an error would only reach the visitor's console. Rejections are counted, and their number
   * is in `x-tagrelay-rejected`. Only an oversized body (413) and a store failure (503) differ.
   */
  const collect = async (c: Context) => {
    const url = new URL(c.req.url);
    const parsed = ingestGtag({
      query: url.searchParams,
      body: c.req.method === 'POST' ? await c.req.text() : undefined,
      env: { now: runtime.now(), request: requestContext(c, config, runtime, 'gtag'), randomHex: runtime.randomHex, limits: config.limits, time: config.time },
    });
    if (parsed.events.length > 0) await accept(c, parsed.events, parsed.rejected);
    else {
      services.counters.rejected += parsed.rejected.length;
      tallyRequest(services.tally, runtime.now(), parsed.rejected);
      services.metrics.rejected(parsed.rejected);
    }
    if (parsed.rejected.length > 0) {
      c.header('x-tagrelay-rejected', String(parsed.rejected.length));
      requestLog(c, runtime.log).debug('gtag hit lines rejected', { count: parsed.rejected.length, codes: [...new Set(parsed.rejected.map((r) => r.code))].join(',') });
    }
    c.header('cache-control', 'no-store');
    return c.body(null, 204);
  };
  app.get('/g/collect', collect);
  app.post('/g/collect', limit, collect);

  app.post('/v1/consent', limit, async (c) => {
    const choice = parseWith(consentChoiceSchema, await readJson(c));
    const ctx = requestContext(c, config, runtime, 'native');
    const recorded = await recordConsent(choice, { headers: ctx.headers, cookies: ctx.cookies, host: hostOf(c) }, services);
    for (const cookie of recorded.setCookies) c.header('set-cookie', cookie, { append: true });
    const { setCookies: _cookies, ...body } = recorded;
    return c.json(body, 200);
  });

  // Explain: open in dev mode; otherwise an admin token with debug:read.
  const explainAuth = config.dev_mode ? [] : [requireScope(verifier, 'debug:read')];
  app.post('/v1/explain', limit, ...explainAuth, async (c) => {
    const body = (await readJson(c)) as { event?: unknown; events?: unknown; headers?: unknown };
    const extra = body && typeof body === 'object' && body.headers && typeof body.headers === 'object' ? (body.headers as Record<string, unknown>) : {};
    const described = Object.fromEntries(Object.entries(extra).filter(([, v]) => typeof v === 'string').map(([k, v]) => [k.toLowerCase(), v as string]));
    const request = requestContext(c, config, runtime, 'native', described);
    const input = body && typeof body === 'object' && 'events' in body ? { events: body.events } : (body?.event ?? body);
    const parsed = ingestNative(input, { now: runtime.now(), request, randomHex: runtime.randomHex, limits: config.limits, time: config.time });
    if ('error' in parsed) throw new TagrelayError(parsed.error.code, parsed.error.message, { field: parsed.error.field });
    const receipt = await receiptOf(request.cookies, services);
    return c.json({ explanations: await explainEvents(parsed.events, { host: hostOf(c), ...receipt }, services), rejected: parsed.rejected });
  });

  if (config.metrics.enabled) app.get('/metrics', metricsAuth(config.metrics.public ? undefined : requireScope(verifier, 'metrics:read')), metricsHandler(services.metrics.registry));
  if (config.debug.enabled) {
    app.route('/admin/v1/debug', debugAdminRoutes(services.debug, verifier, runtime.now));
    app.get('/debug/link', debugLinkRoute(services.debug, runtime.now));
  }
  app.route('/admin/v1', adminRoutes(services, verifier));
  app.route('/admin/ui', consoleRoutes(services, verifier, consoleExtensions(services)));
  // First-party scripts: /gtag/js, /gtm.js (cached from Google) and the tagrelay snippet /t.js.
  app.route('/', scriptRoutes(config.scripts, runtime));

  return Object.assign(app, { services });
}
