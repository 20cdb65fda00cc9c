/**
 * @module Meta Conversions API.
 *
 * Docs: https://developers.facebook.com/docs/marketing-api/conversions-api
 * (errors: https://developers.facebook.com/docs/graph-api/guides/error-handling)
 */
import { z } from 'zod';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { OutboxItem, SendContext, SendResult } from './types.js';
import { META_MAX_AGE_MS, mapMetaCapi, type MetaEvent } from './meta-capi-map.js';
import { isRetryableStatus, parseRetryAfter, postJson, redact, settleItems, truncateText, type SendOutcome } from './http.js';
import { META_HASHING } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';
import { HTTP_STATUS, httpWords } from '../reasons/words.js';

export const metaCapiConfigSchema = baseDestinationSchema.extend({
  type: z.literal('meta_capi'),
  pixel_id: z.string().regex(/^\d{5,20}$/, 'expected a numeric pixel (dataset) id'),
  /** Secret: sent in the body, never in a URL, a log field or an error string. */
  access_token: z.string().min(1),
  api_version: z.string().regex(/^v\d+\.\d+$/, 'expected a Graph API version such as v21.0').default('v21.0'),
  /** Routes events to Events Manager's Test Events tab. */
  test_event_code: z.string().optional(),
  endpoint: z.url().default('https://graph.facebook.com'),
  action_source: z
    .enum(['website', 'app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other'])
    .default('website'),
  /**
   * The action source for events the site's back end records without a page (a purchase confirmed
   * by the payment provider): Meta refuses a `website` event without event_source_url and
   * client_user_agent. Unset: such events are not sent (`meta.website_event_incomplete`).
   */
  server_action_source: z.enum(['app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other']).optional(),
  /** Canonical event name → Meta event name; wins over the built-in standard-event table. */
  event_name_map: z.record(z.string(), z.string().min(1).max(50)).default({}),
  /** Forward events without a standard mapping as custom events under their own name. */
  custom_events: z.boolean().default(true),
  timeout_ms: z.number().int().min(100).default(10_000),
});
export type MetaCapiConfig = z.infer<typeof metaCapiConfigSchema>;

/** Most events Meta accepts in one request. */
export const META_MAX_EVENTS = 1000;
/** Extra requests one `send` may spend isolating bad events by bisection. */
export const META_SPLIT_BUDGET = 64;
/** Graph error codes that are throttling or transient: 1 unknown, 2 service, 4/17/341/613 rate limits. */
const TRANSIENT_CODES = new Set([1, 2, 4, 17, 32, 341, 613]);

/** The `error` object of a Graph API error body. */
export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  error_user_title?: string;
  error_user_msg?: string;
  is_transient?: boolean;
  fbtrace_id?: string;
}

/** Parse a Graph error body; `undefined` when it is not one. */
export function parseGraphError(text: string): GraphError | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown };
    return body.error && typeof body.error === 'object' ? (body.error as GraphError) : undefined;
  } catch {
    return undefined;
  }
}

/** One line for the dead-letter store and logs, built from the Graph error's fields. */
export function describeGraphError(status: number, err: GraphError | undefined, raw: string): string {
  if (!err) return `meta.http_${status}: ${truncateText(raw)}`;
  const codes = [`code=${err.code ?? '?'}`, ...(err.error_subcode ? [`subcode=${err.error_subcode}`] : [])].join(' ');
  const user = [err.error_user_title, err.error_user_msg].filter(Boolean).join(': ');
  const text = [err.message, user].filter(Boolean).join(' — ');
  return truncateText(`meta.http_${status} ${err.type ?? 'GraphError'} ${codes}: ${text}${err.fbtrace_id ? ` (fbtrace_id=${err.fbtrace_id})` : ''}`);
}

