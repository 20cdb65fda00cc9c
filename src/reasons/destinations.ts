/**
 * @module Reason codes of the destinations (`ga4.*`, `meta.*`, `webhook.*`, `postgres.*`) in words a privacy officer reads.
 */
import type { Describe, ReasonTable } from './types.js';

/** GA4 mapping notes: with `limit_behavior: drop` any of them skips the whole event instead of fixing it. */
const LIMIT = ' (with limit_behavior: drop the whole event is skipped instead)';

const named = (what: string, p: string): string => (p ? `${what} "${p}"` : what);

/** GA4 Measurement Protocol limits, reserved names and delivery outcomes (src/destinations/ga4*.ts). */
export const GA4_REASONS: ReasonTable = {
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
  'ga4.too_many_items': () => `The event has more than GA4's 200 items; only the first 200 were sent${LIMIT}.`,
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

/** Meta Conversions API rules and delivery outcomes (src/destinations/meta-capi*.ts). */
export const META_REASONS: ReasonTable = {
  'meta.custom_event_disabled': () =>
    "The event has no Meta standard-event mapping and custom events are switched off for this destination (custom_events: false); it was not sent to Meta.",
  'meta.event_too_old': () =>
    'The event is more than 7 days old; Meta rejects a whole request containing one (Conversions API event_time rule), so it was not sent.',
  'meta.purchase_missing_value_or_currency': () =>
    'Meta requires value and currency on Purchase events and rejects the whole request without them; the event was not sent.',
  'meta.no_customer_information': () =>
    'Meta requires customer information (hashed contact data, IP and User-Agent, or _fbp/_fbc) for website events, and consent allowed none for this event; it was not sent.',
  'meta.split_budget_exhausted': () =>
    'Meta rejected a batch with an invalid-parameter error and the search for the bad event ran out of extra requests; the events will be retried.',
};

/** The signed webhook to the site's own endpoint (`webhook` destination). */
export const WEBHOOK_REASONS: ReasonTable = {
  'webhook.event_not_selected': () =>
    "The event's name is not in this webhook's events list (events), so it was not sent to the webhook.",
  'webhook.split_budget_exhausted': () =>
    'The webhook receiver refused a batch and the search for the event it refused ran out of extra requests; the events will be retried.',
};

/** The PostgreSQL warehouse (`postgres` destination). */
export const POSTGRES_REASONS: ReasonTable = {
  'postgres.connection': () =>
    'The PostgreSQL warehouse could not be reached (connection refused, reset or timed out): the delivery is retried with backoff.',
  'postgres.unavailable_on_runtime': () =>
    'This runtime has no PostgreSQL client (only the Node runtime has one), so the event could not be written to the PostgreSQL warehouse; it is kept in the dead-letter store.',
};

/** A code prefix completed at run time (`ga4.http_` + `400`): the shape of the completion and its words. */
export interface CodePrefix {
  part: RegExp;
  describe: Describe;
}

const HTTP_STATUS = /^\d{3}$/;

/**
 * Codes whose variable part follows the prefix directly (`ga4.http_400`, `postgres.sqlstate_40P01`,
 * `webhook.http_400`). Retryable statuses (408, 425, 429, 5xx) are retried with backoff; other 4xx are permanent.
 */
export const CODE_PREFIXES: Readonly<Record<string, CodePrefix>> = {
  'ga4.http_': { part: HTTP_STATUS, describe: (status) => httpWords('Google Analytics', status) },
  'postgres.sqlstate_': {
    part: /^[0-9A-Z]{5}$/,
    describe: (state) =>
      /^(08|40001|40P01|55P03|57014|57P0|53|58)/.test(state)
        ? `PostgreSQL answered SQLSTATE ${state}, a temporary failure (connection, serialization, deadlock, shutdown or resources): the delivery is retried.`
        : `PostgreSQL refused the write with SQLSTATE ${state} (a permission, schema or data error): it is not retried and is kept in the dead-letter store.`,
  },
  'webhook.http_': { part: HTTP_STATUS, describe: (status) => httpWords('The webhook receiver', status) },
  'meta.http_': {
    part: HTTP_STATUS,
    describe: (status) =>
      Number(status) >= 400 && Number(status) < 500 && ![408, 425, 429].includes(Number(status))
        ? `Meta refused the request with HTTP ${status}. Graph errors that are rate limits or transient (codes 1, 2, 4, 17, 32, 341, 613, or is_transient) are retried with backoff; any other is permanent and kept in the dead-letter store with Meta's answer (code 190, an invalid access token, stops the whole batch).`
        : httpWords('Meta', status),
  },
};

function httpWords(vendor: string, status: string): string {
  const n = Number(status);
  if (n === 429) return `${vendor} answered HTTP 429 (too many requests): the delivery is retried later, respecting Retry-After.`;
  if (n === 408 || n === 425 || n >= 500) return `${vendor} answered HTTP ${n}, a temporary failure: the delivery is retried with backoff.`;
  return `${vendor} refused the request with HTTP ${status}, a permanent error: it is not retried and is kept in the dead-letter store with ${vendor}'s answer.`;
}
