/**
 * @module Clear user data → vendor-ready HashedUser: normalize per hashing rule, then SHA-256 through the Hasher port.
 */
import type { HashedUser, UserData } from '../event.js';
import type { Hasher } from '../ports.js';
import { GOOGLE_HASHING, META_HASHING, type HashingRule } from './hashing.js';
import {
  isSha256Hex,
  normalizeCity,
  normalizeCountry,
  normalizeDateOfBirth,
  normalizeEmail,
  normalizeExternalId,
  normalizeGender,
  normalizeName,
  normalizePostalCode,
  phoneE164,
  normalizeState,
  type Flavor,
  type HashedField,
  type Normalized,
} from './normalize.js';

/** Options of {@link hashUser}. */
export interface HashUserOptions {
  flavor: Flavor;
  /**
   * ISO alpha-2 country for reading phone numbers, states and ZIP codes when `user.country` is
   * absent: the visitor's geo country, else the configured `privacy.default_country`.
   */
  defaultCountry?: string;
  hasher: Hasher;
  /** Epoch ms, for the date-of-birth year range (default: now). */
  now?: number;
}

/** A user field that did not make it into the hashed form, and why (`privacy.invalid_email`, …). */
export interface DroppedField {
  field: keyof UserData;
  reason: string;
}

/** One rule's result: the prepared fields and the fields left out. */
export interface RuleResult {
  hashed: HashedUser;
  dropped: DroppedField[];
}

/** Which clear field feeds which vendor key. */
const SOURCES: [keyof UserData, HashedField][] = [
  ['email', 'em'],
  ['phone', 'ph'],
  ['first_name', 'fn'],
  ['last_name', 'ln'],
  ['gender', 'ge'],
  ['date_of_birth', 'db'],
  ['city', 'ct'],
  ['region', 'st'],
  ['postal_code', 'zp'],
  ['country', 'country'],
  ['external_id', 'external_id'],
];

/** Sync for every field but the phone number, whose parse is shared by both phone rules. */
function normalize(key: HashedField, raw: string, flavor: Flavor, country: string | undefined, e164: () => Promise<string | undefined>, now?: number): Normalized | Promise<Normalized> {
  switch (key) {
    case 'em':
      return normalizeEmail(raw, flavor);
    case 'ph':
      return e164().then((n): Normalized => (n === undefined ? { ok: false, reason: 'privacy.invalid_phone' } : { ok: true, value: flavor === 'google' ? n : n.slice(1) }));
    case 'fn':
    case 'ln':
      return normalizeName(raw, flavor);
    case 'ge':
      return normalizeGender(raw);
    case 'db':
      return normalizeDateOfBirth(raw, now);
    case 'ct':
      return normalizeCity(raw, flavor);
    case 'st':
      return normalizeState(raw, flavor, country);
    case 'zp':
      return normalizePostalCode(raw, flavor, country);
    case 'country':
      return normalizeCountry(raw, flavor);
    case 'external_id':
      return normalizeExternalId(raw);
  }
}

/**
 * Normalize and hash one user's data for several hashing rules at once. Each field is normalized
 * once per normalization (Meta's or Google's) and each distinct normalized value is hashed once, so
 * rules that agree on a field share its hash (TikTok's email is Meta's, its phone Google's): at most
 * one hash per field per rule, usually fewer. Values that already are a SHA-256 hex digest pass
 * through (lower-cased). Invalid values are dropped with a reason; nothing clear is returned except
 * fields a rule keeps `clear` (Google's address parts, normalized). `pseudonymize` is not applied here.
 *
 * @example
 * const byRule = await hashUserByRules({ email: 'a@b.co' }, [META_HASHING, GOOGLE_HASHING], { hasher })
 * byRule.get('meta')!.hashed.em // SHA-256 of 'a@b.co'
 */
export async function hashUserByRules(
  user: UserData,
  rules: readonly HashingRule[],
  opts: Omit<HashUserOptions, 'flavor'>,
): Promise<Map<string, RuleResult>> {
  const { hasher } = opts;
  const ownCountry = user.country ? normalizeCountry(user.country, 'google') : undefined;
  const country = ownCountry?.ok ? ownCountry.value : opts.defaultCountry?.toUpperCase();
  const normalized = new Map<string, Normalized | Promise<Normalized>>();
  const hashes = new Map<string, Promise<string>>();
  const hash = (value: string): Promise<string> => {
    let h = hashes.get(value);
    if (!h) hashes.set(value, (h = hasher.sha256Hex(value)));
    return h;
  };
  // The phone is parsed once for both phone rules (E.164 with and without `+`).
  let e164: Promise<string | undefined> | undefined;
  const out = new Map<string, RuleResult>();
  const jobs: Promise<void>[] = [];
  for (const rule of rules) {
    if (out.has(rule.id)) continue;
    const result: RuleResult = { hashed: {}, dropped: [] };
    out.set(rule.id, result);
    const entries: Promise<[HashedField, string] | undefined>[] = [];
    for (const [field, key] of SOURCES) {
      const raw = user[field];
      if (raw === undefined || raw === null || String(raw).trim() === '') continue;
      const text = String(raw);
      const how = rule.fields[key];
      if (!how) {
        result.dropped.push({ field, reason: 'privacy.not_used_by_vendor' });
        continue;
      }
      if (isSha256Hex(text)) {
        if (how.clear) result.dropped.push({ field, reason: 'privacy.prehashed_not_accepted' });
        else entries.push(Promise.resolve([key, text.trim().toLowerCase()]));
        continue;
      }
      const memo = `${key}:${how.normalize}`;
      let n = normalized.get(memo);
      if (n === undefined) {
        n = normalize(key, text, how.normalize, country, () => (e164 ??= phoneE164(text, country)), opts.now);
        normalized.set(memo, n);
      }
      entries.push(
        Promise.resolve(n).then(async (v) => {
          if (!v.ok) {
            result.dropped.push({ field, reason: v.reason });
            return undefined;
          }
          return [key, how.clear ? v.value : await hash(v.value)];
        }),
      );
    }
    jobs.push(
      Promise.all(entries).then((done) => {
        // Assigned after all settle, in field order, so the object's key order is deterministic.
        for (const e of done) if (e) result.hashed[e[0]] = e[1];
        result.dropped.sort((a, b) => FIELD_ORDER.get(a.field)! - FIELD_ORDER.get(b.field)!);
      }),
    );
  }
  await Promise.all(jobs);
  return out;
}

const FIELD_ORDER = new Map(SOURCES.map(([field], i) => [field, i]));

/**
 * Normalize and hash one user's data by one vendor's rule (Meta's or Google's, see
 * {@link META_HASHING}, {@link GOOGLE_HASHING}).
 *
 * @example
 * const { hashed, dropped } = await hashUser({ email: 'John_Smith@gmail.com' }, { flavor: 'meta', hasher })
 * // hashed.em === '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'
 */
export async function hashUser(user: UserData, opts: HashUserOptions): Promise<RuleResult> {
  const rule = opts.flavor === 'google' ? GOOGLE_HASHING : META_HASHING;
  return (await hashUserByRules(user, [rule], opts)).get(rule.id)!;
}
