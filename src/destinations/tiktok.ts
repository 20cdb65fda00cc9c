/**
 * @module TikTok Events API 2.0 (web events).
 *
 * Docs: https://business-api.tiktok.com/portal/docs?id=1771101276978178
 * `POST {endpoint}/open_api/{api_version}/event/track/` with header `Access-Token`, body
 * `{ event_source: 'web', event_source_id: <pixel code>, data: [...] }`, at most 1000 events.
 * TikTok answers HTTP 200 for refusals too: the body's `code` says (0 = accepted).
 */
import { z } from 'zod';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { OutboxItem, SendContext, SendResult } from './types.js';
import { mapTikTok, type TikTokEvent } from './tiktok-map.js';
import { isRetryableStatus, parseRetryAfter, postJson, redact, settleItems, truncateText, type SendOutcome } from './http.js';
import { defineHashingRule } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';
import { HTTP_STATUS, httpWords } from '../reasons/words.js';

export const tiktokConfigSchema = baseDestinationSchema.extend({
  type: z.literal('tiktok'),
  /** The pixel code (Events Manager → Web events), sent as `event_source_id`. */
  pixel_code: z.string().regex(/^[A-Z0-9]{8,32}$/, 'expected a TikTok pixel code such as C4ABCDEFGH1234567890'),
  /** Secret: sent in the `Access-Token` header only, never in a URL, a log field or an error string. */
  access_token: z.string().min(1),
  api_version: z.string().regex(/^v\d+\.\d+$/, 'expected a Business API version such as v1.3').default('v1.3'),
  endpoint: z.url().default('https://business-api.tiktok.com'),
  /** Routes events to Events Manager's Test Events tab. */
  test_event_code: z.string().optional(),
  /** Canonical event name → TikTok event name; wins over the built-in standard-event table. */
  event_name_map: z.record(z.string(), z.string().min(1).max(50)).default({}),
  /** Forward events without a standard mapping as custom events (reporting and audiences only, no optimization). */
  custom_events: z.boolean().default(false),
  timeout_ms: z.number().int().min(100).default(10_000),
});
export type TikTokConfig = z.infer<typeof tiktokConfigSchema>;

/**
 * TikTok's normalization: the email trimmed and lower-cased (Meta's rule, so the hash is shared), the
 * phone in E.164 WITH its `+` (Google's rule: `+16505551212`), the external id trimmed; each SHA-256.
 * Names and address parts are not TikTok matching keys and are withheld.
 * https://business-api.tiktok.com/portal/docs?id=1771101276978178 (user parameters)
 */
export const TIKTOK_HASHING = defineHashingRule({
  id: 'tiktok',
  fields: { em: { normalize: 'meta' }, ph: { normalize: 'google' }, external_id: { normalize: 'meta' } },
});

/** Most events TikTok accepts in one request. */
export const TIKTOK_MAX_EVENTS = 1000;
/** Extra requests one `send` may spend isolating an invalid event by bisection. */
export const TIKTOK_SPLIT_BUDGET = 64;

/**
 * Business API return codes (the body's `code`). 0: accepted; 20001: partially accepted (handled as
 * accepted, as RudderStack's TikTok integration does). 40100: too many requests. 40700 and 5xxxx: TikTok's
 * own failures. 40001 and 401xx: permission or access token (every request would get the same).
 * 40002: an invalid parameter, and one invalid event fails the whole request.
 */
const CODE_PARTIAL = 20001;
const CODE_RATE_LIMITED = 40100;
const CODE_INVALID_PARAMETER = 40002;
function isTransientCode(code: number): boolean {
  return code === CODE_RATE_LIMITED || code === 40700 || code >= 50000;
}
function isAuthCode(code: number): boolean {
  return code === 40001 || (code > 40100 && code < 40200);
}

/** The body of every Business API answer. */
export interface TikTokResponse {
  code?: number;
  message?: string;
  request_id?: string;
}

