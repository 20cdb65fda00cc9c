/**
 * @module Clear user data → vendor-ready HashedUser: normalize per vendor, then SHA-256 through the Hasher port.
 */
import type { HashedUser, UserData } from '../event.js';
import type { Hasher } from '../ports.js';
import {
  isSha256Hex,
  normalizeCity,
  normalizeCountry,
  normalizeDateOfBirth,
  normalizeEmail,
  normalizeExternalId,
  normalizeGender,
  normalizeName,
  normalizePhone,
  normalizePostalCode,
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

/** Google hashes contact fields only, wants address parts in clear, and has no gender/dob/external id. */
const GOOGLE_HASHED = new Set<HashedField>(['em', 'ph', 'fn', 'ln']);
const GOOGLE_CLEAR = new Set<HashedField>(['ct', 'st', 'zp', 'country']);

/** Sync for every field but the phone number, whose parser is loaded on first use. */
function normalize(key: HashedField, raw: string, flavor: Flavor, country: string | undefined, now?: number): Normalized | Promise<Normalized> {
  switch (key) {
    case 'em':
      return normalizeEmail(raw, flavor);
    case 'ph':
      return normalizePhone(raw, flavor, country);
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
 * Normalize and hash one user's data for a vendor. Values that already are a SHA-256 hex digest
 * pass through (lower-cased). Invalid values are dropped with a reason; nothing clear is returned
 * except the address parts Google wants unhashed (`ct`, `st`, `zp`, `country`, normalized).
 *
 * @example
 * const { hashed, dropped } = await hashUser({ email: 'John_Smith@gmail.com' }, { flavor: 'meta', hasher })
 * // hashed.em === '62a14e44f765419d10fea99367361a727c12365e2520f32218d505ed9aa0f62f'
 */
export async function hashUser(
  user: UserData,
  opts: HashUserOptions,
): Promise<{ hashed: HashedUser; dropped: DroppedField[] }> {
  const { flavor, hasher } = opts;
  const dropped: DroppedField[] = [];
  const ownCountry = user.country ? normalizeCountry(user.country, 'google') : undefined;
  const country = ownCountry?.ok ? ownCountry.value : opts.defaultCountry?.toUpperCase();
  const out: Promise<[HashedField, string]>[] = [];
  for (const [field, key] of SOURCES) {
    const raw = user[field];
    if (raw === undefined || raw === null || String(raw).trim() === '') continue;
    const text = String(raw);
    const clear = flavor === 'google' && GOOGLE_CLEAR.has(key);
    if (flavor === 'google' && !clear && !GOOGLE_HASHED.has(key)) {
      dropped.push({ field, reason: 'privacy.not_used_by_vendor' });
      continue;
    }
    if (isSha256Hex(text)) {
      if (clear) dropped.push({ field, reason: 'privacy.prehashed_not_accepted' });
      else out.push(Promise.resolve([key, text.trim().toLowerCase()]));
      continue;
    }
    const n = await normalize(key, text, flavor, country, opts.now);
    if (!n.ok) {
      dropped.push({ field, reason: n.reason });
      continue;
    }
    out.push(clear ? Promise.resolve([key, n.value]) : hasher.sha256Hex(n.value).then((h) => [key, h]));
  }
  // Assigned after all settle, in field order, so the object's key order is deterministic.
  const hashed: HashedUser = {};
  for (const [key, value] of await Promise.all(out)) hashed[key] = value;
  return { hashed, dropped };
}
