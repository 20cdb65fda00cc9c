/**
 * @module Minimization: the per-destination copy of an event that may leave, with a reason for every change.
 */
import type { Event, Scalar } from '../event.js';
import type { SendAction } from '../destinations/types.js';
import type { DestinationPrivacy } from './config.js';
import { minimizeIdentity, type IdentityRules, type PreparedIdentity } from './identity.js';
import { applyIpPolicy, type IpPolicy } from './ip.js';
import { CLICK_ID_PARAMS, DEFAULT_REDACTED_PARAMS, looksLikeEmail, looksLikePhone, redactEmails, redactUrl } from './url.js';
import { reduceDevice, reduceUserAgent } from './user-agent.js';

/** Options of {@link minimize}. */
export interface MinimizeOptions extends IdentityRules {
  /** The consent gate's action for this destination. */
  action: SendAction;
  /** This destination's `privacy` block. */
  privacy: DestinationPrivacy;
  /** The event's user data, hashed once per hashing rule at accept. */
  prepared: PreparedIdentity;
  /** The destination type's IP policy, used when `privacy.ip` is unset. */
  defaultIp: IpPolicy;
  /** The request carried headers or cookies that never reach a destination (noted once per destination). */
  removed?: { headers: boolean; cookies: boolean };
}

/** Request headers a destination may still see; the rest (cookies, forwarded IPs, client hints) is removed. */
const KEPT_HEADERS = new Set(['accept-language']);

