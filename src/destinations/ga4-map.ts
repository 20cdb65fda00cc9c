/**
 * @module GA4 mapping: a minimized canonical Event → one Measurement Protocol event with its request fields.
 *
 * Reference: https://developers.google.com/analytics/devguides/collection/protocol/ga4/reference
 */
import type { Event, Item, Scalar } from '../event.js';
import type { MapContext, MapResult } from './types.js';
import { toNumber } from './scalar.js';
import {
  GA4_LIMITS,
  eventNameProblem,
  paramNameProblem,
  paramValueLimit,
  userPropertyNameProblem,
} from './ga4-limits.js';

/** A param value as sent: a scalar, or the e-commerce `items` array. */
export type Ga4ParamValue = Scalar | Ga4Item[];
/** One e-commerce item as sent. */
export type Ga4Item = Record<string, Scalar>;

/** Consent Mode v2 values the Measurement Protocol accepts. */
export type Ga4ConsentValue = 'GRANTED' | 'DENIED';

/** Enhanced user-provided data (Google normalization; names, email and phone SHA-256 hex). */
export interface Ga4UserData {
  sha256_email_address?: string[];
  sha256_phone_number?: string[];
  address?: {
    sha256_first_name?: string;
    sha256_last_name?: string;
    city?: string;
    region?: string;
    postal_code?: string;
    country?: string;
  }[];
}

/** The request-level fields of one event; `send` groups events whose request fields are equal. */
export interface Ga4Payload {
  client_id: string;
  user_id?: string;
  consent: { ad_user_data: Ga4ConsentValue; ad_personalization: Ga4ConsentValue };
  user_properties?: Record<string, { value: string | number }>;
  user_data?: Ga4UserData;
  event: { name: string; params: Record<string, Ga4ParamValue>; timestamp_micros: number };
}

/** The config fields mapping needs. */
export interface Ga4MapConfig {
  limit_behavior: 'truncate' | 'drop';
}

const NUMBER_PARAMS = new Set(['value', 'tax', 'shipping', 'engagement_time_msec']);
const STRING_PARAMS = new Set([
  'currency', 'transaction_id', 'coupon', 'payment_type', 'shipping_tier', 'item_list_id', 'item_list_name',
  'search_term', 'method', 'affiliation', 'creative_name', 'creative_slot', 'promotion_id', 'promotion_name',
  'content_type', 'session_id',
]);
const NUMBER_ITEM_FIELDS = new Set(['price', 'quantity', 'discount', 'index']);
/** Item parameters Google documents despite the reserved `google_` prefix (gtag.js sends it for dynamic remarketing). */
const DOCUMENTED_ITEM_PARAMS: ReadonlySet<string> = new Set(['google_business_vertical']);
/** The engagement time of an event whose hit carried none. */
export const MIN_ENGAGEMENT_MSEC = 1;
/**
 * Notes that are never a reason to skip, even with `limit_behavior: drop`: GA4 itself keeps an event
 * with more than 200 items and drops the extra items, so a drop-in must not lose such a purchase.
 */
const ALWAYS_TRUNCATED = new Set(['ga4.too_many_items']);
/** FNV-1a 32-bit: a short, deterministic, non-reversible-enough digest for ephemeral ids. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A client id used for this event only, shaped like gtag's `<random>.<seconds>`. Consent Mode's
 * cookieless pings carry no persisted identifier, so each ping stands alone; deriving it from the
 * event id keeps `map` pure and makes the id impossible to link across events.
 */
export function ephemeralClientId(event: Event): string {
  return `${fnv1a(`tagrelay:${event.event_id}`)}.${Math.floor(event.time / 1000)}`;
}

/** Coerce a param to the type GA4 expects for it and cut it to its length limit. */
function cleanValue(name: string, v: Scalar, limit: number, numeric: ReadonlySet<string>, notes: string[]): Scalar | undefined {
  if (numeric.has(name)) {
    const n = toNumber(v);
    if (n === undefined) notes.push(`ga4.param_type_invalid:${name}`);
    return n;
  }
  let out: Scalar = v;
  if (STRING_PARAMS.has(name) || name === 'item_id' || name === 'item_name') out = String(v);
  if (name === 'currency' && typeof out === 'string') out = out.toUpperCase();
  if (typeof out === 'number' && !Number.isFinite(out)) {
    notes.push(`ga4.param_type_invalid:${name}`);
    return undefined;
  }
  if (typeof out === 'string' && out.length > limit) {
    notes.push(`ga4.param_value_too_long:${name}`);
    out = out.slice(0, limit);
  }
  return out;
}

