/**
 * @module Identity minimization: clear user data → hashed or pseudonymized, identifiers removed per consent mode.
 */
import type { Event, HashedUser } from '../event.js';
import type { Hasher } from '../ports.js';
import type { GateMode } from '../destinations/types.js';
import type { PrivacyConfig } from './config.js';
import { hashUser } from './hash.js';

/** Which vendor's rules shape the copy. `warehouse` pseudonymizes with the secret salt instead. */
export type MinimizeFlavor = 'meta' | 'google' | 'warehouse';

/** What {@link minimizeIdentity} needs. */
export interface IdentityOptions {
  flavor: MinimizeFlavor;
  mode: GateMode;
  global: PrivacyConfig;
  hasher: Hasher;
  now?: number;
}

/** Ad click ids as the campaign stage stores them. */
const CLICK_ID_KEY = /(clid|braid)$|^(li_fat_id|epik)$/;

/**
 * Rewrite the identity sections of `out` (a copy of the event) in place and push reasons.
 *
 * - full, meta/google: `hashed_user` with the vendor's normalization; `user` keeps `user_id` only;
 *   Meta's `fbp`/`fbc` are kept for Meta only.
 * - full, warehouse: `hashed_user.*`, `user.user_id` and `client.client_id` become
 *   HMAC-SHA-256(salt, value) (PII is SHA-256'd first, so clear and pre-hashed inputs give the same
 *   pseudonym); `salt_id` records the salt; `fbp`/`fbc` are removed.
 * - anonymize: no user data and no `user_id`; `client_id`/`session_id` are HMAC'd for the
 *   warehouse (it can still count visitors and honour erasure) and removed for vendors; click ids removed.
 * - cookieless: no user data; `client_id`, `session_id`, `fbp`, `fbc` and click ids removed everywhere
 *   (a mapper that needs a client id must mint a per-event one).
 */
export async function minimizeIdentity(out: Event, opts: IdentityOptions, reasons: string[]): Promise<void> {
  const { flavor, mode, global, hasher } = opts;
  const salt = global.pseudonymization.salt;
  const pseudonym = (value: string): Promise<string> => hasher.hmacSha256Hex(salt, value);
  const user = out.user;
  const hadUserData = Object.entries(user).some(([k, v]) => k !== 'user_id' && v !== undefined && v !== '');
  delete out.hashed_user;

  if (mode === 'full') {
    if (hadUserData) {
      const { hashed, dropped } = await hashUser(user, {
        flavor: flavor === 'google' ? 'google' : 'meta',
        defaultCountry: out.geo?.country ?? global.default_country,
        hasher,
        now: opts.now,
      });
      for (const d of dropped) reasons.push(`${d.reason}:${d.field}`);
      let result: HashedUser = hashed;
      if (flavor === 'warehouse') {
        const entries = await Promise.all(
          Object.entries(hashed).map(async ([k, v]) => [k, await pseudonym(v)] as const),
        );
        result = Object.fromEntries(entries) as HashedUser;
      }
      if (Object.keys(result).length > 0) {
        out.hashed_user = result;
        reasons.push(flavor === 'warehouse' ? 'privacy.user_data_pseudonymized' : 'privacy.user_data_hashed');
      }
    }
    out.user = user.user_id ? { user_id: flavor === 'warehouse' ? await pseudonym(user.user_id) : user.user_id } : {};
    if (flavor !== 'meta') {
      // Meta's browser and click ids are for Meta only.
      if (out.client.fbp || out.client.fbc) reasons.push('privacy.vendor_ids_removed');
      delete out.client.fbp;
      delete out.client.fbc;
    }
    if (flavor === 'warehouse') {
      if (out.client.client_id) out.client.client_id = await pseudonym(out.client.client_id);
      out.salt_id = global.pseudonymization.salt_id;
      reasons.push('privacy.ids_pseudonymized');
    }
    return;
  }

  if (hadUserData || user.user_id) reasons.push('privacy.user_data_removed');
  out.user = {};
  if (out.client.fbp || out.client.fbc) reasons.push('privacy.vendor_ids_removed');
  delete out.client.fbp;
  delete out.client.fbc;
  if (mode === 'anonymize' && flavor === 'warehouse') {
    if (out.client.client_id) out.client.client_id = await pseudonym(out.client.client_id);
    if (out.client.session_id) out.client.session_id = await pseudonym(out.client.session_id);
    out.salt_id = global.pseudonymization.salt_id;
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
