/**
 * @module Start the local delivery sink (bench/sink.mjs) as a child process and read its counts.
 */
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './proc.js';

/** Vendors answer in 20–50 ms from a real server; a benchmark that delivers never uses less than this. */
export const MIN_SINK_DELAY_MS = 20;

/** What the sink counted (GET /counts). */
export interface SinkStats {
  delay_ms: number;
  requests: number;
  bytes: number;
  /** Bodies of vendor requests that were not JSON (should stay 0). */
  bad_json: number;
  by_path: Record<string, { requests: number; events: number }>;
  /** Distinct events taken per vendor (Meta: `event_id`; GA4: `client_id|name|timestamp_micros`). */
  unique: VendorEvents;
  /** Events taken again after the first time, per vendor. */
  duplicates: VendorEvents;
  /** The outage mode now, and what was turned away while down (POST /outage, POST /up). */
  outage: { mode: 'up' | OutageMode; outages: number; rejected_requests: number; rejected_events: number; dropped_sockets: number };
}

/** How the vendor port behaves while down: every POST answered 503, or connections refused. */
export type OutageMode = '503' | 'refuse';

/** Events per vendor: GA4 `/mp/collect` (not the debug endpoint) and Meta `…/events`. */
export interface VendorEvents {
  ga4: number;
  meta: number;
}

/** Sum the sink's per-path counts into events per vendor. */
export function vendorEvents(stats: SinkStats): VendorEvents {
  let ga4 = 0;
  let meta = 0;
  for (const [path, c] of Object.entries(stats.by_path)) {
    if (path.endsWith('/mp/collect') && !path.includes('/debug/')) ga4 += c.events;
    else if (path.endsWith('/events')) meta += c.events;
  }
  return { ga4, meta };
}

/** Requests per path, e.g. `/mp/collect×120 /v21.0/123/events×3`. */
export function describeRequests(stats: SinkStats): string {
  return Object.entries(stats.by_path).map(([p, c]) => `${p}×${c.requests}`).join(' ') || 'none';
}

/** A running sink. */
export interface Sink {
  url: string;
  delayMs: number;
  child: Child;
  stats(): Promise<SinkStats>;
  /**
   * Poll /counts every `everyMs` until `done(events)` holds or `timeoutMs` passed; returns the last
   * counts and when `done` first held (ms after the call; undefined when it never did).
   */
  waitFor(done: (events: VendorEvents) => boolean, timeoutMs: number, everyMs?: number): Promise<{ events: VendorEvents; stats: SinkStats; doneAfterMs?: number }>;
  /** Take the vendors down (only with `control: true` for `refuse`, so /counts stays reachable). */
  outage(mode: OutageMode): Promise<void>;
  /** End the outage. */
  up(): Promise<void>;
  /** The identities of every event the vendor took (see {@link SinkStats.unique}). */
  ids(vendor: keyof VendorEvents): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * @example
 * const sink = await startSink({ delayMs: 30 })
 * console.log(vendorEvents(await sink.stats()).ga4)
 */
export async function startSink(opts: { delayMs?: number; control?: boolean } = {}): Promise<Sink> {
  const delayMs = opts.delayMs ?? 30;
  if (!(delayMs >= MIN_SINK_DELAY_MS)) throw new Error(`sink delay ${delayMs} ms: benchmarks that deliver use ≥ ${MIN_SINK_DELAY_MS} ms, as a real vendor answers`);
  const args = [fileURLToPath(new URL('../sink.mjs', import.meta.url)), '--delay-ms', String(delayMs), ...(opts.control ? ['--control'] : [])];
  const child = startChild(process.execPath, args);
  const line = await child.waitFor(/sink listening/);
  const listening = JSON.parse(line) as { port: number; control_port?: number };
  const url = `http://127.0.0.1:${listening.port}`;
  // With --control, counts and outage switches go to their own port (reachable while the vendor port refuses).
  const controlUrl = listening.control_port ? `http://127.0.0.1:${listening.control_port}` : url;
  const stats = async () => (await (await fetch(`${controlUrl}/counts`)).json()) as SinkStats;
  const post = async (path: string) => {
    const res = await fetch(`${controlUrl}${path}`, { method: 'POST' });
    if (!res.ok) throw new Error(`sink ${path}: ${res.status} ${await res.text()}`);
  };
  return {
    url,
    delayMs,
    child,
    stats,
    async outage(mode) {
      if (mode === 'refuse' && !opts.control) throw new Error('a refuse outage needs startSink({ control: true })');
      await post(`/outage?mode=${mode}`);
    },
    up: () => post('/up'),
    async ids(vendor) {
      const text = await (await fetch(`${controlUrl}/ids?vendor=${vendor}`)).text();
      return text ? text.split('\n') : [];
    },
    async waitFor(done, timeoutMs, everyMs = 200) {
      const started = performance.now();
      for (;;) {
        const s = await stats();
        const events = vendorEvents(s);
        if (done(events)) return { events, stats: s, doneAfterMs: performance.now() - started };
        if (performance.now() - started >= timeoutMs) return { events, stats: s };
        await new Promise((r) => setTimeout(r, Math.min(everyMs, Math.max(1, timeoutMs - (performance.now() - started)))));
      }
    },
    async stop() {
      await child.stop();
    },
  };
}
