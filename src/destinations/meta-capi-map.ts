/**
 * @module Meta Conversions API mapping: a minimized canonical Event → one CAPI server event.
 *
 * Parameters: https://developers.facebook.com/docs/marketing-api/conversions-api/parameters
 */
import type { Event, Scalar } from '../event.js';
import type { MapContext, MapResult } from './types.js';
import { toNumber } from './scalar.js';

/** Canonical (GA4-style) event names → Meta standard events. */
export const META_STANDARD_EVENTS: Readonly<Record<string, string>> = {
  page_view: 'PageView',
  view_item: 'ViewContent',
  add_to_cart: 'AddToCart',
  add_to_wishlist: 'AddToWishlist',
  begin_checkout: 'InitiateCheckout',
  add_payment_info: 'AddPaymentInfo',
  purchase: 'Purchase',
  generate_lead: 'Lead',
  sign_up: 'CompleteRegistration',
  search: 'Search',
  subscribe: 'Subscribe',
};

/** Meta rejects a request whose events are older than 7 days (the whole request, not just the event). */
export const META_MAX_AGE_MS = 7 * 86_400_000;

/** Customer information parameters (hashed ones as lists, the browser/request ones in clear). */
export interface MetaUserData {
  em?: string[];
  ph?: string[];
  fn?: string[];
  ln?: string[];
  ge?: string[];
  db?: string[];
  ct?: string[];
  st?: string[];
  zp?: string[];
  country?: string[];
  external_id?: string[];
  client_ip_address?: string;
  client_user_agent?: string;
  fbc?: string;
  fbp?: string;
}

/** One content line of `custom_data.contents`. */
export interface MetaContent {
  id: string;
  quantity?: number;
  item_price?: number;
}

/** One CAPI server event. */
export interface MetaEvent {
  event_name: string;
  event_time: number;
  event_id: string;
  action_source: string;
  event_source_url?: string;
  user_data: MetaUserData;
  custom_data?: Record<string, Scalar | string[] | MetaContent[]>;
  data_processing_options?: string[];
  data_processing_options_country?: number;
  data_processing_options_state?: number;
}

/** The config fields mapping needs. */
export interface MetaMapConfig {
  action_source: string;
  /** The action source of an event recorded by the site's back end (no page URL), when it may not be `website`. */
  server_action_source?: string;
  event_name_map: Record<string, string>;
  custom_events: boolean;
}

const HASHED_KEYS = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country', 'external_id'] as const;

/** Params consumed into documented custom_data fields or meaningless to Meta (GA4 session plumbing). */
const CONSUMED = new Set([
  'value', 'currency', 'transaction_id', 'search_term', 'items', 'session_id', 'engagement_time_msec',
  'page_location', 'page_referrer', 'page_title', 'session_number', 'debug_mode',
]);

function userData(event: Event, ctx: MapContext): MetaUserData {
  const ud: MetaUserData = {};
  // Every customer parameter identifies a person: only a fully consented event carries any.
  if (ctx.action !== 'send') return ud;
  const h = event.hashed_user ?? {};
  for (const k of HASHED_KEYS) {
    const v = h[k];
    if (v) ud[k] = [v];
  }
  if (event.request.ip) ud.client_ip_address = event.request.ip;
  if (event.request.user_agent) ud.client_user_agent = event.request.user_agent;
  if (event.client.fbc) ud.fbc = event.client.fbc;
  if (event.client.fbp) ud.fbp = event.client.fbp;
  return ud;
}

