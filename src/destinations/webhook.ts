/**
 * @module Webhook: events as signed JSON batches to an endpoint of the site's own (issue 14 §3).
 *
 * Every request carries `x-tagrelay-timestamp: <unix seconds>` and
 * `x-tagrelay-signature: v1=<hex HMAC-SHA-256(secret, "<timestamp>.<body>")>`. The timestamp is
 * signed with the body (the construction of Stripe's and Slack's webhook signatures), so a captured
 * request cannot be replayed once the receiver's tolerance (5 minutes, see README "Webhook") is over.
 */
import { z } from 'zod';
import { EVENT_NAME_PATTERN, type CampaignInfo, type Event, type Item, type PageData, type Scalar } from '../event.js';
import type { Purpose } from '../consent/purposes.js';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { MapContext, MapResult, OutboxItem, SendAction, SendContext, SendResult } from './types.js';
import { isRetryableStatus, parseRetryAfter, postJson, redact, settleItems, truncateText, type SendOutcome } from './http.js';
import { toNumber } from './scalar.js';
import { META_HASHING } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';
import { HTTP_STATUS, httpWords } from '../reasons/words.js';

/** Headers tagrelay sets itself; `headers` may not override them. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', 'x-tagrelay-timestamp', 'x-tagrelay-signature']);
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);
/** RFC 9110 §5.1 field-name token. */
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

export const webhookConfigSchema = baseDestinationSchema
  .extend({
    type: z.literal('webhook'),
    /** The receiver. https, unless it is on this host (or `allow_http`). */
    url: z.url(),
    /** Secret: signs every request; never sent, logged or put into an error string. */
    secret: z.string().min(32, 'expected at least 32 characters (e.g. `openssl rand -hex 32`)'),
    /** Only these event names are sent; unset: every event. */
    events: z.array(z.string().regex(EVENT_NAME_PATTERN, 'expected an event name')).min(1).optional(),
    /** Extra request headers (an `Authorization` for a gateway); their values are redacted like the secret. */
    headers: z
      .record(z.string(), z.string())
      .default({})
      .refine((h) => Object.keys(h).every((k) => HEADER_NAME.test(k)), { message: 'expected HTTP header names (letters, digits and -)' })
      .refine((h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())), {
        message: `may not set ${[...RESERVED_HEADERS].join(', ')}`,
      }),
    /** Permit plain http to another host (a private network); the payload carries hashed contact data. */
    allow_http: z.boolean().default(false),
    timeout_ms: z.number().int().min(100).default(10_000),
  })
  .refine((c) => c.allow_http || c.url.startsWith('https:') || LOOPBACK.has(new URL(c.url).hostname), {
    message: 'expected an https URL (plain http only to localhost, or with allow_http: true)',
    path: ['url'],
  })
  // `url` is the whole address; a base-URL override would be a second way to say it.
  .refine((c) => c.endpoint === undefined, { message: "a webhook's address is url, not endpoint", path: ['endpoint'] });
export type WebhookConfig = z.infer<typeof webhookConfigSchema>;

/** The consent an event was sent under, for the receiver's own records. */
export interface WebhookConsent {
  /** `send`: every required purpose granted; `anonymize`/`cookieless`: sent without user data or ids. */
  action: SendAction;
  region: string;
  policy_version: string;
  granted: Purpose[];
  denied: Purpose[];
  limited_data_use: boolean;
}

/** One event as the receiver gets it. */
export interface WebhookEvent {
  event_id: string;
  name: string;
  /** ISO-8601, UTC. */
  time: string;
  /** `micro` / `macro` for an event a conversion rule derived. */
  kind?: string;
  /** `params.value` as a number, when it is one. */
  value?: number;
  params: Record<string, Scalar>;
  items?: Item[];
  client_id?: string;
  user_id?: string;
  /** SHA-256 hex of the email (trimmed, lower-case) and of the phone (E.164 digits without `+`): Meta's rules. */
  user?: { sha256_email?: string; sha256_phone?: string };
  consent: WebhookConsent;
  page: PageData;
  campaign?: CampaignInfo;
}

/** Extra requests one `send` may spend isolating a rejected event by bisection. */
export const WEBHOOK_SPLIT_BUDGET = 32;
/** Answers that may be about one event of the batch (bisected); other 4xx are about the endpoint. */
const CONTENT_STATUSES = new Set([400, 413, 422]);
/** Answers that every further request would get too (wrong URL or secret): the rest of the batch shares them. */
const ENDPOINT_STATUSES = new Set([401, 403, 404, 405, 410]);

function consentSummary(event: Event, action: SendAction): WebhookConsent {
  const state = event.consent_state;
  const granted: Purpose[] = [];
  const denied: Purpose[] = [];
  for (const [purpose, d] of Object.entries(state?.purposes ?? {})) (d.value === 'granted' ? granted : denied).push(purpose as Purpose);
  return {
    action,
    region: state?.region ?? 'unknown',
    policy_version: state?.policy_version ?? '',
    granted,
    denied,
    limited_data_use: state?.limited_data_use === true,
  };
}

/**
 * Map one (minimized) event. Pure. Only what the site's own systems need leaves: no IP, no
 * User-Agent, no vendor cookies, and of the user data only the email and phone hashes.
 */
