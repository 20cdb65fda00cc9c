/**
 * @module Canonical events and consent states for destination tests.
 */
import type { Event } from '../../src/event.js';
import { createLimiter } from '../../src/delivery/limiter.js';
import { PURPOSES, type ConsentState, type Purpose } from '../../src/consent/purposes.js';
import type { OutboxItem, SendContext } from '../../src/destinations/types.js';
import { silentLogger, type LogFields, type Logger, type SqlDb } from '../../src/ports.js';

/** 2024-05-01T12:00:00Z */
export const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);

/** SHA-256 hex of fixed strings (values do not matter, only their shape). */
export const H = {
  em: 'a'.repeat(64),
  ph: 'b'.repeat(64),
  fn: 'c'.repeat(64),
  ln: 'd'.repeat(64),
  ge: 'e'.repeat(64),
  db: 'f'.repeat(64),
  ct: '1'.repeat(64),
  st: '2'.repeat(64),
  zp: '3'.repeat(64),
  country: '4'.repeat(64),
  external_id: '5'.repeat(64),
};

/** A consent state with the listed purposes granted and the rest denied. */
export function consent(granted: readonly Purpose[] = PURPOSES, extra: Partial<ConsentState> = {}): ConsentState {
  const purposes = Object.fromEntries(
    PURPOSES.map((p) => [p, granted.includes(p) ? { value: 'granted', source: 'explicit', reason: 'consent.explicit' } : { value: 'denied', source: 'explicit', reason: 'consent.explicit' }]),
  ) as ConsentState['purposes'];
  return { purposes, region: 'DE', policy: 'opt_in', policy_version: '1', limited_data_use: false, notes: [], ...extra };
}

/** A minimized event as destinations receive it. */
export function event(over: Partial<Event> = {}): Event {
  return {
    event_id: 'evt-1',
    name: 'page_view',
    time: T0,
    received_at: T0,
    params: {},
    user: {},
    page: {},
    client: { client_id: '1234567890.1714564800', session_id: '1714564800', engagement_time_msec: 120 },
    consent: {},
    request: { source: 'native', headers: {}, cookies: {} },
    consent_state: consent(),
    ...over,
  };
}

/** Wrap payloads as outbox items with ids 1..n. */
export function outbox<P>(payloads: P[], createdAt = T0): OutboxItem<P>[] {
  return payloads.map((payload, i) => ({ id: i + 1, event_id: `evt-${i + 1}`, payload, attempts: 0, created_at: createdAt }));
}

/** A logger that keeps every line, to assert secrets never reach it. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const rec = (level: string) => (msg: string, fields?: LogFields) => void lines.push(`${level} ${msg} ${JSON.stringify(fields ?? {})}`);
  return { lines, debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') };
}

/** A send context on the real fetch, one request in flight unless told; `db` is unused by vendor destinations. */
export function sendContext(now: number, log: Logger = silentLogger, maxInFlight = 1): SendContext {
  return { fetch: (input, init) => fetch(input, init), now: () => now, log, db: undefined as unknown as SqlDb, limit: createLimiter(maxInFlight).run };
}

/**
 * A real fetch that counts the requests it has open: `peak` is the most in flight at once. Every
 * fake answers after 20–50 ms, so two requests started together are both open before either ends.
 */
export function fetchProbe(): { fetch: SendContext['fetch']; readonly peak: number; readonly started: number } {
  let open = 0;
  let peak = 0;
  let started = 0;
  return {
    fetch: async (input, init) => {
      open++;
      started++;
      peak = Math.max(peak, open);
      try {
        return await fetch(input, init);
      } finally {
        open--;
      }
    },
    get peak() {
      return peak;
    },
    get started() {
      return started;
    },
  };
}
