/**
 * @module Identity minimization: clear user data hashed ONCE per hashing rule in use at accept
 * ({@link prepareIdentity}), then the per-destination copy built from those hashes ({@link minimizeIdentity}).
 */
import type { Event, HashedUser, UserData } from '../event.js';
import type { Hasher } from '../ports.js';
import type { SendAction } from '../destinations/types.js';
import type { PrivacyConfig } from './config.js';
import { hashUserByRules } from './hash.js';
import { DEFAULT_HASHING_RULES, VENDOR_ID_KEYS, type HashingRule, type VendorIdKey } from './hashing.js';
import { looksLikeEmail, looksLikePhone } from './url.js';

/**
 * Everything identity minimization needs, computed once per event at accept: the user data prepared
 * per hashing rule in use (Meta's, Google's, TikTok's normalization; the salted warehouse pseudonyms)
 * and the pseudonyms of the ids. It holds no clear personal data; the clear `user` section is
 * dropped once this exists.
 */
export interface PreparedIdentity {
  /** The event carried user data besides `user_id`. */
  had_user_data: boolean;
  /** The site's `user_id`, kept only when it is not shaped like an email or phone number. */
  user_id?: string;
  /**
   * Per hashing rule id: the user data as that rule prepares it (`meta`, `google`: SHA-256 hex;
   * `warehouse`: HMAC-SHA-256(salt, Meta-normalized SHA-256) of each field).
   */
  hashed: Record<string, HashedUser>;
  /** Per hashing rule id: why fields were left out (`privacy.invalid_email:email`). */
  dropped: Record<string, string[]>;
  /** HMAC-SHA-256(salt, value) of the ids, for the warehouse. */
  pseudo: { user_id?: string; client_id?: string; session_id?: string };
  salt_id: string;
  /** Event-level notes (`privacy.user_id_pii`). */
  notes: string[];
}

/** Ad click ids as the campaign stage stores them. */
const CLICK_ID_KEY = /(clid|braid)$|^(li_fat_id|epik)$/;

/**
 * Hash an event's user data once per hashing rule and pseudonymize its ids. A `user_id` shaped like
 * an email or phone number is personal data Google forbids in `user_id`: it is removed
 * (`privacy.user_id_pii`) and, when no email/phone was sent, used as one (hashed like it).
 *
 * @example
 * const prepared = await prepareIdentity(event, { global: config.privacy, hasher })
 */
export async function prepareIdentity(
  event: Event,
  opts: { global: PrivacyConfig; hasher: Hasher; now?: number; rules?: readonly HashingRule[] },
): Promise<PreparedIdentity> {
  const { global, hasher } = opts;
  const salt = global.pseudonymization.salt;
  const pseudonym = (value: string): Promise<string> => hasher.hmacSha256Hex(salt, value);
  const user: UserData = { ...event.user };
  const notes: string[] = [];
  if (user.user_id && (looksLikeEmail(user.user_id) || looksLikePhone(user.user_id))) {
    if (looksLikeEmail(user.user_id)) user.email ??= user.user_id;
    else user.phone ??= user.user_id;
    delete user.user_id;
    notes.push('privacy.user_id_pii');
  }
  const had = Object.entries(user).some(([k, v]) => k !== 'user_id' && v !== undefined && v !== '');
  const out: PreparedIdentity = { had_user_data: had, hashed: {}, dropped: {}, pseudo: {}, salt_id: global.pseudonymization.salt_id, notes };
  if (user.user_id) out.user_id = user.user_id;
  const country = event.geo?.country ?? global.default_country;
  const jobs: Promise<unknown>[] = [];
  if (had) {
    const rules = opts.rules ?? DEFAULT_HASHING_RULES;
    jobs.push(
      hashUserByRules(user, rules, { defaultCountry: country, hasher, now: opts.now }).then(async (byRule) => {
        const hmacs = new Map<string, Promise<string>>();
        const hmac = (v: string): Promise<string> => {
          let h = hmacs.get(v);
          if (!h) hmacs.set(v, (h = pseudonym(v)));
          return h;
        };
        for (const rule of rules) {
          const r = byRule.get(rule.id);
          if (!r || out.hashed[rule.id]) continue;
          out.dropped[rule.id] = r.dropped.map((d) => `${d.reason}:${d.field}`);
          if (!rule.pseudonymize) out.hashed[rule.id] = r.hashed;
          else {
            const entries = await Promise.all(Object.entries(r.hashed).map(async ([k, v]) => [k, await hmac(v)] as const));
            out.hashed[rule.id] = Object.fromEntries(entries) as HashedUser;
          }
        }
      }),
    );
  }
  if (user.user_id) jobs.push(pseudonym(user.user_id).then((v) => (out.pseudo.user_id = v)));
  if (event.client.client_id) jobs.push(pseudonym(event.client.client_id).then((v) => (out.pseudo.client_id = v)));
  if (event.client.session_id) jobs.push(pseudonym(event.client.session_id).then((v) => (out.pseudo.session_id = v)));
  await Promise.all(jobs);
  return out;
}

