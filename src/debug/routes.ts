/**
 * @module Debug session routes: the admin API (`/admin/v1/debug/…`, scope `debug:read`) that opens,
 * lists, streams (Server-Sent Events) and closes sessions, and the public link (`/debug/link`) that
 * puts a session's token in the tester's browser as the `_tr_debug` cookie.
 */
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import type { DebugHub, DebugSession } from './hub.js';
import type { DebugMessage } from './types.js';
import { DEBUG_COOKIE } from './types.js';
import { requireScope, type Verifier } from '../admin/auth.js';
import { TagrelayError, parseWith, readJsonBody } from '../errors.js';
import { duration } from '../config/duration.js';
import { cookieDomain, hostnameOf, serializeCookie } from '../identity/cookies.js';

/** A comment line every this often keeps proxies from closing an idle stream. */
export const KEEPALIVE_MS = 15_000;

const openBody = z
  .object({
    /** A name the console shows ("Anna's iPhone"). */
    label: z.string().max(80).optional(),
    ttl: duration.optional(),
  })
  .strict();

function sessionOr404(hub: DebugHub, id: string): DebugSession {
  const session = hub.get(id);
  if (!session) throw new TagrelayError('ERR_NOT_FOUND', 'no such debug session (closed or expired)');
  return session;
}

/** Admin routes, mounted at /admin/v1/debug. */
export function debugAdminRoutes(hub: DebugHub, verifier: Verifier | undefined, now: () => number): Hono {
  const r = new Hono();
  const auth = requireScope(verifier, 'debug:read');

  r.post('/sessions', auth, async (c) => {
    const text = await c.req.text();
    const body = parseWith(openBody, text.trim() === '' ? {} : await readJsonBody(new Request('http://x', { method: 'POST', body: text })));
    const { session, token } = await hub.open({ label: body.label, ttlMs: body.ttl });
    return c.json(hub.info(session, token), 201);
  });

  r.get('/sessions', auth, (c) => c.json({ sessions: hub.list().map((s) => hub.info(s)) }));

  r.get('/sessions/:id', auth, (c) => c.json(hub.info(sessionOr404(hub, c.req.param('id')))));

  r.delete('/sessions/:id', auth, (c) => {
    if (!hub.close(c.req.param('id'))) throw new TagrelayError('ERR_NOT_FOUND', 'no such debug session (closed or expired)');
    return c.body(null, 204);
  });

  r.get('/sessions/:id/stream', auth, (c) => {
    const session = sessionOr404(hub, c.req.param('id'));
    const last = Number(c.req.header('last-event-id') ?? 0);
    c.header('x-accel-buffering', 'no');
    return streamSSE(c, async (stream) => {
      let pending: DebugMessage[] = [];
      let wake: (() => void) | undefined;
      let ended = false;
      const unsubscribe = hub.subscribe(session, (message) => {
        pending.push(message);
        wake?.();
      });
      stream.onAbort(() => {
        ended = true;
        wake?.();
      });
      const write = (m: DebugMessage) => stream.writeSSE({ id: String(m.seq), event: m.stage, data: JSON.stringify(m) });
      try {
        const upTo = session.seq;
        await stream.writeSSE({ id: '0', event: 'hello', data: JSON.stringify({ stage: 'hello', seq: 0, session_id: session.id, at: new Date(now()).toISOString(), session: hub.info(session) }) });
        for (const m of session.buffer) if (m.seq > (Number.isFinite(last) ? last : 0) && m.seq <= upTo) await write(m);
        while (!ended && !stream.aborted) {
          if (pending.length === 0) {
            let timer: ReturnType<typeof setTimeout> | undefined;
            const wait = Math.max(5, Math.min(KEEPALIVE_MS, session.expiresAt - now() + 5));
            await new Promise<void>((done) => {
              wake = done;
              timer = setTimeout(done, wait);
            });
            clearTimeout(timer);
            wake = undefined;
          }
          if (pending.length === 0) {
            hub.sweep();
            if (pending.length === 0 && !ended) await stream.write(': keep-alive\n\n');
            continue;
          }
          const batch = pending;
          pending = [];
          for (const m of batch) {
            await write(m);
            if (m.stage === 'end') ended = true;
          }
        }
      } finally {
        unsubscribe();
      }
    });
  });

  return r;
}

/** Where the link may send the browser on: a URL of the proxy's own site (same registrable parent). */
function sameSite(target: URL, proxyHost: string): boolean {
  if (target.protocol !== 'https:' && target.protocol !== 'http:') return false;
  const host = hostnameOf(proxyHost);
  const site = cookieDomain(proxyHost);
  const to = target.hostname.toLowerCase();
  return to === host || (site !== undefined && (`.${to}` === site || to.endsWith(site)));
}

/**
 * The public link a tester opens (or scans as a QR code): sets `_tr_debug` (HttpOnly, SameSite=Lax,
 * until the session ends) and goes on to `to` when it is on the same site, else shows a short page.
 */
export function debugLinkRoute(hub: DebugHub, now: () => number): (c: Context) => Promise<Response> {
  return async (c) => {
    const token = c.req.query('token') ?? '';
    const session = await hub.verify(token);
    c.header('cache-control', 'no-store');
    c.header('referrer-policy', 'no-referrer');
    if (!session) throw new TagrelayError('ERR_UNAUTHORIZED', 'the debug link is invalid or its session ended');
    const https = new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
    const maxAgeSec = Math.max(1, Math.floor((session.expiresAt - now()) / 1000));
    c.header('set-cookie', serializeCookie(DEBUG_COOKIE, token, { maxAgeSec, httpOnly: true, secure: https, sameSite: 'Lax', path: '/' }));
    const to = c.req.query('to');
    let target: URL | undefined;
    try {
      target = to ? new URL(to) : undefined;
    } catch {
      target = undefined;
    }
    if (target && sameSite(target, c.req.header('host') ?? new URL(c.req.url).host)) return c.redirect(target.href, 302);
    const until = new Date(session.expiresAt).toISOString().slice(11, 16);
    return c.html(
      `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>tagrelay debug</title>` +
        `<body style="font:16px system-ui;margin:2rem;max-width:30rem"><h1>Debug session on</h1>` +
        `<p>This browser is now traced${session.label ? ` for “${escapeHtml(session.label)}”` : ''} until ${until} UTC. Open the site and use it as usual; ` +
        `the console shows each event live.</p></body>`,
    );
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
