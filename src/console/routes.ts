/**
 * @module The console under /admin/ui: login with an admin JWT → signed session cookie; one page per view,
 * each behind its scope; state-changing actions (replay, purge, debug sessions) behind the CSRF token.
 */
import { Hono, type Context } from 'hono';
import { setCookie, deleteCookie } from 'hono/cookie';
import type { Services } from '../services.js';
import type { Verifier } from '../admin/auth.js';
import { scopesOf } from '../admin/auth.js';
import { TagrelayError } from '../errors.js';
import { getDeadLetter, listDeadLetters, replayDeadLetters } from '../delivery/dead-letter.js';
import { purge } from '../privacy/retention.js';
import { CONSOLE_PATH, SESSION_COOKIE, SESSION_MAX_MS, createSessionSigner, type ConsoleSession } from './session.js';
import { CONSOLE_SCOPES, requireConsoleScope, requireCsrf, requireSession, sessionOf } from './auth.js';
import { CONSOLE_HEADERS, CSS, VIEWS, html, page, type Html, type ViewInfo } from './layout.js';
import { CONSOLE_JS } from './assets.js';
import { loginPage } from './views/login.js';
import { overviewView, type OverviewSection } from './views/overview.js';
import { dataFlowView } from './views/data-flow.js';
import { consentView } from './views/consent.js';
import { deliveryView, deadLetterView } from './views/delivery.js';
import { liveView } from './views/live.js';
import { dataFlowCsv, dataFlowMarkdown, generateDataFlow } from './data-flow.js';
import { consentLookup, consentShares, deliveryHealth, recentFailures } from './queries.js';
import type { LiveBackend } from './live.js';

/** Views and overview sections other modules contribute (reports, alarms). */
export interface ConsoleExtensions {
  live?: LiveBackend;
  overview?: OverviewSection[];
  views?: { info: ViewInfo; render(services: Services, c: Context): Promise<Html> }[];
}

/**
 * Routes mounted at /admin/ui.
 *
 * @example
 * app.route('/admin/ui', consoleRoutes(services, verifier))
 */
