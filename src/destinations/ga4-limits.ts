/**
 * @module GA4 Measurement Protocol collection limits and reserved names, enforced before sending.
 *
 * GA4 answers 2xx even for payloads it silently discards, so these checks are our only guard.
 * Sources: https://developers.google.com/analytics/devguides/collection/protocol/ga4/sending-events#limitations
 * https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference#reserved_names
 * https://support.google.com/analytics/answer/9267744 (collection limits)
 */
import { EVENT_NAME_PATTERN } from '../event.js';

/** The documented limits of one Measurement Protocol request. */
export const GA4_LIMITS = {
  eventsPerRequest: 25,
  paramsPerEvent: 25,
  paramNameLength: 40,
  paramValueLength: 100,
  userProperties: 25,
  userPropertyNameLength: 24,
  userPropertyValueLength: 36,
  itemsPerEvent: 200,
  userIdLength: 256,
  /** The POST body must be smaller than 130 kB. */
  bodyBytes: 130_000,
  /** Events may be backdated up to 72 hours. */
  maxAgeMs: 72 * 3_600_000,
} as const;

/** Params whose values GA4 allows to be longer than 100 characters. */
export const LONG_PARAM_LIMITS: Readonly<Record<string, number>> = {
  page_location: 1000,
  page_referrer: 420,
  page_title: 300,
};

/**
 * Event names the Measurement Protocol reserves (automatically collected by GA4 and Firebase), with
 * the names GA4 reserves for app streams only (`ad_impression`, `app_install`): a web stream refuses
 * them. MP reference, "Reserved names"; event naming rules: https://support.google.com/analytics/answer/13316687
 */
export const RESERVED_EVENT_NAMES: ReadonlySet<string> = new Set([
  'ad_activeview',
  'ad_click',
  'ad_exposure',
  'ad_impression',
  'ad_query',
  'ad_reward',
  'adunit_exposure',
  'app_background',
  'app_clear_data',
  'app_exception',
  'app_install',
  'app_remove',
  'app_store_refund',
  'app_store_subscription_cancel',
  'app_store_subscription_convert',
  'app_store_subscription_renew',
  'app_update',
  'app_upgrade',
  'dynamic_link_app_open',
  'dynamic_link_app_update',
  'dynamic_link_first_open',
  'error',
  'first_open',
  'first_visit',
  'in_app_purchase',
  'notification_dismiss',
  'notification_foreground',
  'notification_open',
  'notification_receive',
  'os_update',
  'screen_view',
  'session_start',
  'session_start_with_rollout',
  'user_engagement',
]);

/** Prefixes reserved for event and param names. */
export const RESERVED_PREFIXES = ['google_', 'ga_', 'firebase_', 'gtag.'] as const;
/** Param names the MP reference reserves. */
export const RESERVED_PARAM_NAMES: ReadonlySet<string> = new Set(['firebase_conversion']);
/** User property names the MP reference reserves. */
export const RESERVED_USER_PROPERTY_NAMES: ReadonlySet<string> = new Set([
  'first_open_time',
  'first_visit_time',
  'last_deep_link_referrer',
  'user_id',
  'first_open_after_install',
]);

const PARAM_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

/** Why an event name cannot be sent at all, or `undefined` when it is fine (length aside). */
export function eventNameProblem(name: string): string | undefined {
  if (RESERVED_EVENT_NAMES.has(name)) return 'ga4.event_name_reserved';
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return 'ga4.event_name_reserved_prefix';
  if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(name)) return 'ga4.event_name_invalid';
  if (!EVENT_NAME_PATTERN.test(name)) return 'ga4.event_name_too_long';
  return undefined;
}

/** Why a param name is unusable, or `undefined`. Length is checked separately (it can be truncated). */
export function paramNameProblem(name: string): string | undefined {
  if (RESERVED_PARAM_NAMES.has(name)) return 'ga4.param_name_reserved';
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return 'ga4.param_name_reserved_prefix';
  if (!PARAM_NAME.test(name)) return 'ga4.param_name_invalid';
  return undefined;
}

/** Why a user property name is unusable, or `undefined`. */
export function userPropertyNameProblem(name: string): string | undefined {
  if (RESERVED_USER_PROPERTY_NAMES.has(name)) return 'ga4.user_property_name_reserved';
  if (RESERVED_PREFIXES.some((p) => name.startsWith(p))) return 'ga4.user_property_name_reserved_prefix';
  if (!PARAM_NAME.test(name)) return 'ga4.user_property_name_invalid';
  return undefined;
}

/** The value length limit for a param. */
export function paramValueLimit(name: string): number {
  return LONG_PARAM_LIMITS[name] ?? GA4_LIMITS.paramValueLength;
}
