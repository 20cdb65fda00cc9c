/**
 * @module Google Analytics 4 via the Measurement Protocol.
 *
 * Docs: https://developers.google.com/analytics/devguides/collection/protocol/ga4
 * (reference: …/protocol/ga4/reference, validation: …/protocol/ga4/validating-events)
 */
import { z } from 'zod';
import { baseDestinationSchema, defineDestination } from './types.js';
import type { OutboxItem, SendContext, SendResult } from './types.js';
import { mapGa4, type Ga4Payload } from './ga4-map.js';
import { GA4_LIMITS } from './ga4-limits.js';
import { byteLength, isRetryableStatus, parseRetryAfter, postJson, redact, truncateText } from './http.js';
import { GOOGLE_HASHING } from '../privacy/hashing.js';
import type { ReasonTable } from '../reasons/types.js';
import { HTTP_STATUS, httpWords } from '../reasons/words.js';

export const ga4ConfigSchema = baseDestinationSchema.extend({
  type: z.literal('ga4'),
  measurement_id: z.string().regex(/^G-[A-Z0-9]{4,20}$/, 'expected a GA4 measurement id such as G-ABC123XYZ'),
  /** Secret: never logged; every error string is redacted. */
  api_secret: z.string().min(1),
  /** `https://region1.google-analytics.com` keeps collection in the EU. */
  endpoint: z.url().default('https://www.google-analytics.com'),
  /** Check each request on /debug/mp/collect first and fail the events it reports. */
  validate: z.boolean().default(false),
  /** What to do with an event over a collection limit: fix it (and note why) or skip it. */
  limit_behavior: z.enum(['truncate', 'drop']).default('truncate'),
  timeout_ms: z.number().int().min(100).default(10_000),
});
export type Ga4Config = z.infer<typeof ga4ConfigSchema>;

/** One Measurement Protocol request and the outbox items it carries. */
interface Ga4Request {
  items: OutboxItem<Ga4Payload>[];
  body: string;
}

/** A validation message as /debug/mp/collect returns it. */
export interface Ga4ValidationMessage {
  fieldPath?: string;
  description?: string;
  validationCode?: string;
}

function requestBody(items: OutboxItem<Ga4Payload>[]): string {
  const { event: _e, ...request } = items[0]!.payload;
  return JSON.stringify({ ...request, events: items.map((i) => i.payload.event) });
}

/**
 * Group items into requests: one per client (and equal request-level fields), at most 25 events and
 * under 130 kB each.
 */
export function planGa4Requests(items: OutboxItem<Ga4Payload>[]): Ga4Request[] {
  const groups = new Map<string, OutboxItem<Ga4Payload>[]>();
  for (const item of items) {
    const { event: _e, ...request } = item.payload;
    const key = JSON.stringify(request);
    const list = groups.get(key);
    if (list) list.push(item);
    else groups.set(key, [item]);
  }
  const out: Ga4Request[] = [];
  for (const group of groups.values()) {
    let current: OutboxItem<Ga4Payload>[] = [];
    for (const item of group) {
      const next = [...current, item];
      if (current.length > 0 && (next.length > GA4_LIMITS.eventsPerRequest || byteLength(requestBody(next)) >= GA4_LIMITS.bodyBytes)) {
        out.push({ items: current, body: requestBody(current) });
        current = [item];
      } else current = next;
    }
    if (current.length > 0) out.push({ items: current, body: requestBody(current) });
  }
  return out;
}

/** Indexes of events a validation message names ("Event at index: [2] …"), or all when it names none. */
function blamedIndexes(message: Ga4ValidationMessage, count: number): number[] {
  const m = /index:?\s*\[(\d+)\]/i.exec(message.description ?? '');
  if (m && (message.fieldPath ?? '').startsWith('events')) {
    const i = Number(m[1]);
    if (i < count) return [i];
  }
  return Array.from({ length: count }, (_, i) => i);
}

function describe(message: Ga4ValidationMessage): string {
  return `ga4.validation:${message.validationCode ?? 'UNKNOWN'} ${message.fieldPath ?? ''}: ${message.description ?? ''}`.trim();
}

