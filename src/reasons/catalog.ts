/**
 * @module The reason-code catalog: every code tagrelay emits, in words a privacy officer reads (DESIGN principle 3).
 */
import { safeToken } from '../consent/signals/types.js';
import { CONSENT_REASONS } from './consent.js';
import { gaveUpWords, matchDeliveryError, splitGaveUp } from './delivery.js';
import { BOT_REASONS, ENRICH_REASONS, IDENTITY_REASONS } from './identity.js';
import { PLAN_REASONS } from './plan.js';
import { PRIVACY_REASONS } from './privacy.js';
import { TRIGGER_REASONS } from './triggers.js';
import type { CodePrefix, ReasonTable } from './types.js';
import { DESTINATION_REASONS } from '../destinations/index.js';

/**
 * The catalog by area: the key is the code prefix every code of that table starts with (`privacy.`).
 * The core's areas, then one per destination kind (from the registry: a destination brings its own words).
 */
export const REASON_AREAS: Readonly<Record<string, ReasonTable>> = {
  consent: CONSENT_REASONS,
  privacy: PRIVACY_REASONS,
  identity: IDENTITY_REASONS,
  bot: BOT_REASONS,
  enrich: ENRICH_REASONS,
  plan: PLAN_REASONS,
  trigger: TRIGGER_REASONS,
  ...Object.fromEntries(DESTINATION_REASONS.map((r) => [r.area, r.codes])),
};

/** Codes whose variable part follows the prefix directly (`ga4.http_400`, `postgres.sqlstate_40P01`), from every destination. */
const CODE_PREFIXES: Readonly<Record<string, CodePrefix>> = Object.assign({}, ...DESTINATION_REASONS.map((r) => r.prefixes ?? {}));

const REASONS: ReasonTable = Object.assign({}, ...Object.values(REASON_AREAS)) as ReasonTable;

/** Every described code, without its `:<argument>` part. */
export const REASON_CODES: readonly string[] = Object.keys(REASONS);

/** Code prefixes whose variable part follows directly (`ga4.http_` + status). */
export const REASON_PREFIXES: readonly string[] = Object.keys(CODE_PREFIXES);

/** Codes followed by `:<token> <vendor text>` rather than `:<argument>`. */
const WITH_DETAIL: ReadonlySet<string> = new Set(DESTINATION_REASONS.flatMap((r) => r.detailCodes ?? []));

// A SQLSTATE completion may hold capitals (`postgres.sqlstate_40P01`).
const CODE = /^[a-z][a-z0-9]*\.[a-z0-9_]+(?:[A-Z][A-Z0-9]*)?/;

/** A reason string taken apart: `ga4.http_400: {…}` → base `ga4.http_400`, detail `{…}`. */
export interface ParsedReason {
  /** The code without argument (`consent.tcf_purpose_missing`). */
  base: string;
  /** The part after `:` (`7`), or `''`. */
  arg: string;
  /** Vendor text after the code (kept in the dead-letter store; never put into the words). */
  detail: string;
}

/**
 * Split a reason string into code, argument and vendor detail; `undefined` when it does not start with a code.
 *
 * @example
 * parseReason('consent.purpose_denied:ad_storage') // { base: 'consent.purpose_denied', arg: 'ad_storage', detail: '' }
 */
export function parseReason(text: string): ParsedReason | undefined {
  const m = CODE.exec(text);
  if (!m) return undefined;
  const base = m[0];
  const rest = text.slice(base.length);
  if (!rest.startsWith(':') || /^:(\s|$)/.test(rest)) return { base, arg: '', detail: rest.replace(/^:/, '').trim() };
  if (!WITH_DETAIL.has(base)) return { base, arg: rest.slice(1), detail: '' };
  const space = rest.search(/\s/);
  return space < 0 ? { base, arg: rest.slice(1), detail: '' } : { base, arg: rest.slice(1, space), detail: rest.slice(space).trim() };
}

/** An argument as it may appear in words: names and numbers pass, anything else is neutralized. */
function printable(arg: string): string {
  const cleaned = arg.replace(/[^A-Za-z0-9_.:/-]/g, '_');
  return cleaned.length > 80 ? `${cleaned.slice(0, 80)}…` : cleaned;
}

function describeOne(text: string): string | undefined {
  const delivery = matchDeliveryError(text);
  if (delivery) return delivery.error.describe(delivery.vendor);
  const parsed = parseReason(text);
  if (!parsed) return undefined;
  const describe = REASONS[parsed.base];
  if (describe) return describe(printable(parsed.arg));
  for (const [prefix, { part, describe: words }] of Object.entries(CODE_PREFIXES)) {
    const rest = parsed.base.slice(prefix.length);
    if (parsed.base.startsWith(prefix) && part.test(rest)) return words(rest);
  }
  return undefined;
}

/** True when {@link describeReason} knows the code (or delivery error). */
export function isKnownReason(text: string): boolean {
  return describeOne(splitGaveUp(text).error) !== undefined;
}

/**
 * Describe a reason code in plain words. Accepts a code with its argument
 * (`consent.tcf_purpose_missing:7`), a destination error as stored in the dead-letter store
 * (`ga4.http_400: {…}`, `meta.timeout after 10000ms (gave up after 10 attempts)`), or anything else
 * (answered with "Unrecognised reason code", the input neutralized).
 *
 * @example
 * describeReason('privacy.ip_truncated')
 * // "The visitor's IP address was truncated before it left (IPv4 to /24, IPv6 to /48), …"
 */
export function describeReason(text: string): string {
  const { error, attempts } = splitGaveUp(text);
  const words = describeOne(error);
  if (words === undefined) return `Unrecognised reason code "${safeToken(text, 80)}".`;
  return attempts === undefined ? words : `${words} ${gaveUpWords(attempts)}`;
}

/**
 * A code with its words, the shape the explain endpoint and admin API answer with.
 *
 * @example
 * explainReason('bot.ua_pattern:googlebot') // { code: 'bot.ua_pattern:googlebot', explanation: 'The User-Agent belongs to …' }
 */
export function explainReason(code: string): { code: string; explanation: string } {
  return { code, explanation: describeReason(code) };
}