function customData(event: Event): MetaEvent['custom_data'] {
  const p = event.params;
  const cd: NonNullable<MetaEvent['custom_data']> = {};
  const value = toNumber(p.value);
  if (value !== undefined) cd.value = value;
  if (typeof p.currency === 'string' && p.currency !== '') cd.currency = p.currency.toUpperCase();
  if (p.transaction_id !== undefined) cd.order_id = String(p.transaction_id);
  if (p.search_term !== undefined) cd.search_string = String(p.search_term);
  const items = (event.items ?? []).filter((i) => i.item_id !== undefined && i.item_id !== '');
  if (items.length > 0) {
    cd.content_ids = items.map((i) => String(i.item_id));
    cd.contents = items.map((i) => {
      const c: MetaContent = { id: String(i.item_id) };
      const q = toNumber(i.quantity);
      const price = toNumber(i.price);
      if (q !== undefined) c.quantity = q;
      if (price !== undefined) c.item_price = price;
      return c;
    });
    cd.content_type = 'product';
    cd.num_items = items.reduce((sum, i) => sum + (toNumber(i.quantity) ?? 1), 0);
    if (items.length === 1 && items[0]!.item_name !== undefined) cd.content_name = String(items[0]!.item_name);
  }
  for (const [k, v] of Object.entries(p)) if (!CONSUMED.has(k) && !(k in cd)) cd[k] = v;
  return Object.keys(cd).length > 0 ? cd : undefined;
}

/** Meta's event name for a canonical name, or `undefined` when it would be a disallowed custom event. */
export function metaEventName(name: string, config: MetaMapConfig): string | undefined {
  const mapped = config.event_name_map[name] ?? META_STANDARD_EVENTS[name];
  if (mapped) return mapped;
  return config.custom_events ? name : undefined;
}

/**
 * Limited Data Use location: the visitor's known country and state where Meta documents a code for
 * them (country 1 = United States, state 1000 = California), else 0 / 0 (Meta geolocates the event).
 * https://developers.facebook.com/docs/marketing-apis/data-processing-options
 */
export function lduLocation(event: Pick<Event, 'geo'>): { country: number; state: number } {
  const country = event.geo?.country?.toUpperCase();
  const region = event.geo?.region?.toUpperCase().replace(/^US-/, '');
  if (country === 'US' && region === 'CA') return { country: 1, state: 1000 };
  return { country: 0, state: 0 };
}

/**
 * Map one event. Skips (with a reason the lead dead-letters) what Meta would reject for the whole
 * request: events older than 7 days, Purchases without value or currency, website events without any
 * customer information, and website events without a page URL or User-Agent (`meta.website_event_incomplete`).
 */
export function mapMetaCapi(event: Event, config: MetaMapConfig, ctx: MapContext): MapResult<MetaEvent> {
  const eventName = metaEventName(event.name, config);
  if (!eventName) return { skip: 'meta.custom_event_disabled' };
  if (event.received_at - event.time > META_MAX_AGE_MS) return { skip: 'meta.event_too_old' };

  const cd = customData(event);
  // Meta requires value and currency on Purchase and rejects the whole request without them.
  if (eventName === 'Purchase' && (cd?.value === undefined || cd.currency === undefined)) return { skip: 'meta.purchase_missing_value_or_currency' };

  const user = userData(event, ctx);
  if (Object.keys(user).length === 0) return { skip: 'meta.no_customer_information' };

  // Meta requires event_source_url and client_user_agent on every website event and rejects the
  // request without them (server event parameters). An event the site's back end recorded (no page
  // URL) goes under server_action_source when the site set one; anything else incomplete is not sent.
  let actionSource = config.action_source;
  if (actionSource === 'website' && (!event.page.url || !user.client_user_agent)) {
    if (!event.page.url && config.server_action_source) actionSource = config.server_action_source;
    else return { skip: 'meta.website_event_incomplete' };
  }

  // Meta rejects future timestamps; a client clock ahead of ours is clamped to receive time.
  const out: MetaEvent = {
    event_name: eventName,
    event_time: Math.floor(Math.min(event.time, event.received_at) / 1000),
    // The same id the browser pixel sends as eventID, so Meta deduplicates pixel and server events.
    event_id: event.event_id,
    action_source: actionSource,
    user_data: user,
  };
  if (event.page.url) out.event_source_url = event.page.url;
  if (cd) out.custom_data = cd;
  if (event.consent_state?.limited_data_use) {
    out.data_processing_options = ['LDU'];
    const { country, state } = lduLocation(event);
    out.data_processing_options_country = country;
    out.data_processing_options_state = state;
  }
  return { payload: out };
}