function mapItems(items: Item[], notes: string[]): Ga4Item[] {
  const out: Ga4Item[] = [];
  for (const item of items) {
    const mapped: Ga4Item = {};
    for (const [rawKey, v] of Object.entries(item)) {
      if (v === undefined) continue;
      // Item-scoped parameters follow the event parameters' name rules (MP reference, items[]).
      const problem = DOCUMENTED_ITEM_PARAMS.has(rawKey) ? undefined : paramNameProblem(rawKey);
      if (problem) {
        notes.push(`${problem}:items.${rawKey}`);
        continue;
      }
      let k = rawKey;
      if (k.length > GA4_LIMITS.paramNameLength) {
        notes.push(`ga4.param_name_too_long:items.${rawKey}`);
        k = k.slice(0, GA4_LIMITS.paramNameLength);
      }
      const cleaned = cleanValue(k, v, GA4_LIMITS.paramValueLength, NUMBER_ITEM_FIELDS, notes);
      if (cleaned !== undefined) mapped[k] = cleaned;
    }
    // GA4 ignores an item with neither item_id nor item_name.
    if (mapped.item_id === undefined && mapped.item_name === undefined) notes.push('ga4.item_missing_id');
    else out.push(mapped);
  }
  if (out.length > GA4_LIMITS.itemsPerEvent) {
    notes.push('ga4.too_many_items');
    out.length = GA4_LIMITS.itemsPerEvent;
  }
  return out;
}

/**
 * Params in priority order, so truncation to 25 drops the tail: session and engagement first (Realtime
 * needs them), then items and page fields, custom params last.
 */
function mapParams(event: Event, ctx: MapContext, notes: string[]): Record<string, Ga4ParamValue> {
  const items = event.items && event.items.length > 0 ? mapItems(event.items, notes) : [];
  const entries: [string, Scalar | Ga4Item[] | undefined][] = [
    ['session_id', ctx.action === 'cookieless' ? undefined : (event.client.session_id ?? event.params.session_id)],
    // A hit without `_et` still counts its user as active only with a positive engagement time (MP
    // "sending events": session_id and engagement_time_msec for Realtime and active users): 1 ms, no more.
    ['engagement_time_msec', event.client.engagement_time_msec ?? event.params.engagement_time_msec ?? MIN_ENGAGEMENT_MSEC],
    ['items', items.length > 0 ? items : undefined],
    ['page_location', event.params.page_location ?? event.page.url],
    ['page_referrer', event.params.page_referrer ?? event.page.referrer],
    ['page_title', event.params.page_title ?? event.page.title],
    ...Object.entries(event.params),
  ];
  const params: Record<string, Ga4ParamValue> = {};
  const seen = new Set<string>();
  let count = 0;
  for (const [rawName, raw] of entries) {
    if (seen.has(rawName)) continue;
    seen.add(rawName);
    if (raw === undefined) continue;
    const problem = paramNameProblem(rawName);
    if (problem) {
      notes.push(`${problem}:${rawName}`);
      continue;
    }
    let name = rawName;
    if (name.length > GA4_LIMITS.paramNameLength) {
      notes.push(`ga4.param_name_too_long:${rawName}`);
      name = name.slice(0, GA4_LIMITS.paramNameLength);
    }
    const value = Array.isArray(raw) ? raw : cleanValue(name, raw, paramValueLimit(name), NUMBER_PARAMS, notes);
    if (value === undefined) continue;
    if (count >= GA4_LIMITS.paramsPerEvent) {
      notes.push(`ga4.too_many_params:${name}`);
      continue;
    }
    params[name] = value;
    count++;
  }
  return params;
}

function mapUserProperties(props: Record<string, Scalar>, notes: string[]): Record<string, { value: string | number }> | undefined {
  const out: Record<string, { value: string | number }> = {};
  let count = 0;
  for (const [name, raw] of Object.entries(props)) {
    const problem = userPropertyNameProblem(name);
    if (problem) {
      notes.push(`${problem}:${name}`);
      continue;
    }
    if (name.length > GA4_LIMITS.userPropertyNameLength) {
      notes.push(`ga4.user_property_name_too_long:${name}`);
      continue;
    }
    if (count >= GA4_LIMITS.userProperties) {
      notes.push(`ga4.too_many_user_properties:${name}`);
      continue;
    }
    let value: string | number = typeof raw === 'number' ? raw : String(raw);
    if (typeof value === 'string' && value.length > GA4_LIMITS.userPropertyValueLength) {
      notes.push(`ga4.user_property_value_too_long:${name}`);
      value = value.slice(0, GA4_LIMITS.userPropertyValueLength);
    }
    out[name] = { value };
    count++;
  }
  return count > 0 ? out : undefined;
}

