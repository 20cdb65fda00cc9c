/**
 * @module Console access: the session middleware (cookie → session, or the login page), the scope check
 * per view, and the CSRF check for state-changing actions.
 */
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { TagrelayError } from '../errors.js';
import { CONSOLE_PATH, SESSION_COOKIE, type ConsoleSession, type SessionSigner } from './session.js';

/** Scopes that open at least one console view or action. */
export const CONSOLE_SCOPES = ['debug:read', 'dsr:read', 'dsr:write', 'dlq:read', 'dlq:write', 'reports:read'] as const;

/** The session of a request that passed {@link requireSession}. */
export function sessionOf(c: Context): ConsoleSession {
  return c.get('consoleSession' as never) as ConsoleSession;
}

/**
 * No valid session: a page request goes to the login page (saying why); anything else gets 401. No data
 * is rendered before this check.
 */
export function requireSession(signer: SessionSigner, now: () => number): MiddlewareHandler {
  return async (c, next) => {
    const opened = await signer.open(getCookie(c, SESSION_COOKIE), now());
    if (typeof opened === 'string') {
      if (c.req.method === 'GET' && !c.req.header('accept')?.includes('text/event-stream')) {
        return c.redirect(`${CONSOLE_PATH}/login?reason=${opened}&next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 303);
      }
      throw new TagrelayError('ERR_UNAUTHORIZED', opened === 'expired' ? 'the console session expired; log in again' : 'log in to the console first');
    }
    c.set('consoleSession' as never, opened as never);
    await next();
  };
}

/** 403 without the scope (after {@link requireSession}). */
export function requireConsoleScope(scope: string): MiddlewareHandler {
  return async (c, next) => {
    if (!sessionOf(c).scopes.includes(scope)) throw new TagrelayError('ERR_FORBIDDEN', `the session lacks scope ${scope}`);
    await next();
  };
}

/** 403 unless the request carries the session's CSRF token (form field `_csrf` or header `x-csrf-token`). */
export function requireCsrf(signer: SessionSigner): MiddlewareHandler {
  return async (c, next) => {
    let token = c.req.header('x-csrf-token');
    if (!token) {
      const type = c.req.header('content-type') ?? '';
      if (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data')) {
        const body = await c.req.parseBody();
        token = typeof body._csrf === 'string' ? body._csrf : undefined;
      }
    }
    if (!(await signer.checkCsrf(sessionOf(c), token))) throw new TagrelayError('ERR_FORBIDDEN', 'missing or invalid CSRF token');
    await next();
  };
}
