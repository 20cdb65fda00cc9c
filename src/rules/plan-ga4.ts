/**
 * @module Built-in tracking plans: GA4's recommended e-commerce events and its automatically collected web events.
 *
 * Parameters as documented in https://developers.google.com/analytics/devguides/collection/ga4/reference/events
 * ("Yes*" there — `value`/`currency` — becomes: `currency` is required when `value` is set).
 */
import type { EventPlan, ItemsRule, ParamRule } from './plan-config.js';

/** Names usable in `tracking_plan.extends`. */
export const BUILT_IN_PLAN_NAMES = ['ga4_ecommerce', 'ga4_automatic'] as const;
export type BuiltInPlanName = (typeof BUILT_IN_PLAN_NAMES)[number];

const text: ParamRule = { type: 'string' };
const amount: ParamRule = { type: 'number', min: 0 };

/** GA4 item parameters (every item needs `item_id` or `item_name`). */
const ITEM_FIELDS: Record<string, ParamRule> = {
  item_id: text,
  item_name: text,
  affiliation: text,
  coupon: text,
  discount: amount,
  index: { type: 'integer', min: 0 },
  item_brand: text,
  item_category: text,
  item_category2: text,
  item_category3: text,
  item_category4: text,
  item_category5: text,
  item_list_id: text,
  item_list_name: text,
  item_variant: text,
  location_id: text,
  price: amount,
  quantity: { type: 'integer', min: 1 },
  creative_name: text,
  creative_slot: text,
  promotion_id: text,
  promotion_name: text,
};

const items = (required: boolean): ItemsRule => ({ required, one_of: ['item_id', 'item_name'], fields: ITEM_FIELDS });

/** `value` and `currency`: GA4 needs the currency to compute revenue whenever a value is sent. */
const money: Record<string, ParamRule> = {
  currency: { type: 'currency', required_with: ['value'] },
  value: amount,
};
const list: Record<string, ParamRule> = { item_list_id: text, item_list_name: text };
const promotion: Record<string, ParamRule> = { creative_name: text, creative_slot: text, promotion_id: text, promotion_name: text };
const transaction: Record<string, ParamRule> = { transaction_id: { type: 'string', required: true }, coupon: text, shipping: amount, tax: amount };
const method: Record<string, ParamRule> = { method: text };

const GA4_ECOMMERCE: Record<string, EventPlan> = {
  view_item: { params: money, items: items(true) },
  view_item_list: { params: list, items: items(true) },
  select_item: { params: list, items: items(true) },
  add_to_cart: { params: money, items: items(true) },
  remove_from_cart: { params: money, items: items(true) },
  add_to_wishlist: { params: money, items: items(true) },
  view_cart: { params: money, items: items(true) },
  begin_checkout: { params: { ...money, coupon: text }, items: items(true) },
  add_shipping_info: { params: { ...money, coupon: text, shipping_tier: text }, items: items(true) },
  add_payment_info: { params: { ...money, coupon: text, payment_type: text }, items: items(true) },
  purchase: {
    params: { ...transaction, currency: { type: 'currency', required: true }, value: { ...amount, required: true } },
    items: items(true),
  },
  // A full refund may leave out the items (GA4 then refunds the whole transaction).
  refund: { params: { ...money, ...transaction }, items: items(false) },
  view_promotion: { params: promotion, items: items(true) },
  select_promotion: { params: promotion, items: items(false) },
  sign_up: { params: method },
  login: { params: method },
  generate_lead: { params: { ...money, lead_source: text } },
  search: { params: { search_term: { type: 'string', required: true } } },
  share: { params: { method: text, content_type: text, item_id: text } },
};

const link: Record<string, ParamRule> = { link_classes: text, link_domain: text, link_id: text, link_url: text };
const form: Record<string, ParamRule> = { form_id: text, form_name: text, form_destination: text, form_submit_text: text };
const video: Record<string, ParamRule> = {
  video_current_time: amount,
  video_duration: amount,
  video_percent: { type: 'number', min: 0, max: 100 },
  video_provider: text,
  video_title: text,
  video_url: text,
};

/** GA4's automatically collected and enhanced-measurement web events (so `unplanned: warn` does not flag them). */
const GA4_AUTOMATIC: Record<string, EventPlan> = {
  page_view: {},
  session_start: {},
  first_visit: {},
  user_engagement: { params: { engagement_time_msec: { type: 'integer', min: 0 } } },
  scroll: { params: { percent_scrolled: { type: 'number', min: 0, max: 100 } } },
  click: { params: link },
  file_download: { params: { ...link, file_extension: text, file_name: text, link_text: text } },
  form_start: { params: form },
  form_submit: { params: form },
  video_start: { params: video },
  video_progress: { params: video },
  video_complete: { params: video },
  view_search_results: { params: { search_term: text } },
};

/** The built-in plans by name. */
export const BUILT_IN_PLANS: Readonly<Record<BuiltInPlanName, Readonly<Record<string, EventPlan>>>> = {
  ga4_ecommerce: GA4_ECOMMERCE,
  ga4_automatic: GA4_AUTOMATIC,
};
