/**
 * @module User stitching: the pseudonymous link between a device's client id and a signed-in user id.
 */

/** HMAC-SHA-256 hex (the runtime's `Hasher.hmacSha256Hex`). */
export type Hmac = (key: string, input: string) => Promise<string>;

/** One link record: both sides pseudonymized with the same secret key. */
export interface StitchLink {
  client_key: string;
  user_key: string;
}

/** Outcome of {@link stitchLink}: a link, or the reason there is none. */
export type StitchResult = { link: StitchLink; reason?: undefined } | { link?: undefined; reason: string };

/**
 * Build the link record for a client id and a user id, both keyed-hashed so the store never holds
 * either in clear (GDPR Art. 4(5) pseudonymization: the key stays outside the store). Each side is
 * domain-separated (`client:` / `user:`) so equal strings on both sides never produce equal keys.
 *
 * @example
 * await stitchLink({ client_id: '123.456', user_id: 'u-42' }, secret, runtime.hash.hmacSha256Hex)
 * // { link: { client_key: '9f…', user_key: '4c…' } }
 */
export async function stitchLink(
  ids: { client_id?: string; user_id?: string },
  key: string,
  hmac: Hmac,
): Promise<StitchResult> {
  if (!key) return { reason: 'identity.stitch_no_key' };
  const clientId = ids.client_id?.trim();
  const userId = ids.user_id?.trim();
  if (!clientId) return { reason: 'identity.stitch_no_client_id' };
  if (!userId) return { reason: 'identity.stitch_no_user_id' };
  // The same pseudonyms the warehouse stores (privacy/identity.ts), so an erasure by user id finds the
  // linked client ids' events too.
  const [client_key, user_key] = await Promise.all([hmac(key, clientId), hmac(key, userId)]);
  return { link: { client_key, user_key } };
}
