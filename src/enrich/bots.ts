/**
 * @module Bot detection: isbot's maintained pattern list plus configured extra patterns.
 */
import { isbotMatch } from 'isbot';
import { LRUCache } from 'lru-cache';
import type { EnrichConfig } from './config.js';

/** Outcome of {@link detectBot}. */
export interface BotVerdict {
  bot: boolean;
  /** `bot.ua_pattern:<crawler name or matched text>` | `bot.extra_pattern:<index>` | `bot.empty_user_agent` */
  reason?: string;
}

const compiled = new WeakMap<readonly string[], RegExp[]>();

/** Config pattern lists compiled once per array (case-insensitive). */
function regexps(patterns: readonly string[]): RegExp[] {
  let list = compiled.get(patterns);
  if (!list) {
    list = patterns.map((p) => new RegExp(p, 'i'));
    compiled.set(patterns, list);
  }
  return list;
}

/** A crawler's product name ("Googlebot", "AhrefsBot"), which says more than isbot's matched fragment. */
const PRODUCT = /[a-z][a-z0-9_-]*(?:bot|crawler|spider)\b/i;

/** A short label for the reason code, safe for logs. */
function label(ua: string, match: string): string {
  const name = PRODUCT.exec(ua)?.[0] ?? match;
  return name.toLowerCase().replace(/[^a-z0-9._/-]+/g, '_').slice(0, 40);
}

/**
 * Decide whether a User-Agent belongs to a bot. isbot's list covers search engines, link
 * previewers, monitors, headless browsers and HTTP libraries; `extra_patterns` add site-specific ones
 * (compiled once per config array). A missing User-Agent is a bot only when configured, since
 * server-to-server events carry none.
 *
 * @example
 * detectBot('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', config.bots)
 * // { bot: true, reason: 'bot.ua_pattern:googlebot' }
 */
export function detectBot(ua: string | undefined, config: EnrichConfig['bots']): BotVerdict {
  if (!ua?.trim()) return config.empty_user_agent ? { bot: true, reason: 'bot.empty_user_agent' } : { bot: false };
  // Visitors share a few thousand User-Agents; isbot's pattern is one long regex: remember verdicts.
  let byUa = verdicts.get(config);
  if (!byUa) verdicts.set(config, (byUa = new LRUCache<string, BotVerdict>({ max: 2000 })));
  const hit = byUa.get(ua);
  if (hit) return hit;
  const verdict = classify(ua, config);
  byUa.set(ua, verdict);
  return verdict;
}

/** Verdicts per bots config (a config object per app) and User-Agent. */
const verdicts = new WeakMap<EnrichConfig['bots'], LRUCache<string, BotVerdict>>();

function classify(ua: string, config: EnrichConfig['bots']): BotVerdict {
  // Back ends send events too (curl, server SDKs): HTTP libraries are senders here, not crawlers.
  if (regexps(config.server_clients).some((re) => re.test(ua))) return { bot: false };
  const known = isbotMatch(ua);
  if (known) return { bot: true, reason: `bot.ua_pattern:${label(ua, known)}` };
  const index = regexps(config.extra_patterns).findIndex((re) => re.test(ua));
  return index >= 0 ? { bot: true, reason: `bot.extra_pattern:${index}` } : { bot: false };
}
