/**
 * @module The event queue: batches within a second, sends with sendBeacon (fetch keepalive as fallback).
 */

/** One event as `POST /v1/events` takes it. */
export interface WireEvent {
  name: string;
  event_id: string;
  time: number;
  params?: Record<string, unknown>;
  page: { url: string; referrer: string; title: string };
  consent?: Record<string, string>;
  user?: Record<string, unknown>;
}

const queue: WireEvent[] = [];
let timer: ReturnType<typeof setTimeout> | 0 = 0;
let endpoint = '';

/** Where batches go. */
export function setEndpoint(url: string): void {
  endpoint = url;
}

/** Send everything queued now. */
export function flush(): void {
  if (timer) clearTimeout(timer);
  timer = 0;
  // A batch stays under the 64 KiB both sendBeacon and keepalive fetch allow.
  while (queue.length) {
    const body = JSON.stringify({ events: queue.splice(0, 20) });
    let sent = false;
    try {
      sent = navigator.sendBeacon(endpoint, new Blob([body], { type: 'text/plain' }));
    } catch {
      // sendBeacon throws on some invalid URLs and is missing in a few embedded browsers
    }
    if (!sent) fetch(endpoint, { method: 'POST', body, keepalive: true, credentials: 'include', mode: 'no-cors' }).catch(() => {});
  }
}

/** Queue one event; the batch leaves within a second, or at page hide. */
export function enqueue(event: WireEvent): void {
  queue.push(event);
  if (!timer) timer = setTimeout(flush, 1000);
}
