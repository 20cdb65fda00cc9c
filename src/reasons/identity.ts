/**
 * @module Reason codes of identity and bot detection (`identity.*`, `bot.*`, `enrich.*`) in words a privacy officer reads.
 */
import type { ReasonTable } from './types.js';

/** First-party ids, sessions and user stitching (src/identity/). */
export const IDENTITY_REASONS: ReasonTable = {
  'identity.storage_denied': () =>
    'analytics_storage is not granted, so no client id or session cookie was read or written and the client id was not kept ' +
    '(ePrivacy Art. 5(3): reading or storing an identifier on the device needs consent).',
  'identity.ad_storage_denied': () =>
    "ad_storage is not granted, so Meta's _fbp and _fbc cookies were neither read nor written, and TikTok's _ttp was not read (ePrivacy Art. 5(3)).",
  'identity.client_id_from_event': () => 'The client id came with the event itself (gtag cid or the site\'s client_id).',
  'identity.client_id_invalid': () =>
    'The event carried a client id in an unusable format; it was ignored and the id was taken from the cookies or newly created.',
  'identity.client_id_from_cookie': () => 'The client id was read from the first-party _ga cookie (analytics_storage is granted).',
  'identity.client_id_restored': () =>
    'The _ga cookie was missing, so the client id was restored from the HttpOnly server id cookie tagrelay set earlier with consent.',
  'identity.client_id_new': () => 'No client id was found, so a new one was created: this counts as a first visit.',
  'identity.session_from_event': () => 'The session id came with the event (gtag sid); the session cookie follows it.',
  'identity.session_new': () => "The visitor had no session yet, so a new one was started.",
  'identity.session_continued': () => 'The event belongs to the session already running (last activity within the session timeout).',
  'identity.session_timeout': () => 'The last activity was longer ago than the session timeout (identity.session_timeout), so a new session was started.',
  'identity.fbp_new': () => "A new Meta browser id (_fbp) was created and stored first-party, as the Meta Pixel would (ad_storage is granted).",
  'identity.fbc_from_fbclid': () =>
    "The page URL carried a Meta click id (fbclid), so the _fbc cookie was set from it for ad attribution (ad_storage is granted).",
  'identity.stitch_no_key': () => 'The signed-in user was not linked to the device: no pseudonymization key is configured.',
  'identity.stitch_no_client_id': () => 'The signed-in user was not linked to the device: the event has no client id.',
  'identity.stitch_no_user_id': () => 'No device-to-user link was recorded: the event has no user id.',
};

/** Bot detection (src/enrich/bots.ts). */
export const BOT_REASONS: ReasonTable = {
  'bot.ua_pattern': (name) =>
    `The User-Agent belongs to a known bot or crawler${name ? ` (${name})` : ''} (isbot's maintained list). With enrich.bots.action: drop the event is counted and sent nowhere; with flag it is sent marked device.is_bot.`,
  'bot.extra_pattern': (i) =>
    `The User-Agent matched this site's own bot pattern${i ? ` number ${i}` : ''} (enrich.bots.extra_patterns, counted from 0).`,
  'bot.empty_user_agent': () => 'The request had no User-Agent, which this configuration treats as a bot (enrich.bots.empty_user_agent).',
};

/** Enrichment stage outcomes (src/pipeline.ts). */
export const ENRICH_REASONS: ReasonTable = {
  'enrich.bot': () => 'The request was recognised as coming from a bot and dropped: counted, sent nowhere (enrich.bots.action: drop).',
};
