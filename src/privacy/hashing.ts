/**
 * @module Hashing rules: how a destination kind wants the visitor's user data prepared (which fields,
 * whose normalization, hashed or clear, or pseudonymized). A destination names its rule in its own
 * file; the accept path prepares each rule in use once per event (src/privacy/hash.ts).
 */
import type { HashedField, Flavor } from './normalize.js';

/** Vendor browser and click ids kept on the event's client section: Meta's `_fbp`/`_fbc`, TikTok's `_ttp`. */
export const VENDOR_ID_KEYS = ['fbp', 'fbc', 'ttp'] as const;
/** One of {@link VENDOR_ID_KEYS}. */
export type VendorIdKey = (typeof VENDOR_ID_KEYS)[number];

/** How one field is prepared: normalized by one vendor's rules, then SHA-256'd (or, `clear`, kept normalized). */
export interface FieldRule {
  normalize: Flavor;
  /** Sent normalized but unhashed (Google wants address parts in clear). */
  clear?: boolean;
}

/** A hashing rule. Destinations with equal rules should share one object (or at least one `id`). */
export interface HashingRule {
  /** Where the prepared data is kept in the record (`identity.hashed.<id>`): lower-case letters, digits, `_`. */
  id: string;
  /** The fields this rule sends; any other field is withheld (`privacy.not_used_by_vendor`). */
  fields: Readonly<Partial<Record<HashedField, FieldRule>>>;
  /**
   * The warehouse rule: each hash becomes HMAC-SHA-256(salt, hash), and the user and client ids their
   * pseudonyms, so rows can be counted and erased without holding a reversible value.
   */
  pseudonymize?: boolean;
}

/** Every field, hashed by one vendor's normalization. */
function allFields(flavor: Flavor): Record<HashedField, FieldRule> {
  const f = { normalize: flavor };
  return { em: f, ph: f, fn: f, ln: f, ge: f, db: f, ct: f, st: f, zp: f, country: f, external_id: f };
}

/**
 * Meta's customer information parameters: every field normalized per Meta and SHA-256'd.
 * https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
 */
export const META_HASHING: HashingRule = { id: 'meta', fields: allFields('meta') };

/**
 * Google's user-provided data (GA4 MP, Google Ads enhanced conversions): contact fields hashed,
 * address parts normalized in clear; no gender, date of birth or external id.
 * https://developers.google.com/analytics/devguides/collection/ga4/uid-data
 */
export const GOOGLE_HASHING: HashingRule = {
  id: 'google',
  fields: {
    em: { normalize: 'google' },
    ph: { normalize: 'google' },
    fn: { normalize: 'google' },
    ln: { normalize: 'google' },
    ct: { normalize: 'google', clear: true },
    st: { normalize: 'google', clear: true },
    zp: { normalize: 'google', clear: true },
    country: { normalize: 'google', clear: true },
  },
};

/** The warehouses' rule: Meta's normalization and SHA-256, then HMAC-SHA-256 with the secret salt (GDPR Art. 4(5)). */
export const WAREHOUSE_HASHING: HashingRule = { id: 'warehouse', fields: allFields('meta'), pseudonymize: true };

/** The rules prepared when the caller names none: today's three. */
export const DEFAULT_HASHING_RULES: readonly HashingRule[] = [META_HASHING, GOOGLE_HASHING, WAREHOUSE_HASHING];

/**
 * Identity helper for a destination's own rule.
 *
 * @example
 * const TIKTOK_HASHING = defineHashingRule({ id: 'tiktok', fields: { em: { normalize: 'meta' }, ph: { normalize: 'google' } } })
 */
export function defineHashingRule(rule: HashingRule): HashingRule {
  if (!/^[a-z][a-z0-9_]*$/.test(rule.id)) throw new Error(`hashing rule id ${JSON.stringify(rule.id)}: expected lower-case letters, digits and _`);
  return rule;
}
