/**
 * @module TikTok Events API 2.0 mapping: a minimized canonical Event → one web event of `data[]`.
 *
 * Events API 2.0: https://business-api.tiktok.com/portal/docs?id=1771101276978178
 * (Limited Data Use: https://ads.tiktok.com/marketing_api/docs?id=1771101204435970).
 *
 * Hashing (the `tiktok` rule, tiktok.ts): SHA-256 hex of the email trimmed and lower-cased, of the
 * phone in E.164 WITH its `+` (`+16505551212`), and of the external id trimmed. `ttp` is the TikTok
 * pixel's `_ttp` cookie, read by the identity stage with ad_storage and kept for TikTok only.
 */
import type { Event } from '../event.js';
import type { MapContext, MapResult } from './types.js';
import { toNumber } from './scalar.js';

/** Canonical (GA4-style) event names → TikTok standard web events. */
export const TIKTOK_STANDARD_EVENTS: Readonly<Record<string, string>> = {
  page_view: 'Pageview',
  view_item: 'ViewContent',
  add_to_cart: 'AddToCart',
  add_to_wishlist: 'AddToWishlist',
  begin_checkout: 'InitiateCheckout',
  add_payment_info: 'AddPaymentInfo',
  purchase: 'CompletePayment',
  generate_lead: 'SubmitForm',
  sign_up: 'CompleteRegistration',
  search: 'Search',
  subscribe: 'Subscribe',
  contact: 'Contact',
  file_download: 'Download',
};

/** The matching keys of one event: hashed contact data, the click id, the browser's IP and User-Agent. */
export interface TikTokUser {
  email?: string;
  phone?: string;
  external_id?: string;
  ttclid?: string;
  /** The pixel's `_ttp` cookie: TikTok matches server events to pixel browsers on it. */
  ttp?: string;
  ip?: string;
  user_agent?: string;
}

/** One line of `properties.contents`. */
export interface TikTokContent {
  content_id: string;
  content_name?: string;
  price?: number;
  quantity?: number;
}

/** Documented event properties only: nothing else from `params` leaves (data minimisation). */
export interface TikTokProperties {
  currency?: string;
  value?: number;
  contents?: TikTokContent[];
  content_type?: 'product';
  order_id?: string;
  query?: string;
}

/** One element of the request's `data` array. */
export interface TikTokEvent {
  event: string;
  /** Unix seconds. */
  event_time: number;
  /** The id the browser pixel sends as `event_id`: TikTok deduplicates pixel and server events on it. */
  event_id: string;
  user: TikTokUser;
  properties?: TikTokProperties;
  page?: { url?: string; referrer?: string };
  limited_data_use: boolean;
}

/** The config fields mapping needs. */
export interface TikTokMapConfig {
  event_name_map: Record<string, string>;
  custom_events: boolean;
}

/** TikTok's event name for a canonical name, or `undefined` when it would be a disallowed custom event. */
export function tiktokEventName(name: string, config: TikTokMapConfig): string | undefined {
  const mapped = config.event_name_map[name] ?? TIKTOK_STANDARD_EVENTS[name];
  if (mapped) return mapped;
  return config.custom_events ? name : undefined;
}

function user(event: Event, ctx: MapContext): TikTokUser {
  const u: TikTokUser = {};
  // Every matching key identifies a person or a device: only a fully consented event carries any.
  if (ctx.action !== 'send') return u;
  const h = event.hashed_user ?? {};
  if (h.em) u.email = h.em;
  if (h.ph) u.phone = h.ph;
  if (h.external_id) u.external_id = h.external_id;
  const ttclid = event.campaign?.ttclid;
  if (ttclid) u.ttclid = ttclid;
  if (event.client.ttp) u.ttp = event.client.ttp;
  if (event.request.ip) u.ip = event.request.ip;
  if (event.request.user_agent) u.user_agent = event.request.user_agent;
  return u;
}

function properties(event: Event): TikTokProperties | undefined {
  const p = event.params;
  const out: TikTokProperties = {};
  if (typeof p.currency === 'string' && p.currency !== '') out.currency = p.currency.toUpperCase();
  const value = toNumber(p.value);
  if (value !== undefined) out.value = value;
  const items = (event.items ?? []).filter((i) => i.item_id !== undefined && i.item_id !== '');
  if (items.length > 0) {
    out.contents = items.map((i) => {
      const c: TikTokContent = { content_id: String(i.item_id) };
      if (i.item_name !== undefined && i.item_name !== '') c.content_name = String(i.item_name);
      const price = toNumber(i.price);
      const quantity = toNumber(i.quantity);
      if (price !== undefined) c.price = price;
      if (quantity !== undefined) c.quantity = quantity;
      return c;
    });
    out.content_type = 'product';
  }
  if (p.transaction_id !== undefined && p.transaction_id !== '') out.order_id = String(p.transaction_id);
  if (p.search_term !== undefined && p.search_term !== '') out.query = String(p.search_term);
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * Map one event. Pure. An event without a standard mapping is skipped unless `custom_events` is on.
 *
 * @example
 * mapTikTok(event, { event_name_map: {}, custom_events: false }, { action: 'send', reasons: [] })
 */
export function mapTikTok(event: Event, config: TikTokMapConfig, ctx: MapContext): MapResult<TikTokEvent> {
  const name = tiktokEventName(event.name, config);
  if (!name) return { skip: 'tiktok.custom_event_disabled' };
  const out: TikTokEvent = {
    event: name,
    // A client clock ahead of ours is clamped to receive time.
    event_time: Math.floor(Math.min(event.time, event.received_at) / 1000),
    event_id: event.event_id,
    user: user(event, ctx),
    // TikTok's flag for US state privacy laws; the same signal that sets Meta's LDU.
    limited_data_use: event.consent_state?.limited_data_use === true,
  };
  const props = properties(event);
  if (props) out.properties = props;
  if (event.page.url || event.page.referrer) {
    out.page = { ...(event.page.url ? { url: event.page.url } : {}), ...(event.page.referrer ? { referrer: event.page.referrer } : {}) };
  }
  return { payload: out };
}