export function consoleRoutes(services: Services, verifier: Verifier | undefined, ext: ConsoleExtensions = {}): Hono {
  const { runtime, config } = services;
  const signer = createSessionSigner(runtime.hash, config.admin.jwt.secret, runtime.randomHex);
  const views = [...VIEWS, ...(ext.views ?? []).map((v) => v.info)];
  const ui = new Hono();

  ui.use('*', async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(CONSOLE_HEADERS)) if (!c.res.headers.has(k)) c.res.headers.set(k, v);
  });

  ui.onError((err, c) => {
    const known = err instanceof TagrelayError ? err : new TagrelayError('ERR_INTERNAL', 'internal error');
    if (!(err instanceof TagrelayError)) runtime.log.error('console error', { error: err.name, message: err.message.slice(0, 200) });
    const wantsJson = c.req.method !== 'GET' && !(c.req.header('content-type') ?? '').includes('form');
    if (wantsJson) return c.json(known.toBody(), known.status as 400);
    return c.html(
      page({ title: known.status === 403 ? 'Not allowed' : 'Error', body: html`<p class="notice bad" data-error-code="${known.code}">${known.message}</p><p><a href="${CONSOLE_PATH}">Back to the console</a></p>` }),
      known.status as 400,
    );
  });

  ui.get('/assets/console.css', (c) => c.body(CSS, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=300' }));
  ui.get('/assets/console.js', (c) => c.body(CONSOLE_JS, 200, { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=300' }));

  ui.get('/login', (c) => c.html(loginPage({ reason: c.req.query('reason'), next: safeNext(c.req.query('next')) })));

  ui.post('/login', async (c) => {
    // A login form posted from another site is refused (the browser says where the form came from).
    const origin = c.req.header('origin');
    if (origin && origin !== new URL(c.req.url).origin) throw new TagrelayError('ERR_FORBIDDEN', 'cross-site login refused');
    const body = await c.req.parseBody();
    const token = typeof body.token === 'string' ? body.token.trim() : '';
    const next = safeNext(typeof body.next === 'string' ? body.next : undefined);
    if (!verifier) return c.html(loginPage({ problem: 'Admin authentication is not configured (admin.jwt.secret or admin.jwt.jwks).' }), 401);
    let claims;
    try {
      claims = await verifier(token);
    } catch (err) {
      return c.html(loginPage({ problem: err instanceof TagrelayError ? err.message : 'invalid token', next }), 401);
    }
    const scopes = [...scopesOf(claims)].filter((s) => (CONSOLE_SCOPES as readonly string[]).includes(s));
    if (scopes.length === 0) return c.html(loginPage({ problem: `The token grants no console scope (${CONSOLE_SCOPES.join(', ')}).`, next }), 403);
    const now = runtime.now();
    const exp = Math.min(now + SESSION_MAX_MS, typeof claims.exp === 'number' ? claims.exp * 1000 : now);
    const session: ConsoleSession = { sub: typeof claims.sub === 'string' ? claims.sub.slice(0, 80) : 'admin', scopes, exp, sid: runtime.randomHex(16) };
    setCookie(c, SESSION_COOKIE, await signer.seal(session), {
      path: CONSOLE_PATH,
      httpOnly: true,
      sameSite: 'Strict',
      secure: isHttps(c),
      maxAge: Math.max(1, Math.floor((exp - now) / 1000)),
    });
    runtime.log.info('console login', { scopes: scopes.join(' ') });
    return c.redirect(next ?? CONSOLE_PATH, 303);
  });

  const authed = requireSession(signer, runtime.now);
  const csrf = requireCsrf(signer);
  const csrfOf = (c: Context) => signer.csrf(sessionOf(c));
  const render = async (c: Context, active: string, title: string, body: Html, status = 200) =>
    c.html(page({ title, active, session: sessionOf(c), csrf: await csrfOf(c), views, body }), status as 200);

  ui.post('/logout', authed, csrf, (c) => {
    deleteCookie(c, SESSION_COOKIE, { path: CONSOLE_PATH, secure: isHttps(c) });
    return c.redirect(`${CONSOLE_PATH}/login?reason=logged_out`, 303);
  });

  ui.get('/', authed, (c) => {
    const first = views.find((v) => sessionOf(c).scopes.includes(v.scope));
    if (!first) throw new TagrelayError('ERR_FORBIDDEN', 'the session opens no view');
    return c.redirect(`${CONSOLE_PATH}/${first.path}`, 303);
  });

  /** Rejected, duplicate and bot counts still in memory go to the store before a view reads it. */
  const fresh = async () => {
    await services.ready;
    await services.tally.flush(runtime.db);
  };

  ui.get('/overview', authed, requireConsoleScope('debug:read'), async (c) => {
    await fresh();
    return render(c, 'overview', 'Overview', await overviewView(services, runtime.now(), ext.overview));
  });

  const dataFlow = async () => generateDataFlow(config, runtime.hash, runtime.now());
  ui.get('/data-flow', authed, requireConsoleScope('dsr:read'), async (c) => render(c, 'data-flow', 'Data flow (record of processing)', dataFlowView(await dataFlow(), sessionOf(c), await csrfOf(c))));
  ui.get('/data-flow.json', authed, requireConsoleScope('dsr:read'), async (c) => {
    c.header('content-disposition', 'attachment; filename="tagrelay-record-of-processing.json"');
    return c.json(await dataFlow());
  });
  ui.get('/data-flow.csv', authed, requireConsoleScope('dsr:read'), async (c) =>
    c.body(dataFlowCsv(await dataFlow()), 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="tagrelay-record-of-processing.csv"' }),
  );
  ui.get('/data-flow.md', authed, requireConsoleScope('dsr:read'), async (c) =>
    c.body(dataFlowMarkdown(await dataFlow()), 200, { 'content-type': 'text/markdown; charset=utf-8', 'content-disposition': 'attachment; filename="tagrelay-record-of-processing.md"' }),
  );

  ui.post('/retention/purge', authed, requireConsoleScope('dsr:write'), csrf, async (c) => {
    const body = await c.req.parseBody();
    const dryRun = body.dry_run === 'true';
    await services.ready;
    const counts = await purge(runtime.db, config.retention, runtime.now(), { dryRun, minRecordAge: config.dedupe.window });
    runtime.log.info('console retention purge', { dry_run: dryRun, rows: counts.reduce((n, x) => n + x.rows, 0) });
    return render(c, 'data-flow', 'Data flow (record of processing)', dataFlowView(await dataFlow(), sessionOf(c), await csrfOf(c), { dryRun, counts }));
  });

  ui.get('/consent', authed, requireConsoleScope('dsr:read'), async (c) => {
    await fresh();
    const clientId = c.req.query('client_id')?.trim();
    let lookup;
    if (clientId) {
      if (!/^[A-Za-z0-9._-]{1,100}$/.test(clientId)) throw new TagrelayError('ERR_INVALID_BODY', 'a client id is 1-100 letters, digits, . _ or -');
      // The audit and the records hold HMAC(salt, client id), never the id: look up by the same pseudonym.
      const pseudonym = await runtime.hash.hmacSha256Hex(config.privacy.pseudonymization.salt, clientId);
      lookup = { clientId, ...(await consentLookup(runtime.db, pseudonym)) };
    }
    return render(c, 'consent', 'Consent', consentView(config, await consentShares(runtime.db, runtime.now(), 24), lookup));
  });

  const deliveryPage = async (c: Context, replayed?: number) => {
    await fresh();
    const now = runtime.now();
    const destination = c.req.query('destination') || undefined;
    const health = await deliveryHealth(runtime.db, services.destinations.map((d) => ({ id: d.config.id, type: d.config.type })), now, now - 86_400_000, services.worker.stats.breakers);
    return render(
      c,
      'delivery',
      'Delivery',
      deliveryView({
        health,
        failures: await recentFailures(runtime.db, 20),
        deadLetters: await listDeadLetters(runtime.db, { destination, limit: 100 }),
        destination,
        session: sessionOf(c),
        csrf: await csrfOf(c),
        now,
        replayed,
      }),
    );
  };
  ui.get('/delivery', authed, requireConsoleScope('dlq:read'), (c) => deliveryPage(c));
  ui.get('/delivery/dead-letter/:id{[0-9]+}', authed, requireConsoleScope('dlq:read'), async (c) => {
    await services.ready;
    const item = await getDeadLetter(runtime.db, Number(c.req.param('id')));
    if (!item) throw new TagrelayError('ERR_NOT_FOUND', 'no such dead-letter item');
    return render(c, 'delivery', `Dead letter ${item.id}`, deadLetterView(item, sessionOf(c).scopes.includes('dlq:write'), await csrfOf(c)));
  });
  ui.post('/delivery/replay', authed, requireConsoleScope('dlq:write'), csrf, async (c) => {
    const body = await c.req.parseBody({ all: true });
    const ids = ([] as unknown[]).concat(body.ids ?? []).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    const destination = typeof body.destination === 'string' && body.destination ? body.destination : undefined;
    const select = body.select === 'destination' && destination ? { destination } : { ids };
    if (!select.destination && ids.length === 0) throw new TagrelayError('ERR_INVALID_BODY', 'select at least one dead letter to replay');
    await services.ready;
    const requeued = await replayDeadLetters(runtime.db, select, runtime.now());
    services.worker.wake();
    runtime.log.info('console dead-letter replay', { requeued });
    return deliveryPage(c, requeued);
  });

  ui.get('/live', authed, requireConsoleScope('debug:read'), async (c) => render(c, 'live', 'Live', liveView(await csrfOf(c), ext.live !== undefined)));
  ui.post('/live/sessions', authed, requireConsoleScope('debug:read'), csrf, async (c) => {
    if (!ext.live) throw new TagrelayError('ERR_NOT_FOUND', 'the debug stream is not part of this build');
    let label: string | undefined;
    try {
      const body = (await c.req.json()) as { label?: unknown };
      if (typeof body.label === 'string') label = body.label.slice(0, 60);
    } catch {
      // no body: no label
    }
    const session = await ext.live.open(label);
    return c.json({ ...session, absolute_link: new URL(session.link, c.req.url).toString() }, 201);
  });
  ui.post('/live/sessions/:id/close', authed, requireConsoleScope('debug:read'), csrf, (c) => {
    if (!ext.live?.close(c.req.param('id'))) throw new TagrelayError('ERR_NOT_FOUND', 'no such debug session');
    return c.body(null, 204);
  });
  ui.get('/live/sessions/:id/stream', authed, requireConsoleScope('debug:read'), (c) => {
    if (!ext.live) throw new TagrelayError('ERR_NOT_FOUND', 'the debug stream is not part of this build');
    return ext.live.stream(c, c.req.param('id'));
  });

  for (const view of ext.views ?? []) {
    ui.get(`/${view.info.path}`, authed, requireConsoleScope(view.info.scope), async (c) => {
      await fresh();
      return render(c, view.info.path, view.info.title, await view.render(services, c));
    });
  }

  return ui;
}

/** Only a console path may be a redirect target after login. */
function safeNext(next: string | undefined): string | undefined {
  return next && next.startsWith(`${CONSOLE_PATH}/`) && !next.startsWith(`${CONSOLE_PATH}//`) && !/[\\\r\n]/.test(next) ? next : undefined;
}

function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}