/** Deliver a batch in chunks of 1000, bisecting 400 "invalid parameter" rejections to isolate bad events. */
async function sendMetaCapi(batch: OutboxItem<MetaEvent>[], config: MetaCapiConfig, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const now = ctx.now();
  const url = `${config.endpoint.replace(/\/+$/, '')}/${config.api_version}/${encodeURIComponent(config.pixel_id)}/events`;
  const clean = (text: string): string => redact(text, [config.access_token]);
  let budget = META_SPLIT_BUDGET;
  // Once the endpoint throttles or the token is refused, the rest of the batch shares that fate unsent.
  let stop: SendOutcome | undefined;

  const settle = (items: OutboxItem<MetaEvent>[], outcome: SendOutcome): void => settleItems(result, items, outcome);

  const deliver = async (items: OutboxItem<MetaEvent>[]): Promise<void> => {
    if (stop) return settle(items, stop);
    const body = JSON.stringify({
      data: items.map((i) => i.payload),
      ...(config.test_event_code ? { test_event_code: config.test_event_code } : {}),
      access_token: config.access_token,
    });
    const res = await ctx.limit(() => postJson(ctx.fetch, url, body, config.timeout_ms));
    if (!res.ok) {
      stop = { kind: 'retry', error: clean(`meta.${res.error}`) };
      return settle(items, stop);
    }
    if (res.status >= 200 && res.status < 300) {
      for (const item of items) result.delivered.push(item.id);
      return;
    }
    const err = parseGraphError(res.text);
    const error = clean(describeGraphError(res.status, err, res.text));
    if (err?.code === 190) {
      stop = { kind: 'failed', error };
      return settle(items, stop);
    }
    if (isRetryableStatus(res.status) || (err?.code !== undefined && TRANSIENT_CODES.has(err.code)) || err?.is_transient === true) {
      const after = parseRetryAfter(res.retryAfter, now);
      stop = { kind: 'retry', error, ...(after !== undefined ? { retry_after_ms: after } : {}) };
      return settle(items, stop);
    }
    if (res.status === 400 && err?.code === 100 && items.length > 1) {
      // One bad event fails the whole request and Meta does not say which: bisect.
      if (budget < 2) return settle(items, { kind: 'retry', error: `meta.split_budget_exhausted: ${error}` });
      budget -= 2;
      const mid = Math.ceil(items.length / 2);
      await deliver(items.slice(0, mid));
      await deliver(items.slice(mid));
      return;
    }
    settle(items, { kind: 'failed', error });
  };

  const fresh: OutboxItem<MetaEvent>[] = [];
  for (const item of batch) {
    // An event that aged past 7 days in the outbox would make Meta reject its whole request.
    if (now - item.payload.event_time * 1000 > META_MAX_AGE_MS) result.failed.push({ id: item.id, error: 'meta.event_too_old' });
    else fresh.push(item);
  }
  for (let i = 0; i < fresh.length; i += META_MAX_EVENTS) await deliver(fresh.slice(i, i + META_MAX_EVENTS));

  if (result.failed.length > 0 || result.retry.length > 0) {
    ctx.log.warn('meta_capi send incomplete', {
      pixel_id: config.pixel_id,
      delivered: result.delivered.length,
      retry: result.retry.length,
      failed: result.failed.length,
    });
  }
  return result;
}

/** Meta Conversions API rules and delivery outcomes, in words. */
const META_REASONS: ReasonTable = {
  'meta.custom_event_disabled': () =>
    "The event has no Meta standard-event mapping and custom events are switched off for this destination (custom_events: false); it was not sent to Meta.",
  'meta.event_too_old': () =>
    'The event is more than 7 days old; Meta rejects a whole request containing one (Conversions API event_time rule), so it was not sent.',
  'meta.purchase_missing_value_or_currency': () =>
    'Meta requires value and currency on Purchase events and rejects the whole request without them; the event was not sent.',
  'meta.no_customer_information': () =>
    'Meta requires customer information (hashed contact data, IP and User-Agent, or _fbp/_fbc) for website events, and consent allowed none for this event; it was not sent.',
  'meta.website_event_incomplete': () =>
    "Meta requires the page URL (event_source_url) and the browser's User-Agent (client_user_agent) on every website event and rejects the whole request without them; this event lacked one, so it was not sent. An event the site's back end records without a page is sent when server_action_source names its real source (for example system_generated).",
  'meta.split_budget_exhausted': () =>
    'Meta rejected a batch with an invalid-parameter error and the search for the bad event ran out of extra requests; the events will be retried.',
};

/**
 * The Meta Conversions API destination. Minimization flavour: `meta` (all customer parameters
 * normalized per Meta and SHA-256 hashed; IP, user agent, fbp and fbc in clear).
 *
 * @example
 * { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: '${META_CAPI_TOKEN}' }
 */
export const metaCapi = defineDestination({
  type: 'meta_capi',
  configSchema: metaCapiConfigSchema,
  requires: ['ad_storage', 'ad_user_data'],
  whenDenied: 'drop',
  privacy: { hashing: META_HASHING, ip: 'keep', vendorIds: ['fbp', 'fbc'] },
  batch: { maxEvents: META_MAX_EVENTS, maxWaitMs: 2000 },
  maxInFlight: 8,
  map: mapMetaCapi,
  send: sendMetaCapi,
  reasons: {
    area: 'meta',
    vendor: 'Meta',
    codes: META_REASONS,
    prefixes: {
      'meta.http_': {
        part: HTTP_STATUS,
        describe: (status) =>
          Number(status) >= 400 && Number(status) < 500 && ![408, 425, 429].includes(Number(status))
            ? `Meta refused the request with HTTP ${status}. Graph errors that are rate limits or transient (codes 1, 2, 4, 17, 32, 341, 613, or is_transient) are retried with backoff; any other is permanent and kept in the dead-letter store with Meta's answer (code 190, an invalid access token, stops the whole batch).`
            : httpWords('Meta', status),
      },
    },
  },
  identityKeys: ['em', 'ph', 'external_id'],
  docs: { vendor: 'https://developers.facebook.com/docs/marketing-api/conversions-api', page: 'docs/destinations/meta_capi.md' },
  example: { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'example-access-token' },
});