/** Deliver a batch: group per client, validate when asked, classify every item. */
async function sendGa4(batch: OutboxItem<Ga4Payload>[], config: Ga4Config, ctx: SendContext): Promise<SendResult> {
  const result: SendResult = { delivered: [], retry: [], failed: [] };
  const now = ctx.now();
  const base = config.endpoint.replace(/\/+$/, '');
  const query = `measurement_id=${encodeURIComponent(config.measurement_id)}&api_secret=${encodeURIComponent(config.api_secret)}`;
  const clean = (text: string): string => redact(text, [config.api_secret, encodeURIComponent(config.api_secret)]);

  // Items can wait in the outbox; past 72 h GA4 would misdate or drop them, so they stop here.
  const fresh = batch.filter((item) => {
    if (now - item.payload.event.timestamp_micros / 1000 <= GA4_LIMITS.maxAgeMs) return true;
    result.failed.push({ id: item.id, error: 'ga4.event_too_old' });
    return false;
  });

  // After a 429/5xx the requests not yet started are kept for later instead of hammering the endpoint.
  let throttled: { error: string; retry_after_ms?: number } | undefined;
  const retryAll = (request: Ga4Request, why: { error: string; retry_after_ms?: number }) => {
    for (const item of request.items) result.retry.push({ id: item.id, ...why });
  };

  /** One request; a permanent refusal of a multi-event request is retried per event so one bad event never fails its neighbours. */
  const deliver = async (request: Ga4Request): Promise<void> => {
    if (throttled) return retryAll(request, throttled);
    if (config.validate) {
      const checked = await postJson(ctx.fetch, `${base}/debug/mp/collect?${query}`, request.body, config.timeout_ms);
      if (checked.ok && checked.status >= 200 && checked.status < 300) {
        const messages = parseValidation(checked.text);
        if (messages.length > 0) {
          const bad = new Map<number, string>();
          for (const msg of messages) for (const i of blamedIndexes(msg, request.items.length)) bad.set(i, clean(describe(msg)));
          for (const [i, error] of bad) result.failed.push({ id: request.items[i]!.id, error: truncateText(error) });
          const good = request.items.filter((_, i) => !bad.has(i));
          if (good.length === 0) return;
          request = { items: good, body: requestBody(good) };
        }
      }
      // A failing debug endpoint says nothing about the events: fall through to the real send.
    }
    const res = await postJson(ctx.fetch, `${base}/mp/collect?${query}`, request.body, config.timeout_ms);
    if (!res.ok) {
      throttled = { error: clean(`ga4.${res.error}`) };
      return retryAll(request, throttled);
    }
    if (res.status >= 200 && res.status < 300) {
      // GA4 answers 2xx (usually 204, empty) even for payloads it discards; map() is the validator.
      for (const item of request.items) result.delivered.push(item.id);
      return;
    }
    if (isRetryableStatus(res.status)) {
      const retryAfter = parseRetryAfter(res.retryAfter, now);
      throttled = { error: clean(`ga4.http_${res.status}: ${truncateText(res.text)}`), ...(retryAfter !== undefined ? { retry_after_ms: retryAfter } : {}) };
      return retryAll(request, throttled);
    }
    if (request.items.length > 1) {
      // Still inside this request's slot: one at a time (at most 25), never a second slot (no deadlock).
      for (const item of request.items) await deliver({ items: [item], body: requestBody([item]) });
      return;
    }
    const error = clean(`ga4.http_${res.status}: ${truncateText(res.text)}`);
    for (const item of request.items) result.failed.push({ id: item.id, error });
  };
  // GA4 takes one client per request: the requests of a batch run concurrently, bounded by max_in_flight.
  await Promise.all(planGa4Requests(fresh).map((request) => ctx.limit(() => deliver(request))));
  if (result.failed.length > 0 || result.retry.length > 0) {
    ctx.log.warn('ga4 send incomplete', {
      measurement_id: config.measurement_id,
      delivered: result.delivered.length,
      retry: result.retry.length,
      failed: result.failed.length,
    });
  }
  return result;
}

/** Parse a /debug/mp/collect body; anything unexpected counts as no messages. */
export function parseValidation(text: string): Ga4ValidationMessage[] {
  try {
    const body = JSON.parse(text) as { validationMessages?: unknown };
    return Array.isArray(body.validationMessages) ? (body.validationMessages as Ga4ValidationMessage[]) : [];
  } catch {
    return [];
  }
}

/** GA4 mapping notes: with `limit_behavior: drop` any of them skips the whole event instead of fixing it. */
const LIMIT = ' (with limit_behavior: drop the whole event is skipped instead)';

const named = (what: string, p: string): string => (p ? `${what} "${p}"` : what);