/** Does `name` match an allow/deny entry (exact, or prefix with a trailing `*`)? */
function matches(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** Remove personal data from a flat record of scalars (params, user properties). */
function scrubRecord(record: Record<string, Scalar>, deny: Set<string>, urlOpts: Parameters<typeof redactUrl>[1], reasons: string[]): void {
  for (const [key, value] of Object.entries(record)) {
    if (looksLikeEmail(key)) {
      // The name itself is personal data: the reason must not repeat it.
      delete record[key];
      reasons.push('privacy.param_name_email');
      continue;
    }
    if (deny.has(key.toLowerCase())) {
      delete record[key];
      reasons.push(`privacy.param_removed:${key}`);
      continue;
    }
    if (typeof value !== 'string') continue;
    if (/^https?:\/\//i.test(value)) {
      const r = redactUrl(value, urlOpts);
      reasons.push(...r.reasons);
      if (r.url === undefined) delete record[key];
      else record[key] = r.url;
    } else if (looksLikeEmail(value)) {
      delete record[key];
      reasons.push(`privacy.param_value_email:${key}`);
    } else if (looksLikePhone(value)) {
      delete record[key];
      reasons.push(`privacy.param_value_phone:${key}`);
    }
  }
}

/**
 * Copy exactly the sections minimization changes (one level deep), so the input is never mutated
 * without paying for a deep clone per destination (structuredClone was the top cost of ingest).
 * Request headers are reduced here already; cookies never reach a destination.
 */
function copyForMinimize(event: Event): Event {
  const headers: Record<string, string> = {};
  for (const name of KEPT_HEADERS) {
    const value = event.request.headers[name];
    if (value !== undefined) headers[name] = value;
  }
  const out: Event = {
    ...event,
    params: { ...event.params },
    user: { ...event.user },
    page: { ...event.page },
    client: { ...event.client },
    request: { ...event.request, headers, cookies: {} },
  };
  if (event.items) out.items = event.items.map((item) => ({ ...item }));
  if (event.user_properties) out.user_properties = { ...event.user_properties };
  if (event.geo) out.geo = { ...event.geo };
  if (event.device) out.device = { ...event.device };
  if (event.campaign) out.campaign = { ...event.campaign };
  if (event.hashed_user) out.hashed_user = { ...event.hashed_user };
  return out;
}

/**
 * Build the copy of `event` that one destination may receive. The input is never mutated.
 *
 * 1. Identity per consent mode and flavour (see `minimizeIdentity`): hashed/pseudonymized user
 *    data, `user_id` only in full mode, client ids removed or salted when consent is missing.
 * 2. IP per policy (`privacy.ip`, else `defaultIp`; anonymize never keeps a full address).
 * 3. Request headers reduced to `accept-language`; cookies removed.
 * 4. User-Agent reduced to `Browser/major (OS)` when `user_agent: reduced` or in anonymize mode.
 * 5. `page.url`, `page.referrer` and URL-valued params redacted; emails removed from `page.title`.
 * 6. Params and user properties named like personal data, or whose values look like an email or
 *    phone number, removed; item fields holding an email removed.
 * 7. The destination's `fields.allow` / `fields.deny` applied to param names.
 *
 * @example
 * const { event: copy, reasons } = minimize(event, { hashing: META_HASHING, vendorIds: ['fbp', 'fbc'], action: 'send', privacy, prepared, defaultIp: 'keep' })
 */
export function minimize(event: Event, opts: MinimizeOptions): { event: Event; reasons: string[] } {
  const { action: mode, privacy } = opts;
  const out = copyForMinimize(event);
  const reasons: string[] = [];

  minimizeIdentity(out, { hashing: opts.hashing, vendorIds: opts.vendorIds, action: mode, prepared: opts.prepared }, reasons);

  let ipPolicy = privacy.ip ?? opts.defaultIp;
  if (mode === 'anonymize' && ipPolicy === 'keep') ipPolicy = 'truncate';
  const ip = applyIpPolicy(out.request.ip, ipPolicy);
  reasons.push(...ip.reasons);
  if (ip.ip === undefined) delete out.request.ip;
  else out.request.ip = ip.ip;
  if (mode === 'anonymize' && out.geo?.city) {
    delete out.geo.city;
    reasons.push('privacy.geo_city_removed');
  }

  if (opts.removed?.headers || Object.keys(event.request.headers).length > Object.keys(out.request.headers).length) reasons.push('privacy.headers_removed');
  if (opts.removed?.cookies || Object.keys(event.request.cookies).length > 0) reasons.push('privacy.cookies_removed');

  if (privacy.user_agent === 'reduced' || mode === 'anonymize') {
    if (out.request.user_agent !== undefined) {
      const reduced = reduceUserAgent(out.request.user_agent, out.device);
      if (reduced === undefined) delete out.request.user_agent;
      else out.request.user_agent = reduced;
      reasons.push(reduced === undefined ? 'privacy.user_agent_dropped' : 'privacy.user_agent_reduced');
    }
    if (out.device) out.device = reduceDevice(out.device);
  }

  const extra = mode === 'send' ? privacy.url_redaction.params : [...privacy.url_redaction.params, ...CLICK_ID_PARAMS];
  scrubContent(out, { params: extra, mode: privacy.url_redaction.mode }, reasons);

  const { allow, deny: denyFields } = privacy.fields;
  for (const name of Object.keys(out.params)) {
    if ((allow && !matches(name, allow)) || (denyFields && matches(name, denyFields))) {
      delete out.params[name];
      reasons.push(`privacy.field_removed:${name}`);
    }
  }

  return { event: out, reasons: [...new Set(reasons)] };
}

/** Remove item fields holding an email and campaign values shaped like an email or phone number. */
function scrubItemsAndCampaign(event: Event, reasons: string[]): void {
  for (const item of event.items ?? []) {
    for (const [k, v] of Object.entries(item)) {
      if (typeof v === 'string' && looksLikeEmail(v)) {
        delete item[k];
        reasons.push(`privacy.item_value_email:${k}`);
      }
    }
  }
  if (event.campaign) {
    for (const [k, v] of Object.entries(event.campaign)) {
      if (typeof v === 'string' && (looksLikeEmail(v) || looksLikePhone(v))) {
        delete event.campaign[k];
        reasons.push(`privacy.campaign_value_removed:${k}`);
      }
    }
  }
}

/**
 * The destination-independent part of minimization, applied once at accept so the durable record
 * holds no clear email or phone number: page URL and referrer redacted with the built-in list
 * (values masked), emails removed from the title, params, user properties, items and campaign
 * values shaped like an email or phone number removed. Each destination's own rules still run in
 * {@link minimize}. Mutates `event`; returns the reasons (kept with the record).
 */
export function scrubForRecord(event: Event): string[] {
  const reasons: string[] = [];
  scrubContent(event, { params: [], mode: 'mask' }, reasons);
  return [...new Set(reasons)];
}

/**
 * Page URL and referrer redacted, emails removed from the title, params and user properties named
 * like personal data or holding an email or phone number removed, items and campaign values scrubbed.
 */
function scrubContent(event: Event, urlOpts: { params: readonly string[]; mode: 'drop' | 'mask' }, reasons: string[]): void {
  for (const field of ['url', 'referrer'] as const) {
    const r = redactUrl(event.page[field], { params: [...urlOpts.params], mode: urlOpts.mode });
    reasons.push(...r.reasons);
    if (r.url === undefined) delete event.page[field];
    else event.page[field] = r.url;
  }
  if (event.page.title && looksLikeEmail(event.page.title)) {
    event.page.title = redactEmails(event.page.title);
    reasons.push('privacy.title_email');
  }
  const deny = new Set([...DEFAULT_REDACTED_PARAMS, ...urlOpts.params].map((p) => p.toLowerCase()));
  const opts = { params: [...urlOpts.params], mode: urlOpts.mode };
  scrubRecord(event.params, deny, opts, reasons);
  if (event.user_properties) scrubRecord(event.user_properties, deny, opts, reasons);
  scrubItemsAndCampaign(event, reasons);
}