/** Parse an answer; `undefined` when it is not a Business API body. */
export function parseTikTokResponse(text: string): TikTokResponse | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    return body && typeof body === 'object' && typeof (body as TikTokResponse).code === 'number' ? (body as TikTokResponse) : undefined;
  } catch {
    return undefined;
  }
}

function describeCode(body: TikTokResponse): string {
  return truncateText(`tiktok.code_${body.code}: ${body.message ?? ''}${body.request_id ? ` (request_id=${body.request_id})` : ''}`);
}

/** Deliver a batch in concurrent requests of ≤ 1000 events, bisecting 40002 rejections to isolate the invalid event. */
async function sendTikTok(batch: OutboxItem<TikTokEvent>[], config: TikTokConfig, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const now = ctx.now();
  const url = `${config.endpoint.replace(/\/+$/, '')}/open_api/${config.api_version}/event/track/`;
  const clean = (text: string): string => redact(text, [config.access_token]);
  let budget = TIKTOK_SPLIT_BUDGET;
  // Once TikTok throttles or refuses the token, requests not yet started share that fate unsent.
  let stop: SendOutcome | undefined;

  const settle = (items: OutboxItem<TikTokEvent>[], outcome: SendOutcome): void => settleItems(result, items, outcome);

  const deliver = async (items: OutboxItem<TikTokEvent>[]): Promise<void> => {
    if (stop) return settle(items, stop);
    const body = JSON.stringify({
      event_source: 'web',
      event_source_id: config.pixel_code,
      ...(config.test_event_code ? { test_event_code: config.test_event_code } : {}),
      data: items.map((i) => i.payload),
    });
    const res = await ctx.limit(() => postJson(ctx.fetch, url, body, config.timeout_ms, { 'access-token': config.access_token }));
    if (!res.ok) {
      stop = { kind: 'retry', error: clean(`tiktok.${res.error}`) };
      return settle(items, stop);
    }
    const after = parseRetryAfter(res.retryAfter, now);
    const hint = after !== undefined ? { retry_after_ms: after } : {};
    if (res.status < 200 || res.status >= 300) {
      const error = clean(`tiktok.http_${res.status}: ${truncateText(res.text)}`);
      if (isRetryableStatus(res.status)) {
        stop = { kind: 'retry', error, ...hint };
        return settle(items, stop);
      }
      return settle(items, { kind: 'failed', error });
    }
    const answer = parseTikTokResponse(res.text);
    if (!answer) return settle(items, { kind: 'retry', error: clean(`tiktok.unreadable_response: ${truncateText(res.text)}`) });
    if (answer.code === 0 || answer.code === CODE_PARTIAL) {
      // 20001: accepted with warnings about some events, without saying which; resending would not fix them.
      if (answer.code === CODE_PARTIAL) ctx.log.warn('tiktok accepted a request partially', { pixel_code: config.pixel_code, request_id: answer.request_id });
      for (const item of items) result.delivered.push(item.id);
      return;
    }
    const code = answer.code!;
    const error = clean(describeCode(answer));
    if (isTransientCode(code)) {
      stop = { kind: 'retry', error, ...hint };
      return settle(items, stop);
    }
    if (isAuthCode(code)) {
      stop = { kind: 'failed', error };
      return settle(items, stop);
    }
    if (code === CODE_INVALID_PARAMETER && items.length > 1) {
      // TikTok fails the whole request for one invalid event and does not always say which: bisect.
      if (budget < 2) return settle(items, { kind: 'retry', error: `tiktok.split_budget_exhausted: ${error}` });
      budget -= 2;
      const mid = Math.ceil(items.length / 2);
      await Promise.all([deliver(items.slice(0, mid)), deliver(items.slice(mid))]);
      return;
    }
    settle(items, { kind: 'failed', error });
  };

  const chunks: OutboxItem<TikTokEvent>[][] = [];
  for (let i = 0; i < batch.length; i += TIKTOK_MAX_EVENTS) chunks.push(batch.slice(i, i + TIKTOK_MAX_EVENTS));
  await Promise.all(chunks.map(deliver));

  if (result.failed.length > 0 || result.retry.length > 0) {
    ctx.log.warn('tiktok send incomplete', {
      pixel_code: config.pixel_code,
      delivered: result.delivered.length,
      retry: result.retry.length,
      failed: result.failed.length,
    });
  }
  return result;
}

