/**
 * @module Reason codes of the destinations (`ga4.*`, `meta.*`, `tiktok.*`, `webhook.*`, `postgres.*`) in words a privacy officer reads.
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

/** TikTok Events API rules and delivery outcomes (src/destinations/tiktok*.ts). */
export const TIKTOK_REASONS: ReasonTable = {
  'tiktok.custom_event_disabled': () =>
    'The event has no TikTok standard-event mapping and custom events are switched off for this destination (custom_events: false); it was not sent to TikTok.',
  'tiktok.phone_not_sent': () =>
    "The phone number was not sent to TikTok: TikTok matches a SHA-256 of the number in E.164 with its '+', and the hash kept for this event follows Meta's rule (digits without '+'), which would never match.",
  'tiktok.unreadable_response': () =>
    'TikTok answered without a readable result, so it is unknown whether the events arrived; the delivery is retried (TikTok deduplicates on event_id).',
  'tiktok.split_budget_exhausted': () =>
    'TikTok rejected a batch for an invalid parameter and the search for the invalid event ran out of extra requests; the events will be retried.',
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

/** The ClickHouse warehouse (src/destinations/clickhouse.ts). */
export const CLICKHOUSE_REASONS: ReasonTable = {
  'clickhouse.field_rule_not_supported': () =>
    'A retention rule for a single event field (events.<field>) is not applied in ClickHouse: the fields live in the JSON text of each row. The row itself is deleted by the events rule; the IP is never written there.',
  'clickhouse.mutation_pending': () =>
    "ClickHouse accepted the delete (ALTER TABLE … DELETE) but had not finished it within mutation_timeout_ms; it goes on in the background and system.mutations shows its progress.",
};

/** The BigQuery warehouse (src/destinations/bigquery.ts, google-auth.ts). */
export const BIGQUERY_REASONS: ReasonTable = {
  'bigquery.row_invalid': () =>
    "BigQuery refused this row (insertErrors reason invalid: a value that does not fit the table's schema); it is not retried and is kept in the dead-letter store with BigQuery's message. The other rows of the request were inserted.",
  'bigquery.row_not_inserted': () =>
    'BigQuery did not insert this row for a reason other than its own content (another row stopped the request, or a BigQuery-side error); it is retried (insertId lets BigQuery drop a duplicate).',
  'bigquery.row_too_large': () =>
    "The row is larger than BigQuery's 10 MB insertAll request limit, so it can never be streamed; it is kept in the dead-letter store.",
  'bigquery.unreadable_response': () =>
    'BigQuery answered without a readable result, so it is unknown whether the rows arrived; they are retried (insertId lets BigQuery drop duplicates).',
  'bigquery.unreachable': () => 'BigQuery kept refusing the renewed access token; the delivery is retried.',
  'bigquery.credentials_invalid': () =>
    'The service-account key in credentials could not be used to sign (its private_key is not a PKCS#8 RSA key); nothing was sent. Download a new JSON key for the service account.',
  'bigquery.token_unreadable': () => "Google's token endpoint answered without an access token; the delivery is retried.",
  'bigquery.field_rule_not_supported': () =>
    'A retention rule for a single event field (events.<field>) is not applied in BigQuery: the fields live in the JSON column of streamed rows. The row itself is deleted by the events rule and partition expiration; the IP is never written there.',
  'bigquery.streaming_buffer': () =>
    "Some of the person's rows were streamed to BigQuery in the last 30–90 minutes and are still in its streaming buffer, which BigQuery's DML cannot change; those rows were not deleted. Run the erasure again after 90 minutes.",
  'bigquery.job_incomplete': () =>
    'The BigQuery statement (retention or erasure DELETE) had not finished while tagrelay waited for it (jobs.getQueryResults); whether it deleted the rows is unknown here — run it again or check the job in the BigQuery console.',
};

/** A code prefix completed at run time (`ga4.http_` + `400`): the shape of the completion and its words. */
export interface CodePrefix {
  part: RegExp;
  describe: Describe;
}

const HTTP_STATUS = /^\d{3}$/;

/**
 * Codes whose variable part follows the prefix directly (`ga4.http_400`, `postgres.sqlstate_40P01`,
 * `tiktok.code_40100`). Retryable statuses (408, 425, 429, 5xx) are retried with backoff; other 4xx are permanent.
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
  'tiktok.http_': { part: HTTP_STATUS, describe: (status) => httpWords('TikTok', status) },
  'tiktok.code_': { part: /^\d{5}$/, describe: (code) => tiktokCodeWords(code) },
  'clickhouse.code_': {
    part: /^\d{1,4}$/,
    describe: (code) =>
      `ClickHouse refused the statement with error code ${code}: a temporary condition (timeout, too many parts or queries, memory) is retried; a wrong user or password, a missing database or a value it cannot parse is not retried and is kept in the dead-letter store with ClickHouse's message.`,
  },
  'clickhouse.http_': { part: HTTP_STATUS, describe: (status) => httpWords('The ClickHouse server', status) },
  'bigquery.http_': {
    part: HTTP_STATUS,
    describe: (status) =>
      Number(status) === 403
        ? 'BigQuery answered HTTP 403: a rate or quota limit (rateLimitExceeded, quotaExceeded) is retried with backoff; access denied is permanent and the events are kept in the dead-letter store.'
        : httpWords('BigQuery', status),
  },
  'bigquery.token_http_': {
    part: HTTP_STATUS,
    describe: (status) =>
      Number(status) >= 500 || Number(status) === 429
        ? `Google's token endpoint answered HTTP ${status}, a temporary failure: the delivery is retried with backoff.`
        : `Google's token endpoint refused the service account's signed assertion (HTTP ${status}, e.g. invalid_grant: a revoked key or a wrong client_email): nothing was sent and the events are kept in the dead-letter store.`,
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

/** TikTok answers HTTP 200 with a `code` in the body; the classes follow src/destinations/tiktok.ts. */
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
