/**
 * @module Identity-stage reason codes (`identity.*`) and bot verdicts (`bot.*`) in words.
 */
import type { DescribeReason } from '../privacy/reasons.js';

/** `identity.*` and `bot.*` codes → words. */
export const IDENTITY_REASONS: Readonly<Record<string, DescribeReason>> = {
  'identity.storage_denied': () => 'No analytics cookie (client id, session) was read or written: analytics_storage is not granted.',
  'identity.ad_storage_denied': () => 'No advertising cookie (_fbp, _fbc) was read or written: ad_storage is not granted.',
  'identity.client_id_from_event': () => 'The client id came with the event (gtag cid).',
  'identity.client_id_invalid': () => 'The client id sent with the event was malformed and was ignored.',
  'identity.client_id_from_cookie': () => 'The client id was read from the first-party _ga cookie.',
  'identity.client_id_restored': () => 'The client id was restored from the HttpOnly server cookie after the browser lost _ga.',
  'identity.client_id_new': () => 'A new client id was created: the visitor had none (first visit).',
  'identity.session_from_event': () => 'The session came with the event (gtag sid).',
  'identity.session_new': () => 'A new session started: the visitor had none.',
  'identity.session_continued': () => "The visitor's current session continued.",
  'identity.session_timeout': () => 'A new session started: the previous one timed out.',
  'identity.fbp_new': () => "A new Meta browser id (_fbp) was created.",
  'identity.fbc_from_fbclid': () => "The Meta click id (_fbc) was built from the page URL's fbclid.",
  'identity.stitch_no_key': () => 'The client id was not linked to the user id: no pseudonymization key is configured.',
  'identity.stitch_no_client_id': () => 'The user id was not linked to a client id: the event has none.',
  'identity.stitch_no_user_id': () => 'Nothing was linked: the event has no user id.',
  'bot.ua_pattern': (p) => `Dropped as a bot: the User-Agent matches a known crawler${p ? ` (${p})` : ''}.`,
  'bot.extra_pattern': (p) => `Dropped as a bot: the User-Agent matches a configured pattern${p ? ` (${p})` : ''}.`,
  'bot.empty_user_agent': () => 'Dropped as a bot: the request had no User-Agent.',
};
