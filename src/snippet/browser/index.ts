/**
 * @module The tagrelay snippet (`/t.js`): `tagrelay('event' | 'page' | 'user' | 'consent' | 'auto' | 'config' | 'flush', …)`.
 *
 * Load it after the queue stub so calls made before it arrives are kept:
 * `window.tagrelay = window.tagrelay || function(){(tagrelay.q=tagrelay.q||[]).push(arguments)}`
 */
import type { Command, PageWindow, TagrelayFn } from './globals.js';
import { consentSnapshot, setConsent } from './consent.js';
import { enqueue, flush, setEndpoint } from './transport.js';
import { onVisible, resetPage, startAuto, takeVisibleTime, type AutoOptions } from './auto.js';

const w = window as PageWindow;
const d = document;
let user: Record<string, unknown> = {};

function uuid(): string {
  // Outside a secure context randomUUID is missing: a v4 UUID from getRandomValues (digits 0/1/8 of the template are randomized).
  return crypto.randomUUID
    ? crypto.randomUUID()
    : '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (+c ^ (crypto.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+c / 4)))).toString(16));
}

function push(name: string, params?: Record<string, unknown>): void {
  const consent = consentSnapshot(w);
  enqueue({
    name,
    event_id: uuid(),
    time: Date.now(),
    params,
    page: { url: location.href, referrer: d.referrer, title: d.title },
    consent: Object.keys(consent).length ? consent : undefined,
    user: Object.keys(user).length ? { ...user } : undefined,
  });
}

function hide(): void {
  const ms = takeVisibleTime();
  if (ms) push('user_engagement', { engagement_time_msec: ms });
  flush();
}

const api: TagrelayFn = function tagrelay(cmd: unknown, a?: unknown, b?: unknown): void {
  try {
    if (cmd === 'event' && typeof a === 'string') push(a, b as Record<string, unknown>);
    else if (cmd === 'page') {
      resetPage();
      push('page_view', a as Record<string, unknown>);
    } else if (cmd === 'user') user = a && typeof a === 'object' ? { ...user, ...a } : {};
    else if (cmd === 'consent') setConsent(typeof a === 'string' ? b : a);
    else if (cmd === 'auto') startAuto((a || {}) as AutoOptions, push);
    else if (cmd === 'config' && a && typeof (a as { endpoint?: unknown }).endpoint === 'string') setEndpoint((a as { endpoint: string }).endpoint);
    else if (cmd === 'flush') flush();
  } catch {
    // A bad call must never break the page.
  }
};

if (!w.tagrelay?.l) {
  const queued: Command[] = w.tagrelay?.q || [];
  const src = (d.currentScript as HTMLScriptElement | null)?.src;
  setEndpoint(new URL('/v1/events', src || location.href).href);
  api.l = 1;
  w.tagrelay = api;
  for (const args of queued) api.apply(null, Array.from(args));
  d.addEventListener('visibilitychange', () => (d.visibilityState === 'hidden' ? hide() : onVisible()));
  w.addEventListener('pagehide', hide);
}
