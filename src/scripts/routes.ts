/**
 * @module First-party script routes: `GET /gtag/js`, `GET /gtm.js` (cached from the upstream) and `GET /t.js` (the tagrelay snippet).
 */
import { Hono, type Context } from 'hono';
import type { Runtime } from '../ports.js';
import { TagrelayError } from '../errors.js';
import type { ScriptsConfig } from './config.js';
import { createScriptCache, type CachedScript } from './cache.js';
import { resolveScriptRequest, type ScriptKind } from './request.js';
import { SNIPPET_INTEGRITY, SNIPPET_JS, SNIPPET_VERSION } from '../snippet/bundle.js';

const JS = 'application/javascript; charset=utf-8';

/** Headers every served script carries: readable cross-origin (needed for `<script integrity crossorigin>`). */
function scriptHeaders(c: Context, etag: string, cacheControl: string): void {
  c.header('content-type', JS);
  c.header('etag', etag);
  c.header('cache-control', cacheControl);
  c.header('access-control-allow-origin', '*');
  c.header('cross-origin-resource-policy', 'cross-origin');
  c.header('x-content-type-options', 'nosniff');
}

/** True when the browser's copy is current (`If-None-Match`). */
function notModified(c: Context, etag: string): boolean {
  const header = c.req.header('if-none-match');
  return header !== undefined && header.split(',').some((t) => t.trim().replace(/^W\//, '') === etag);
}

/** Pure: the `cache-control` of a cached upstream script, `max-age` counting down to its expiry. */
export function upstreamCacheControl(script: CachedScript, now: number, config: ScriptsConfig): string {
  const remaining = Math.max(0, Math.floor((script.fetchedAt + config.ttl - now) / 1000));
  return `public, max-age=${remaining}, stale-while-revalidate=${Math.floor(config.stale_while_revalidate / 1000)}`;
}

/** Pure: the `cache-control` of `/t.js`; immutable only when the URL names the current build. */
export function snippetCacheControl(version: string | undefined): string {
  return version === SNIPPET_VERSION ? 'public, max-age=31536000, immutable' : 'public, max-age=300';
}

/**
 * The script routes, mounted at the root of the app.
 *
 * @example
 * app.route('/', scriptRoutes(config.scripts, runtime))
 */
export function scriptRoutes(config: ScriptsConfig, runtime: Runtime): Hono {
  const cache = createScriptCache({
    config,
    fetch: runtime.fetch,
    hash: runtime.hash,
    now: runtime.now,
    waitUntil: (p) => runtime.waitUntil(p),
    log: runtime.log,
  });
  const app = new Hono();

  const serve = (kind: ScriptKind) => async (c: Context) => {
    const request = resolveScriptRequest(kind, new URL(c.req.url).searchParams, config);
    if (!request.ok) throw new TagrelayError(request.code, request.message, { field: 'id' });
    const found = await cache.get(request.key, request.url);
    if (!found.ok) {
      c.header('cache-control', 'no-store');
      throw new TagrelayError('ERR_UPSTREAM_UNAVAILABLE', `the script could not be fetched (${found.reason})`);
    }
    scriptHeaders(c, found.script.etag, upstreamCacheControl(found.script, runtime.now(), config));
    c.header('x-tagrelay-cache', found.cache);
    if (notModified(c, found.script.etag)) return c.body(null, 304);
    return c.body(found.script.body, 200);
  };
  app.get('/gtag/js', serve('gtag'));
  app.get('/gtm.js', serve('gtm'));

  app.get('/t.js', (c) => {
    const etag = `"${SNIPPET_VERSION}"`;
    scriptHeaders(c, etag, snippetCacheControl(c.req.query('v')));
    c.header('x-tagrelay-integrity', SNIPPET_INTEGRITY);
    if (notModified(c, etag)) return c.body(null, 304);
    return c.body(SNIPPET_JS, 200);
  });
  return app;
}