/** What {@link minimizeIdentity} needs to know of the destination. */
export interface IdentityRules {
  /** The destination's hashing rule. */
  hashing: HashingRule;
  /** Vendor cookies this destination receives with full consent (every other one is removed). */
  vendorIds?: readonly VendorIdKey[];
}

/**
 * Rewrite the identity sections of `out` (a copy of the event) in place and push reasons. Pure and
 * synchronous: every hash comes from `prepared`.
 *
 * - send, meta/google: `hashed_user` with the vendor's normalization; `user` keeps `user_id` only;
 *   Meta's `fbp`/`fbc` are kept for Meta only.
 * - send, warehouse: `hashed_user.*`, `user.user_id` and `client.client_id` become
 *   HMAC-SHA-256(salt, value) (PII is SHA-256'd first, so clear and pre-hashed inputs give the same
 *   pseudonym); `salt_id` records the salt; `fbp`/`fbc` are removed.
 * - anonymize: no user data and no `user_id`; `client_id`/`session_id` are HMAC'd for the
 *   warehouse (it can still count visitors and honour erasure) and removed for vendors; click ids removed.
 * - cookieless: no user data; `client_id`, `session_id`, `fbp`, `fbc` and click ids removed everywhere
 *   (a mapper that needs a client id must mint a per-event one).
 */
export function minimizeIdentity(out: Event, opts: IdentityRules & { action: SendAction; prepared: PreparedIdentity }, reasons: string[]): void {
  const { hashing, action, prepared } = opts;
  const pseudonymize = hashing.pseudonymize === true;
  delete out.hashed_user;
  if (action === 'send') {
    if (prepared.had_user_data) {
      reasons.push(...(prepared.dropped[hashing.id] ?? []));
      const result = prepared.hashed[hashing.id];
      if (result && Object.keys(result).length > 0) {
        out.hashed_user = { ...result };
        reasons.push(pseudonymize ? 'privacy.user_data_pseudonymized' : 'privacy.user_data_hashed');
      }
    }
    const userId = pseudonymize ? prepared.pseudo.user_id : prepared.user_id;
    out.user = userId ? { user_id: userId } : {};
    // A vendor's browser and click ids are for that vendor only.
    removeVendorIds(out.client, opts.vendorIds ?? [], reasons);
    if (pseudonymize) {
      // The record may hold only the pseudonym (no vendor needed the clear id): it is what the warehouse gets.
      setOrDelete(out.client, 'client_id', prepared.pseudo.client_id);
      out.salt_id = prepared.salt_id;
      reasons.push('privacy.ids_pseudonymized');
    }
    return;
  }

  if (prepared.had_user_data || prepared.user_id) reasons.push('privacy.user_data_removed');
  out.user = {};
  removeVendorIds(out.client, [], reasons);
  if (action === 'anonymize' && pseudonymize) {
    setOrDelete(out.client, 'client_id', prepared.pseudo.client_id);
    setOrDelete(out.client, 'session_id', prepared.pseudo.session_id);
    out.salt_id = prepared.salt_id;
    reasons.push('privacy.ids_pseudonymized');
  } else {
    if (out.client.client_id || out.client.session_id) reasons.push('privacy.client_id_removed');
    delete out.client.client_id;
    delete out.client.session_id;
  }
  if (out.campaign) {
    const ids = Object.keys(out.campaign).filter((k) => CLICK_ID_KEY.test(k));
    for (const k of ids) delete out.campaign[k];
    if (ids.length > 0) reasons.push('privacy.click_ids_removed');
  }
}

/** Remove every vendor id but `keep` from a client section, noting it once. */
function removeVendorIds(client: Event['client'], keep: readonly VendorIdKey[], reasons: string[]): void {
  let removed = false;
  for (const k of VENDOR_ID_KEYS) {
    if (keep.includes(k) || client[k] === undefined) continue;
    delete client[k];
    removed = true;
  }
  if (removed) reasons.push('privacy.vendor_ids_removed');
}

function setOrDelete(client: Event['client'], key: 'client_id' | 'session_id', value: string | undefined): void {
  if (value === undefined) delete client[key];
  else client[key] = value;
}