/** GA4 Measurement Protocol limits, reserved names and delivery outcomes, in words. */
const GA4_REASONS: ReasonTable = {
  'ga4.event_name_reserved': () =>
    'GA4 reserves this event name for its own automatic events (GA4 MP reserved names); the event was not sent to GA4.',
  'ga4.event_name_reserved_prefix': () =>
    'The event name starts with a prefix GA4 reserves (google_, ga_, firebase_, gtag.); the event was not sent to GA4.',
  'ga4.event_name_invalid': () =>
    'GA4 event names must start with a letter and use only letters, digits and underscores; the event was not sent to GA4.',
  'ga4.event_name_too_long': () => `The event name is longer than GA4's 40 characters; it was cut to 40${LIMIT}.`,
  'ga4.param_name_reserved': (p) => `${named('The parameter', p)} is a name GA4 reserves; it was left out${LIMIT}.`,
  'ga4.param_name_reserved_prefix': (p) =>
    `${named('The parameter', p)} starts with a prefix GA4 reserves (google_, ga_, firebase_, gtag.); it was left out${LIMIT}.`,
  'ga4.param_name_invalid': (p) =>
    `${named('The parameter', p)} is not a valid GA4 name (a letter, then letters, digits or underscores); it was left out${LIMIT}.`,
  'ga4.param_name_too_long': (p) => `${named('The parameter name', p)} is longer than GA4's 40 characters; it was cut to 40${LIMIT}.`,
  'ga4.param_type_invalid': (p) => `${named('The parameter', p)} must be a number for GA4 and was not one; it was left out${LIMIT}.`,
  'ga4.param_value_too_long': (p) =>
    `${named('The value of the parameter', p)} is longer than GA4 accepts (100 characters; page_location 1000, page_referrer 420, page_title 300); it was cut${LIMIT}.`,
  'ga4.too_many_params': (p) => `The event has more than GA4's 25 parameters, so ${named('the parameter', p)} was left out${LIMIT}.`,
  'ga4.item_missing_id': () => `An e-commerce item had neither item_id nor item_name, which GA4 ignores; it was left out${LIMIT}.`,
  'ga4.too_many_items': () =>
    "The event has more than GA4's 200 items; only the first 200 were sent. GA4 itself keeps such an event and drops the extra items, so the event is always sent (also with limit_behavior: drop).",
  'ga4.user_property_name_reserved': (p) => `${named('The user property', p)} is a name GA4 reserves; it was left out${LIMIT}.`,
  'ga4.user_property_name_reserved_prefix': (p) =>
    `${named('The user property', p)} starts with a prefix GA4 reserves (google_, ga_, firebase_, gtag.); it was left out${LIMIT}.`,
  'ga4.user_property_name_invalid': (p) =>
    `${named('The user property', p)} is not a valid GA4 name (a letter, then letters, digits or underscores); it was left out${LIMIT}.`,
  'ga4.user_property_name_too_long': (p) => `${named('The user property name', p)} is longer than GA4's 24 characters; it was left out${LIMIT}.`,
  'ga4.too_many_user_properties': (p) => `The event has more than GA4's 25 user properties, so ${named('the user property', p)} was left out${LIMIT}.`,
  'ga4.user_property_value_too_long': (p) =>
    `${named('The value of the user property', p)} is longer than GA4's 36 characters; it was cut to 36${LIMIT}.`,
  'ga4.user_id_too_long': () =>
    `The user id is longer than GA4's 256 characters; it was not sent, since a shortened id could join the wrong user${LIMIT}.`,
  'ga4.user_data_withheld': () =>
    "The event carried hashed user data, but ad_user_data is not granted, so GA4 received no user_data (Google's EU user consent policy); the hashes were not sent.",
  'ga4.event_too_old': () =>
    'The event is more than 72 hours old, the most GA4 accepts for backdated Measurement Protocol events; it was not sent.',
  'ga4.payload_too_large': () =>
    "The event would exceed GA4's 130 kB request limit: items were removed until it fit, or, if it still did not fit, it was not sent.",
  'ga4.validation': (code) =>
    `GA4's validation endpoint (/debug/mp/collect) rejected the event${code ? ` (${code})` : ''}; it was not sent and is kept in the dead-letter store with GA4's message.`,
};

/**
 * The GA4 destination. Minimization flavour: `google` (email, phone and names hashed; city, region,
 * postal code and country normalized in clear).
 *
 * @example
 * { id: 'ga', type: 'ga4', measurement_id: 'G-ABC123', api_secret: '${GA4_API_SECRET}' }
 */
export const ga4 = defineDestination({
  type: 'ga4',
  configSchema: ga4ConfigSchema,
  requires: ['analytics_storage'],
  whenDenied: 'drop',
  privacy: { hashing: GOOGLE_HASHING, ip: 'truncate' },
  batch: { maxEvents: 100, maxWaitMs: 1000 },
  maxInFlight: 64,
  map: mapGa4,
  send: sendGa4,
  reasons: {
    area: 'ga4',
    vendor: 'Google Analytics',
    codes: GA4_REASONS,
    prefixes: { 'ga4.http_': { part: HTTP_STATUS, describe: (status) => httpWords('Google Analytics', status) } },
    // `ga4.validation:<code> <vendor text>`: the vendor text is kept in the dead-letter store, never put into words.
    detailCodes: ['ga4.validation'],
  },
  identityKeys: ['client_id', 'user_id', 'sha256_email_address', 'sha256_phone_number'],
  docs: { vendor: 'https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference', page: 'docs/destinations/ga4.md' },
  example: { id: 'ga', type: 'ga4', measurement_id: 'G-ABC123XYZ', api_secret: 'example-api-secret' },
});
