/**
 * @module Known referrer sites (search engines, social networks, webmail), for channel classification.
 */
import { parse as parseHost } from '../identity/public-suffix.js';

/** Search engines by domain label (`google` covers google.com, google.co.uk, …). */
const SEARCH_LABELS = new Set([
  'google', 'bing', 'yahoo', 'duckduckgo', 'yandex', 'baidu', 'ecosia', 'naver', 'seznam', 'qwant',
  'startpage', 'ask', 'sogou', 'so', 'daum', 'kagi', 'mojeek', 'perplexity',
]);
/** Search engines living on a subdomain of a non-search brand. */
const SEARCH_HOSTS = new Set(['search.brave.com', 'search.aol.com', 'search.yahoo.co.jp']);

const SOCIAL_LABELS = new Set([
  'facebook', 'fb', 'instagram', 'twitter', 'linkedin', 'lnkd', 'pinterest', 'reddit', 'youtube', 'tiktok',
  'snapchat', 'whatsapp', 'telegram', 'threads', 'vk', 'weibo', 'quora', 'tumblr', 'discord', 'bsky',
  'mastodon', 'messenger', 'xing', 'line', 'wechat',
]);
/** Social short domains whose label is ambiguous or a single letter. */
const SOCIAL_DOMAINS = new Set(['t.co', 'x.com', 't.me', 'youtu.be', 'fb.me', 'lnkd.in', 'pin.it', 'redd.it']);

/** Webmail hosts: a click from a mail read in the browser. */
const MAIL_HOSTS = new Set([
  'mail.google.com', 'outlook.live.com', 'outlook.office.com', 'outlook.office365.com', 'mail.yahoo.com',
  'mail.aol.com', 'mail.proton.me', 'mail.yandex.ru', 'mail.zoho.com', 'webmail.gmx.net', 'email.t-online.de',
]);

/** What a referrer host is. */
export type ReferrerKind = 'search' | 'social' | 'email' | 'other';

/** A parsed host: hostname without `www.`, registrable domain, and the brand label. */
export interface HostInfo {
  host: string;
  domain?: string;
  label?: string;
}

/** Hosts parsed so far (referrers and a site's own hosts repeat); emptied when it grows past its bound. */
const hosts = new Map<string, Readonly<HostInfo>>();
const MAX_HOSTS = 2000;

/** Parse a hostname with the Public Suffix List. */
export function hostInfo(hostname: string): Readonly<HostInfo> {
  let info = hosts.get(hostname);
  if (info) return info;
  const host = hostname.toLowerCase().replace(/^www\./, '');
  const p = parseHost(host, { allowPrivateDomains: true });
  info = { host, domain: p.domain ?? undefined, label: p.domainWithoutSuffix ?? undefined };
  if (hosts.size >= MAX_HOSTS) hosts.clear();
  hosts.set(hostname, info);
  return info;
}

/** Classify a referrer host. */
export function referrerKind(info: HostInfo): ReferrerKind {
  if (MAIL_HOSTS.has(info.host) || /^(?:web)?mail\./.test(info.host)) return 'email';
  if (SEARCH_HOSTS.has(info.host)) return 'search';
  if (info.domain && SOCIAL_DOMAINS.has(info.domain)) return 'social';
  if (info.label && SEARCH_LABELS.has(info.label)) return 'search';
  if (info.label && SOCIAL_LABELS.has(info.label)) return 'social';
  return 'other';
}

/** The source name for a search engine referrer (`google`, `bing`, `brave`…). */
export function searchEngineName(info: HostInfo): string {
  if (SEARCH_HOSTS.has(info.host)) return info.host.split('.')[1] ?? info.host;
  return info.label ?? info.host;
}

/** True when a utm_source names a known search engine (`google`, `bing`…). */
export function isSearchSource(source: string): boolean {
  return SEARCH_LABELS.has(source.toLowerCase());
}

/** True when a utm_source names a known social network. */
export function isSocialSource(source: string): boolean {
  const s = source.toLowerCase();
  return SOCIAL_LABELS.has(s) || SOCIAL_DOMAINS.has(s) || s === 'x' || s === 'ig';
}