/** TikTok Events API rules and delivery outcomes, in words. */
const TIKTOK_REASONS: ReasonTable = {
  'tiktok.custom_event_disabled': () =>
    'The event has no TikTok standard-event mapping and custom events are switched off for this destination (custom_events: false); it was not sent to TikTok.',
  'tiktok.unreadable_response': () =>
    'TikTok answered without a readable result, so it is unknown whether the events arrived; the delivery is retried (TikTok deduplicates on event_id).',
  'tiktok.split_budget_exhausted': () =>
    'TikTok rejected a batch for an invalid parameter and the search for the invalid event ran out of extra requests; the events will be retried.',
};

/** TikTok answers HTTP 200 with a `code` in the body; the classes follow isTransientCode and isAuthCode above. */
function tiktokCodeWords(code: string): string {
  const n = Number(code);
  if (n === 40100) return 'TikTok answered code 40100 (too many requests): the delivery is retried later, respecting Retry-After.';
  if (n === 40700 || n >= 50000) return `TikTok answered code ${code}, a temporary failure on its side: the delivery is retried with backoff.`;
  if (n === 40001 || (n > 40100 && n < 40200))
    return `TikTok refused the access token or its permission for the pixel (code ${code}): the events are not retried and are kept in the dead-letter store; check access_token and pixel_code in TikTok Events Manager.`;
  if (n === 40002)
    return "TikTok refused an invalid parameter (code 40002): the event is not retried and is kept in the dead-letter store with TikTok's message.";
  return `TikTok refused the request with code ${code}, a permanent error: it is not retried and is kept in the dead-letter store with TikTok's answer.`;
}

/**
 * The TikTok Events API destination. Hashing rule `tiktok` (email as Meta's rule, phone in E.164 with
 * `+`); IP, User-Agent and the pixel's `_ttp` cookie in clear, as TikTok asks (full consent only).
 *
 * @example
 * { id: 'tiktok', type: 'tiktok', pixel_code: 'C4ABCDEFGH1234567890', access_token: '${TIKTOK_ACCESS_TOKEN}' }
 */
export const tiktok = defineDestination({
  type: 'tiktok',
  configSchema: tiktokConfigSchema,
  requires: ['ad_storage', 'ad_user_data'],
  whenDenied: 'drop',
  privacy: { hashing: TIKTOK_HASHING, ip: 'keep', vendorIds: ['ttp'] },
  batch: { maxEvents: TIKTOK_MAX_EVENTS, maxWaitMs: 2000 },
  maxInFlight: 8,
  map: mapTikTok,
  send: sendTikTok,
  reasons: {
    area: 'tiktok',
    vendor: 'TikTok',
    codes: TIKTOK_REASONS,
    prefixes: {
      'tiktok.http_': { part: HTTP_STATUS, describe: (status) => httpWords('TikTok', status) },
      'tiktok.code_': { part: /^\d{5}$/, describe: (code) => tiktokCodeWords(code) },
    },
  },
  identityKeys: ['email', 'phone', 'external_id', 'ttp'],
  docs: { vendor: 'https://business-api.tiktok.com/portal/docs?id=1771101276978178', page: 'docs/destinations/tiktok.md' },
  example: { id: 'tiktok', type: 'tiktok', pixel_code: 'C4ABCDEFGH1234567890', access_token: 'example-access-token' },
});
