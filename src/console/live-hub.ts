/**
 * @module The Live view's backend on the debug hub (src/debug/): sessions are opened and closed on the hub,
 * and the stream is the debug API's own SSE route, called in-process behind the console's session and
 * scope check — so the console shows exactly what `GET /admin/v1/debug/sessions/:id/stream` sends.
 */
import type { Hono } from 'hono';
import type { DebugHub } from '../debug/hub.js';
import type { Runtime } from '../ports.js';
import type { LiveBackend } from './live.js';
import { debugAdminRoutes } from '../debug/routes.js';
import { TagrelayError } from '../errors.js';

/**
 * @example
 * consoleRoutes(services, verifier, { live: hubLiveBackend(services.debug, runtime) })
 */
export function hubLiveBackend(hub: DebugHub, runtime: Pick<Runtime, 'now' | 'randomHex'>): LiveBackend {
  // A bearer token that exists only in this process and never leaves it: the in-process debug routes
  // accept it for debug:read, after the console checked the session and its scope.
  const internal = runtime.randomHex(32);
  let routes: Hono | undefined;
  const debugRoutes = () =>
    (routes ??= debugAdminRoutes(
      hub,
      async (token) => {
        if (token !== internal) throw new TagrelayError('ERR_UNAUTHORIZED', 'invalid token');
        return { sub: 'console', scope: 'debug:read' };
      },
      runtime.now,
    ));
  return {
    async open(label) {
      const { session, token } = await hub.open({ label });
      const info = hub.info(session, token);
      return { id: info.id, token, link: info.link!, expires_at: info.expires_at };
    },
    close: (id) => hub.close(id),
    stream(c, id) {
      const headers: Record<string, string> = { authorization: `Bearer ${internal}` };
      const last = c.req.header('last-event-id');
      if (last) headers['last-event-id'] = last;
      return debugRoutes().request(`/sessions/${encodeURIComponent(id)}/stream`, { headers, signal: c.req.raw.signal });
    },
  };
}
