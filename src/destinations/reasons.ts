/**
 * @module Destination mapping reason codes (`ga4.*`, `meta.*`) in words.
 */
import type { DescribeReason } from '../privacy/reasons.js';

const named = (what: string) => (arg: string) => (arg ? `${what} "${arg}"` : what);

/** Notes and skips of the GA4 and Meta mappings → words. */
export const DESTINATION_REASONS: Readonly<Record<string, DescribeReason>> = {
  'ga4.event_name_invalid': () => 'Not sent to GA4: the event name is not a valid GA4 name.',
  'ga4.event_name_reserved': () => 'Not sent to GA4: the event name is reserved by Google.',
  'ga4.event_name_reserved_prefix': () => 'Not sent to GA4: the event name starts with a prefix Google reserves (google_, ga_, firebase_).',
  'ga4.event_name_too_long': () => 'The event name was cut to 40 characters, the GA4 limit.',
  'ga4.event_too_old': () => 'Not sent to GA4: the event is older than 72 hours, which GA4 no longer accepts.',
  'ga4.payload_too_large': () => 'The GA4 request would exceed 130 kB; items were removed to fit (or the event was not sent).',
  'ga4.item_missing_id': () => 'An item without item_id and item_name was removed; GA4 ignores such items.',
  'ga4.too_many_items': () => 'Items beyond the GA4 limit of 200 per event were removed.',
  'ga4.too_many_params': (p) => `${named('The parameter')(p)} was removed: GA4 takes at most 25 parameters per event.`,
  'ga4.param_name_invalid': (p) => `${named('The parameter')(p)} was removed: its name is not a valid GA4 name.`,
  'ga4.param_name_reserved': (p) => `${named('The parameter')(p)} was removed: its name is reserved by Google.`,
  'ga4.param_name_reserved_prefix': (p) => `${named('The parameter')(p)} was removed: its name starts with a prefix Google reserves.`,
  'ga4.param_name_too_long': (p) => `${named('The parameter name')(p)} was cut to 40 characters, the GA4 limit.`,
  'ga4.param_type_invalid': (p) => `${named('The parameter')(p)} was removed: GA4 needs a number there.`,
  'ga4.param_value_too_long': (p) => `${named('The value of the parameter')(p)} was cut to the GA4 length limit.`,
  'ga4.user_id_too_long': () => 'The user id was not sent: GA4 ignores user ids over 256 characters.',
  'ga4.too_many_user_properties': (p) => `${named('The user property')(p)} was removed: GA4 takes at most 25.`,
  'ga4.user_property_name_invalid': (p) => `${named('The user property')(p)} was removed: its name is not a valid GA4 name.`,
  'ga4.user_property_name_reserved': (p) => `${named('The user property')(p)} was removed: its name is reserved by Google.`,
  'ga4.user_property_name_reserved_prefix': (p) => `${named('The user property')(p)} was removed: its name starts with a prefix Google reserves.`,
  'ga4.user_property_name_too_long': (p) => `${named('The user property')(p)} was removed: its name is over 24 characters.`,
  'ga4.user_property_value_too_long': (p) => `${named('The value of the user property')(p)} was cut to 36 characters, the GA4 limit.`,
  'meta.custom_event_disabled': () => 'Not sent to Meta: the event has no standard Meta name and custom events are turned off.',
  'meta.event_too_old': () => 'Not sent to Meta: the event is older than 7 days, which Meta rejects.',
  'meta.purchase_missing_value_or_currency': () => 'Not sent to Meta: a Purchase needs value and currency.',
  'meta.no_customer_information': () => 'Not sent to Meta: no customer information (hashed data, IP, User-Agent, browser id) may be sent with it.',
};
