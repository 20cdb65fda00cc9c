/**
 * @module The debug hub: live debug sessions of this instance, the events they trace, and their
 * subscribers. Ordinary requests touch it once: {@link DebugHub.carries} looks for the cookie or the
 * header. Sessions live in memory and expire lazily (no timers): a stream's keep-alive tick or any
 * session call ends them.
 */
import type { Hasher } from '../ports.js';
import type { RequestContext } from '../event.js';
import type { DebugConfig } from './config.js';
import type { DebugEnd, DebugMessage, DebugSessionInfo } from './types.js';
import { DEBUG_COOKIE, DEBUG_HEADER } from './types.js';
import { signDebugToken, verifyDebugToken } from './token.js';

/** Distributive Omit (keeps each message kind's own fields). */
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A message before the hub numbers and stamps it. */
export type DebugDraft = Without<DebugMessage, 'seq' | 'session_id' | 'at'>;

/** One live session. */
export interface DebugSession {
  id: string;
  label?: string;
  createdAt: number;
  expiresAt: number;
  events: number;
  seq: number;
  buffer: DebugMessage[];
  listeners: Set<(message: DebugMessage) => void>;
}

/** Why a session ended. */
export type EndReason = DebugEnd['reason'];

/** A traced event: its session and name. */
export interface Traced {
  session: DebugSession;
  name: string;
}

/** The hub of one instance. */
export interface DebugHub {
  /** True when the request carries a debug token (cookie or header): the one check ordinary requests pay. */
  carries(request: Pick<RequestContext, 'cookies' | 'headers'>): boolean;
  /** The live session the request's token names (signature, expiry and session checked), or undefined. */
  sessionOf(request: Pick<RequestContext, 'cookies' | 'headers'>): Promise<DebugSession | undefined>;
  /** Open a session; its token is signed for its lifetime. */
  open(opts: { label?: string; ttlMs?: number }): Promise<{ session: DebugSession; token: string }>;
  get(id: string): DebugSession | undefined;
  list(): DebugSession[];
  /** End a session (its streams get `end`). */
  close(id: string, reason?: EndReason): boolean;
  /** End every session (the server stops: an open stream must not hold it open). */
  closeAll(reason: EndReason): void;
  /** Verify a token (the link route). */
  verify(token: string): Promise<DebugSession | undefined>;
  /** Number, stamp, buffer and fan out a message. */
  publish(session: DebugSession, draft: DebugDraft): void;
  /** Mark an event as traced by a session (delivery looks it up). */
  trace(eventId: string, name: string, session: DebugSession): void;
  /** The session tracing this event, if any (O(1); nothing when no session is open). */
  tracing(eventId: string): Traced | undefined;
  /** Subscribe to a session's new messages; returns the unsubscribe. */
  subscribe(session: DebugSession, listener: (message: DebugMessage) => void): () => void;
  /** End sessions past their expiry. */
  sweep(): void;
  /** Describe a session for the API. */
  info(session: DebugSession, token?: string): DebugSessionInfo;
  readonly size: number;
}

/** Events a session traces at most (the oldest traced ids are forgotten first). */
const MAX_TRACED = 10_000;

/**
 * @example
 * const hub = createDebugHub({ config: config.debug, hasher, now, randomHex, secret: () => secret })
 */
export function createDebugHub(deps: {
  config: DebugConfig;
  hasher: Hasher;
  now(): number;
  randomHex(bytes: number): string;
  /** The signing key (resolved once: configured, derived from the admin secret, or random). */
  secret(): Promise<string>;
}): DebugHub {
  const sessions = new Map<string, DebugSession>();
  const traced = new Map<string, Traced>();
  const iso = (ms: number) => new Date(ms).toISOString();

  function publish(session: DebugSession, draft: DebugDraft): void {
    const message = { ...draft, seq: ++session.seq, session_id: session.id, at: iso(deps.now()) } as DebugMessage;
    session.buffer.push(message);
    if (session.buffer.length > deps.config.buffer) session.buffer.shift();
    for (const listener of session.listeners) listener(message);
  }

  function close(id: string, reason: EndReason = 'debug.session_closed'): boolean {
    const session = sessions.get(id);
    if (!session) return false;
    sessions.delete(id);
    publish(session, { stage: 'end', reason } as DebugDraft);
    for (const [eventId, t] of traced) if (t.session === session) traced.delete(eventId);
    session.listeners.clear();
    return true;
  }

  function sweep(): void {
    const now = deps.now();
    for (const s of [...sessions.values()]) if (s.expiresAt <= now) close(s.id, 'debug.session_expired');
  }

  function live(id: string): DebugSession | undefined {
    const s = sessions.get(id);
    if (s && s.expiresAt <= deps.now()) {
      close(id, 'debug.session_expired');
      return undefined;
    }
    return s;
  }

  async function verify(token: string): Promise<DebugSession | undefined> {
    if (sessions.size === 0) return undefined;
    const claims = await verifyDebugToken(deps.hasher, await deps.secret(), token, deps.now());
    return claims ? live(claims.sessionId) : undefined;
  }

  return {
    carries(request) {
      return request.cookies[DEBUG_COOKIE] !== undefined || request.headers[DEBUG_HEADER] !== undefined;
    },
    async sessionOf(request) {
      const token = request.headers[DEBUG_HEADER] ?? request.cookies[DEBUG_COOKIE];
      return token ? verify(token.trim()) : undefined;
    },
    async open({ label, ttlMs }) {
      sweep();
      if (sessions.size >= deps.config.max_sessions) {
        // The oldest session makes room: a forgotten tab must not lock the console out.
        const oldest = [...sessions.values()].sort((a, b) => a.createdAt - b.createdAt)[0]!;
        close(oldest.id);
      }
      const now = deps.now();
      const ttl = Math.min(ttlMs ?? deps.config.session_ttl, 8 * 3_600_000);
      const session: DebugSession = { id: deps.randomHex(12), label, createdAt: now, expiresAt: now + ttl, events: 0, seq: 0, buffer: [], listeners: new Set() };
      sessions.set(session.id, session);
      return { session, token: await signDebugToken(deps.hasher, await deps.secret(), session.id, session.expiresAt) };
    },
    get: live,
    list() {
      sweep();
      return [...sessions.values()];
    },
    close,
    closeAll(reason) {
      for (const id of [...sessions.keys()]) close(id, reason);
    },
    verify,
    publish,
    trace(eventId, name, session) {
      traced.set(eventId, { session, name });
      if (traced.size > MAX_TRACED) traced.delete(traced.keys().next().value!);
    },
    tracing(eventId) {
      return traced.size === 0 ? undefined : traced.get(eventId);
    },
    subscribe(session, listener) {
      session.listeners.add(listener);
      return () => void session.listeners.delete(listener);
    },
    sweep,
    info(session, token) {
      return {
        id: session.id,
        ...(session.label ? { label: session.label } : {}),
        created_at: iso(session.createdAt),
        expires_at: iso(session.expiresAt),
        ...(token ? { token, link: `/debug/link?token=${encodeURIComponent(token)}` } : {}),
        cookie_name: DEBUG_COOKIE,
        header_name: 'X-Tagrelay-Debug',
        events: session.events,
        listeners: session.listeners.size,
      };
    },
    get size() {
      return sessions.size;
    },
  };
}
