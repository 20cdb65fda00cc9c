/**
 * @module The live debug stream's wire shape: what `GET /admin/v1/debug/sessions/:id/stream` sends.
 *
 * The stream is Server-Sent Events. Every message is
 *
 * ```
 * id: <seq>
 * event: <stage>
 * data: <one DebugMessage as JSON, on one line>
 * ```
 *
 * plus a `: keep-alive` comment every 15 s. `seq` counts from 1 per session, so a client that
 * reconnects with `Last-Event-ID` gets what it missed (the session keeps its last 200 messages).
 * The first message of every stream is `hello` (the session, its expiry, the visitor binding); the
 * last is `end` when the session expires or is closed. Between them, per event the visitor sends:
 * `input` → `accept` → `consent` → `identity` (accepted events only), then per destination `decision`,
 * and for what is sent `request` → `answer`. Values are masked: no clear personal data (emails,
 * phones, names, clear ids are `****` or a hash prefix) and no secrets (api keys, tokens: `****`).
 *
 * Sessions and tokens (admin API, scope `debug:read`):
 * - `POST /admin/v1/debug/sessions` `{ "label"?: string, "ttl"?: "30m" }` → {@link DebugSessionInfo}
 * - `GET /admin/v1/debug/sessions` → `{ sessions: DebugSessionInfo[] }` (without tokens)
 * - `DELETE /admin/v1/debug/sessions/:id` → 204 (the stream ends with `end`)
 * - `GET /admin/v1/debug/sessions/:id/stream` → `text/event-stream` of {@link DebugMessage}
 * - `GET /debug/link?token=…&to=https://…` (public): sets the `_tr_debug` cookie in the tester's
 *   browser and redirects to `to` (a same-site URL) or shows a short page. Put it in a QR code.
 * A request carries the token as the `_tr_debug` cookie or the `X-Tagrelay-Debug` header.
 */

/** The stages, in the order they happen for one event. */
export type DebugStage = 'hello' | 'input' | 'accept' | 'consent' | 'identity' | 'decision' | 'request' | 'answer' | 'end';

/** Fields every message has. */
export interface DebugBase<S extends DebugStage> {
  stage: S;
  /** Per-session sequence number (also the SSE `id`). */
  seq: number;
  session_id: string;
  /** When the stage happened, ISO 8601. */
  at: string;
}

/** Fields of every per-event message. */
export interface DebugEventRef {
  event_id: string;
  /** Event name (`page_view`, `purchase`, …). */
  name: string;
}

/** What `POST /admin/v1/debug/sessions` answers (token only there, never in a listing). */
export interface DebugSessionInfo {
  id: string;
  label?: string;
  created_at: string;
  expires_at: string;
  /** The signed debug token (HMAC-SHA-256), only in the creation answer. */
  token?: string;
  /** A path on the proxy that sets the cookie in the browser that opens it (add `&to=<url>`). */
  link?: string;
  cookie_name: '_tr_debug';
  header_name: 'X-Tagrelay-Debug';
  /** Events traced so far. */
  events: number;
  /** Streams open now. */
  listeners: number;
}

/** The first message of a stream. */
export interface DebugHello extends DebugBase<'hello'> {
  session: DebugSessionInfo;
}

/** The last message: the session expired or was closed. */
export interface DebugEnd extends DebugBase<'end'> {
  reason: 'debug.session_expired' | 'debug.session_closed' | 'debug.server_stopping';
}

/** The event as received from the wire (after the ingest adapter), masked. */
export interface DebugInput extends DebugBase<'input'>, DebugEventRef {
  /** The request: source (`native`, `gtag`), method, path, masked headers (no cookies, no authorization). */
  request: { source: string; method: string; path: string; headers: Record<string, string> };
  /** The canonical event before any stage ran: params, page, client, consent signals; user data masked. */
  event: Record<string, unknown>;
}

/** What the accept path decided about the event. */
export interface DebugAccept extends DebugBase<'accept'>, DebugEventRef {
  status: 'accepted' | 'duplicate' | 'bot' | 'rejected';
  /** Event-level reason codes (plan, bot, identity, privacy at accept). */
  reasons: string[];
  /** Set for events a conversion rule derived from another (`rules.derived:<rule>`). */
  derived_from?: { event_id: string; rule_id: string };
}

/** One purpose's outcome. */
export interface DebugPurpose {
  value: 'granted' | 'denied';
  /** The signal that decided: explicit, receipt, gcs, gcd, tcf, gpp, us_privacy, gpc, cookie, region_default. */
  source: string;
  reason: string;
}

/** Consent per purpose, decided once at accept. */
export interface DebugConsent extends DebugBase<'consent'>, DebugEventRef {
  region: string;
  policy: string;
  policy_key?: string;
  policy_version: string;
  limited_data_use: boolean;
  purposes: Record<string, DebugPurpose>;
  notes: string[];
}

/** Identity and enrichment as the record keeps them (pseudonyms and hash prefixes, never clear ids). */
export interface DebugIdentity extends DebugBase<'identity'>, DebugEventRef {
  /** Client section: ids masked (`client_id: "****"` when present), session number, fbp/fbc presence. */
  client: Record<string, unknown>;
  /** Which hashed identifiers the record holds, per flavour: `{ meta: ['em', 'ph'], google: ['sha256_email_address'] }`. */
  hashed: Record<string, string[]>;
  /** Pseudonyms present (names only). */
  pseudonyms: string[];
  device?: Record<string, unknown>;
  geo?: Record<string, unknown>;
  campaign?: Record<string, unknown>;
  /** Identity and privacy notes (`identity.*`, `privacy.*`). */
  reasons: string[];
}

/** Per destination: what `decide()` returned (delivery/decide.ts) — sent, dropped or skipped, and why. */
export interface DebugDecision extends DebugBase<'decision'>, DebugEventRef {
  destination_id: string;
  destination_type: string;
  /** `send`, `cookieless`, `drop`, `skip`, … (the route action). */
  action: string;
  reasons: string[];
  /** The payload `decide()` produced for this event (secrets masked); absent when nothing is sent. */
  payload?: unknown;
  /** Attempts before this one (0 the first time). */
  attempt: number;
}

/** The vendor request that carried the event (secrets in the URL, headers and body masked). */
export interface DebugRequest extends DebugBase<'request'>, DebugEventRef {
  destination_id: string;
  method: string;
  url: string;
  /** The request body as sent, masked; omitted (`body_omitted: true`) when the batch also carries other visitors' events. */
  body?: unknown;
  body_omitted?: boolean;
  /** Events in this vendor request. */
  batch_size: number;
}

/** The vendor's answer and what delivery did with it. */
export interface DebugAnswer extends DebugBase<'answer'>, DebugEventRef {
  destination_id: string;
  /** HTTP status; absent when the request failed without one (refused, timed out) or the destination is local. */
  status?: number;
  /** The first 2,000 characters of the answer body, masked. */
  body_excerpt?: string;
  /** delivered, retry (will be retried), failed (dead-lettered). */
  outcome: 'delivered' | 'retry' | 'failed';
  error?: string;
  /** Round trip of the send, ms. */
  latency_ms: number;
}

/** Any message of the stream; switch on `stage`. */
export type DebugMessage = DebugHello | DebugEnd | DebugInput | DebugAccept | DebugConsent | DebugIdentity | DebugDecision | DebugRequest | DebugAnswer;

/** The names the token travels under. */
export const DEBUG_COOKIE = '_tr_debug';
export const DEBUG_HEADER = 'x-tagrelay-debug';