export function mapWebhook(event: Event, config: Pick<WebhookConfig, 'events'>, ctx: MapContext): MapResult<WebhookEvent> {
  if (config.events && !config.events.includes(event.name)) return { skip: 'webhook.event_not_selected' };
  const out: WebhookEvent = {
    event_id: event.event_id,
    name: event.name,
    time: new Date(event.time).toISOString(),
    params: event.params,
    consent: consentSummary(event, ctx.action),
    page: event.page,
  };
  // Conversion rules mark what they derive; an ordinary event has no kind.
  const kind = (event as Event & { kind?: unknown }).kind;
  if (typeof kind === 'string') out.kind = kind;
  const value = toNumber(event.params.value);
  if (value !== undefined) out.value = value;
  if (event.items && event.items.length > 0) out.items = event.items;
  if (event.client.client_id) out.client_id = event.client.client_id;
  if (event.user.user_id) out.user_id = event.user.user_id;
  const h = event.hashed_user;
  if (h?.em || h?.ph) out.user = { ...(h.em ? { sha256_email: h.em } : {}), ...(h.ph ? { sha256_phone: h.ph } : {}) };
  if (event.campaign && Object.keys(event.campaign).length > 0) out.campaign = event.campaign;
  return { payload: out };
}

const encoder = new TextEncoder();

/** Hex HMAC-SHA-256 through Web Crypto (one per request, not per event: the Hasher port is not needed). */
export async function signWebhook(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Deliver a batch in one signed request; a content rejection (400, 413, 422) is bisected to isolate the event it is about. */
async function sendWebhook(batch: OutboxItem<WebhookEvent>[], config: WebhookConfig, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const clean = (text: string): string => redact(text, [config.secret, ...Object.values(config.headers)]);
  let budget = WEBHOOK_SPLIT_BUDGET;
  // After a throttle or an endpoint-wide refusal, requests not yet started share that fate unsent.
  let stop: SendOutcome | undefined;

  const settle = (items: OutboxItem<WebhookEvent>[], outcome: SendOutcome): void => settleItems(result, items, outcome);

  const deliver = async (items: OutboxItem<WebhookEvent>[]): Promise<void> => {
    if (stop) return settle(items, stop);
    const body = JSON.stringify({ events: items.map((i) => i.payload) });
    const res = await ctx.limit(async () => {
      // Signed inside the slot: the timestamp is the sending time, not the time the request started waiting.
      const timestamp = String(Math.floor(ctx.now() / 1000));
      const signature = await signWebhook(config.secret, timestamp, body);
      const headers = { ...config.headers, 'x-tagrelay-timestamp': timestamp, 'x-tagrelay-signature': `v1=${signature}` };
      return postJson(ctx.fetch, config.url, body, config.timeout_ms, headers);
    });
    if (!res.ok) {
      stop = { kind: 'retry', error: clean(`webhook.${res.error}`) };
      return settle(items, stop);
    }
    if (res.status >= 200 && res.status < 300) {
      for (const item of items) result.delivered.push(item.id);
      return;
    }
    const error = clean(`webhook.http_${res.status}: ${truncateText(res.text)}`);
    if (isRetryableStatus(res.status)) {
      const after = parseRetryAfter(res.retryAfter, ctx.now());
      stop = { kind: 'retry', error, ...(after !== undefined ? { retry_after_ms: after } : {}) };
      return settle(items, stop);
    }
    if (CONTENT_STATUSES.has(res.status) && items.length > 1) {
      if (budget < 2) return settle(items, { kind: 'retry', error: `webhook.split_budget_exhausted: ${error}` });
      budget -= 2;
      const mid = Math.ceil(items.length / 2);
      await Promise.all([deliver(items.slice(0, mid)), deliver(items.slice(mid))]);
      return;
    }
    if (ENDPOINT_STATUSES.has(res.status)) stop = { kind: 'failed', error };
    settle(items, { kind: 'failed', error });
  };

  await deliver(batch);
  if (result.failed.length > 0 || result.retry.length > 0) {
    // The URL's host only: a path or query may carry a token.
    ctx.log.warn('webhook send incomplete', {
      host: new URL(config.url).host,
      delivered: result.delivered.length,
      retry: result.retry.length,
      failed: result.failed.length,
    });
  }
  return result;
}

/** The signed webhook's outcomes, in words. */
const WEBHOOK_REASONS: ReasonTable = {
  'webhook.event_not_selected': () =>
    "The event's name is not in this webhook's events list (events), so it was not sent to the webhook.",
  'webhook.split_budget_exhausted': () =>
    'The webhook receiver refused a batch and the search for the event it refused ran out of extra requests; the events will be retried.',
};

/**
 * The webhook destination. Minimization flavour: `meta` (email and phone hashed by Meta's rules);
 * no IP. Requires no purpose by default: the site decides (`requires: [ad_user_data]` for a
 * marketing system).
 *
 * @example
 * { id: 'crm', type: 'webhook', url: 'https://crm.example.com/hooks/tagrelay', secret: '${WEBHOOK_SECRET}', events: ['purchase'] }
 */
export const webhook = defineDestination({
  type: 'webhook',
  configSchema: webhookConfigSchema,
  requires: [],
  whenDenied: 'drop',
  privacy: { hashing: META_HASHING, ip: 'drop' },
  batch: { maxEvents: 100, maxWaitMs: 1000 },
  maxInFlight: 8,
  map: mapWebhook,
  send: sendWebhook,
  reasons: {
    area: 'webhook',
    vendor: 'The webhook receiver',
    codes: WEBHOOK_REASONS,
    prefixes: { 'webhook.http_': { part: HTTP_STATUS, describe: (status) => httpWords('The webhook receiver', status) } },
  },
  identityKeys: ['client_id', 'user_id', 'sha256_email', 'sha256_phone'],
  docs: { vendor: 'https://datatracker.ietf.org/doc/html/rfc2104', page: 'docs/destinations/webhook.md' },
  example: { id: 'crm', type: 'webhook', url: 'https://crm.example.com/hooks/tagrelay', secret: 'example-secret-of-at-least-32-characters' },
});
