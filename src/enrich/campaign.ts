/**
 * @module Campaign parameters, click ids and channel from the page URL and referrer.
 */
import { LRUCache } from 'lru-cache';
import type { CampaignInfo } from '../event.js';
import type { EnrichConfig } from './config.js';
import { rawQueryParam } from '../identity/client-id.js';
import { hostInfo, isSearchSource, isSocialSource, referrerKind, searchEngineName } from './referrers.js';

/** The channels {@link campaignFrom} assigns. */
export type Channel = 'direct' | 'organic_search' | 'paid' | 'social' | 'email' | 'internal' | 'referral';

const UTM = ['source', 'medium', 'campaign', 'term', 'content', 'id'] as const;

/** Ad click ids that prove a paid click, with the source/medium they imply when no utm says otherwise. */
const PAID_CLICK_IDS: ReadonlyArray<[string, string | undefined, string | undefined]> = [
  ['gclid', 'google', 'cpc'],
  ['gbraid', 'google', 'cpc'],
  ['wbraid', 'google', 'cpc'],
  ['dclid', undefined, undefined],
  ['msclkid', 'bing', 'cpc'],
  ['ttclid', 'tiktok', 'cpc'],
  ['li_fat_id', 'linkedin', 'cpc'],
];
/** Every click id read, kept byte for byte (vendors match them exactly). */
export const CLICK_IDS = [...PAID_CLICK_IDS.map(([k]) => k), 'fbclid'] as const;

/** GA4's default channel rules for utm_medium (https://support.google.com/analytics/answer/9756891). */
const PAID_MEDIUM = /^(?:.*cp.*|ppc|retargeting|paid.*|display|banner|interstitial)$/i;
const EMAIL_MEDIUM = /^(?:email|e-mail|e_mail|e mail|newsletter)$/i;
const SOCIAL_MEDIUM = /^(?:social|social-network|social-media|sm|social network|social media)$/i;
const ORGANIC_MEDIUM = /^organic$/i;

const MAX_UTM = 100;
const MAX_CLICK_ID = 500;

function parseUrl(text: string | undefined): URL | undefined {
  if (!text) return undefined;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}

function mediumChannel(medium: string | undefined): Channel | undefined {
  if (!medium) return undefined;
  if (EMAIL_MEDIUM.test(medium)) return 'email';
  if (SOCIAL_MEDIUM.test(medium)) return 'social';
  if (ORGANIC_MEDIUM.test(medium)) return 'organic_search';
  if (PAID_MEDIUM.test(medium)) return 'paid';
  return undefined;
}

/**
 * Read utm_* parameters and click ids from the page URL and classify the visit's channel. Order:
 * an explicit utm_medium rule; a paid click id; utm_source naming a search engine or social network;
 * `fbclid` (Meta adds it to organic and paid links alike, so it means social, not paid); then the
 * referrer: none → direct, same registrable domain (or `internal_domains`) → internal, webmail → email,
 * search engine → organic_search, social network → social, anything else → referral.
 *
 * @example
 * campaignFrom({ pageUrl: 'https://shop.example.com/?utm_source=news&utm_medium=email' }, config.campaign)
 * // { source: 'news', medium: 'email', channel: 'email' }
 */
export function campaignFrom(input: { pageUrl?: string; referrer?: string }, config: EnrichConfig['campaign']): CampaignInfo {
  // Landing URLs and referrers repeat (a site's pages, a campaign's link): parsing two URLs and the
  // Public Suffix List was ~50 µs of an event's CPU. Cached per config; a copy is handed out.
  let cache = caches.get(config);
  if (!cache) caches.set(config, (cache = new LRUCache<string, Readonly<CampaignInfo>>({ max: CACHE_SIZE })));
  const key = `${input.pageUrl ?? ''}\u0000${input.referrer ?? ''}`;
  let hit = cache.get(key);
  if (!hit) cache.set(key, (hit = classify(input, config)));
  return { ...hit };
}

/** Distinct (page URL, referrer) pairs remembered per config. */
const CACHE_SIZE = 5000;
const caches = new WeakMap<EnrichConfig['campaign'], LRUCache<string, Readonly<CampaignInfo>>>();

function classify(input: { pageUrl?: string; referrer?: string }, config: EnrichConfig['campaign']): CampaignInfo {
  const page = parseUrl(input.pageUrl);
  const out: CampaignInfo = {};
  if (page) {
    for (const k of UTM) {
      const v = page.searchParams.get(`utm_${k}`)?.trim();
      if (v) out[k] = v.slice(0, MAX_UTM);
    }
    for (const k of CLICK_IDS) {
      const v = rawQueryParam(input.pageUrl, k);
      if (v && /^[\x21-\x7E]+$/.test(v)) out[k] = v.slice(0, MAX_CLICK_ID);
    }
  }
  const paidClick = PAID_CLICK_IDS.find(([k]) => out[k] !== undefined);
  const ref = parseUrl(input.referrer);
  const refInfo = ref ? hostInfo(ref.hostname) : undefined;
  const pageDomain = page ? hostInfo(page.hostname).domain : undefined;
  const internal =
    refInfo !== undefined &&
    ((pageDomain !== undefined && refInfo.domain === pageDomain) ||
      config.internal_domains.some((d) => refInfo.host === d || refInfo.host.endsWith(`.${d}`) || refInfo.domain === d));

  let channel = mediumChannel(out.medium);
  if (!channel && paidClick) {
    channel = 'paid';
    if (!out.source && paidClick[1]) out.source = paidClick[1];
    if (!out.medium && paidClick[2]) out.medium = paidClick[2];
  }
  if (!channel && out.source) channel = isSearchSource(out.source) ? 'organic_search' : isSocialSource(out.source) ? 'social' : 'referral';
  if (!channel && out.fbclid) {
    channel = 'social';
    out.source ??= refInfo && !internal ? refInfo.host : 'facebook';
    out.medium ??= 'social';
  }
  if (!channel) {
    if (!refInfo) {
      channel = 'direct';
      out.source = '(direct)';
      out.medium = '(none)';
    } else if (internal) {
      channel = 'internal';
    } else {
      const kind = referrerKind(refInfo);
      channel = kind === 'search' ? 'organic_search' : kind === 'other' ? 'referral' : kind;
      out.source = kind === 'search' ? searchEngineName(refInfo) : refInfo.host;
      out.medium = kind === 'search' ? 'organic' : kind === 'email' ? 'email' : 'referral';
    }
  }
  out.channel = channel;
  return out;
}