function mapUserData(event: Event): Ga4UserData | undefined {
  const h = event.hashed_user;
  if (!h) return undefined;
  const ud: Ga4UserData = {};
  if (h.em) ud.sha256_email_address = [h.em];
  if (h.ph) ud.sha256_phone_number = [h.ph];
  const address = {
    ...(h.fn ? { sha256_first_name: h.fn } : {}),
    ...(h.ln ? { sha256_last_name: h.ln } : {}),
    ...(h.ct ? { city: h.ct } : {}),
    ...(h.st ? { region: h.st } : {}),
    ...(h.zp ? { postal_code: h.zp } : {}),
    ...(h.country ? { country: h.country } : {}),
  };
  if (Object.keys(address).length > 0) ud.address = [address];
  return Object.keys(ud).length > 0 ? ud : undefined;
}

/** Size of the request body this payload alone would produce. */
export function singleEventBodyBytes(p: Ga4Payload): number {
  const { event, ...request } = p;
  const text = JSON.stringify({ ...request, events: [event] });
  // UTF-8 is at most 3 bytes per UTF-16 unit: a text far under the limit needs no encoding.
  if (text.length * 3 < GA4_LIMITS.bodyBytes) return utf8Length(text);
  return encoder.encode(text).length;
}

const encoder = new TextEncoder();

/** UTF-8 length without allocating the bytes. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Map one event. Limits are enforced here because GA4 accepts and silently drops invalid data:
 * in `truncate` mode violations are fixed and listed in `notes`; in `drop` mode the first one skips the event.
 */
export function mapGa4(event: Event, config: Ga4MapConfig, ctx: MapContext): MapResult<Ga4Payload> {
  const notes: string[] = [];
  let name = event.name;
  const nameProblem = eventNameProblem(name);
  if (nameProblem === 'ga4.event_name_too_long') {
    notes.push(nameProblem);
    name = name.slice(0, GA4_LIMITS.paramNameLength);
  } else if (nameProblem) return { skip: nameProblem };

  // A client clock ahead of ours is clamped to receive time; GA4 rejects future timestamps.
  const time = Math.min(event.time, event.received_at);
  if (event.received_at - time > GA4_LIMITS.maxAgeMs) return { skip: 'ga4.event_too_old' };

  const granted = (p: 'ad_user_data' | 'ad_personalization'): Ga4ConsentValue =>
    ctx.action !== 'cookieless' && event.consent_state?.purposes[p].value === 'granted' ? 'GRANTED' : 'DENIED';
  const consent = { ad_user_data: granted('ad_user_data'), ad_personalization: granted('ad_personalization') };

  const clientId = ctx.action === 'cookieless' || !event.client.client_id ? ephemeralClientId(event) : event.client.client_id;
  const payload: Ga4Payload = {
    client_id: clientId,
    consent,
    event: { name, params: mapParams(event, ctx, notes), timestamp_micros: time * 1000 },
  };
  if (ctx.action === 'send' && event.user.user_id) {
    // GA4 ignores a User-ID over 256 characters; a cut id would join the wrong user, so drop it.
    if (event.user.user_id.length > GA4_LIMITS.userIdLength) notes.push('ga4.user_id_too_long');
    else payload.user_id = event.user.user_id;
  }
  if (ctx.action !== 'cookieless' && event.user_properties) {
    const up = mapUserProperties(event.user_properties, notes);
    if (up) payload.user_properties = up;
  }
  if (ctx.action === 'send' && consent.ad_user_data === 'GRANTED') {
    const ud = mapUserData(event);
    if (ud) payload.user_data = ud;
  } else if (ctx.action === 'send' && event.hashed_user && Object.keys(event.hashed_user).length > 0) {
    // Said explicitly, so the trail does not suggest the hashed data left.
    notes.push('ga4.user_data_withheld');
  }

  const items = payload.event.params.items;
  // Measured once per event; only a payload over the limit pays for the loop (the size was ~5% of delivery CPU).
  let bytes = singleEventBodyBytes(payload);
  if (bytes >= GA4_LIMITS.bodyBytes && Array.isArray(items)) {
    notes.push('ga4.payload_too_large');
    while (items.length > 1 && bytes >= GA4_LIMITS.bodyBytes) {
      items.pop();
      bytes = singleEventBodyBytes(payload);
    }
  }
  if (bytes >= GA4_LIMITS.bodyBytes) return { skip: 'ga4.payload_too_large' };

  const refused = config.limit_behavior === 'drop' ? notes.find((n) => !ALWAYS_TRUNCATED.has(n)) : undefined;
  if (refused) return { skip: refused };
  return notes.length > 0 ? { payload, notes } : { payload };
}
