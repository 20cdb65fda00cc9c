/**
 * @module The canonical Event: what every ingest adapter produces and every destination consumes.
 */
import type { ConsentState } from './consent/purposes.js';

/** A parameter value as GA4 accepts it. */
export type Scalar = string | number | boolean;

/** One e-commerce item, GA4 shape (`item_id`, `item_name`, `price`, `quantity`, …). */
export interface Item {
  item_id?: string;
  item_name?: string;
  price?: number;
  quantity?: number;
  [field: string]: Scalar | undefined;
}

/**
 * Personal data as the site sent it. Clear values live only until the privacy stage:
 * destinations receive the hashed form (see `privacy/`), never these strings.
 */
export interface UserData {
  user_id?: string;
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  city?: string;
  region?: string;
  postal_code?: string;
  country?: string;
  date_of_birth?: string;
  gender?: string;
  external_id?: string;
}

/** The page the event happened on. */
export interface PageData {
  url?: string;
  referrer?: string;
  title?: string;
}

/** First-party identifiers and session state. */
export interface ClientData {
  client_id?: string;
  session_id?: string;
  session_number?: number;
  /** True for the first event of a session. */
  session_start?: boolean;
  /** True for the first event of a new visitor. */
  first_visit?: boolean;
  /** The session counts as engaged (GA4 `seg`). */
  engaged?: boolean;
  engagement_time_msec?: number;
  /** Meta browser id `_fbp` and click id `_fbc`, when consent allows. */
  fbp?: string;
  fbc?: string;
  /** TikTok's browser id `_ttp` (set by the TikTok pixel), when consent allows. */
  ttp?: string;
}

/**
 * Consent signals as received (not yet resolved). Purpose keys carry explicit states;
 * the other keys carry encoded signals that the consent engine decodes.
 */
export interface ConsentSignals {
  [purpose: string]: string | undefined;
  gcs?: string;
  gcd?: string;
  tcf?: string;
  us_privacy?: string;
  gpp?: string;
  gpp_sid?: string;
}

/** Where an event came from, and the request facts it carries. */
export interface RequestContext {
  /** Which ingest adapter produced it. */
  source: 'native' | 'gtag' | 'mp';
  ip?: string;
  user_agent?: string;
  /** Lower-cased request headers that later stages may read (client hints, geo, GPC, cookies). */
  headers: Record<string, string>;
  cookies: Record<string, string>;
  /**
   * Wire-protocol facts with no canonical field, by readable name (gtag: `measurement_id`, `gtm`,
   * `page_load_id`, `hit_sequence`, `language`, `screen_resolution`, `new_session`).
   */
  protocol?: Record<string, string>;
}

/** Device facts from the User-Agent and client hints. */
export interface DeviceInfo {
  browser?: string;
  browser_version?: string;
  engine?: string;
  os?: string;
  os_version?: string;
  device_type?: string;
  device_vendor?: string;
  device_model?: string;
  cpu?: string;
  is_bot?: boolean;
}

/** Location from trusted CDN headers; never guessed. */
export interface GeoInfo {
  country?: string;
  region?: string;
  city?: string;
}

/** Campaign and click ids read from the page URL and referrer. */
export interface CampaignInfo {
  [key: string]: string | undefined;
  source?: string;
  medium?: string;
  campaign?: string;
  /** direct | organic_search | social | paid | email | internal | referral */
  channel?: string;
}

/**
 * Vendor-ready user data, produced by the privacy stage for one destination with that vendor's
 * normalization (Meta or Google rules). Keys follow Meta's names. Identifying fields are SHA-256
 * hex; for the Google flavour, address parts Google wants in clear (`ct`, `st`, `zp`, `country`)
 * are normalized but not hashed. Absent when consent or config removes user data.
 */
export interface HashedUser {
  em?: string;
  ph?: string;
  fn?: string;
  ln?: string;
  ge?: string;
  db?: string;
  ct?: string;
  st?: string;
  zp?: string;
  country?: string;
  external_id?: string;
}

/** The canonical event. Stages after ingest fill the optional sections. */
export interface Event {
  event_id: string;
  name: string;
  /** Effective event time, epoch ms. */
  time: number;
  /** Server receive time, epoch ms. */
  received_at: number;
  /** Set when the client's time was outside the accepted window and server time was used. */
  time_adjusted?: boolean;
  params: Record<string, Scalar>;
  items?: Item[];
  user_properties?: Record<string, Scalar>;
  /** Clear personal data as received; emptied by the privacy stage before any destination sees the event. */
  user: UserData;
  /** Set by the privacy stage per destination (see {@link HashedUser}). */
  hashed_user?: HashedUser;
  /**
   * Set by the privacy stage for warehouse copies: the id of the salt whose HMAC replaced
   * `client.client_id`, `user.user_id` and `hashed_user.*`, so rows survive a salt rotation.
   */
  salt_id?: string;
  page: PageData;
  client: ClientData;
  consent: ConsentSignals;
  request: RequestContext;
  /** Filled by the consent stage. */
  consent_state?: ConsentState;
  device?: DeviceInfo;
  geo?: GeoInfo;
  campaign?: CampaignInfo;
  /** Set on events a conversion rule derived: the source event and the rule. */
  derived_from?: { event_id: string; rule_id: string };
  /** Derived events: a micro- or macro-conversion. */
  kind?: 'micro' | 'macro';
}

/** Names GA4 and our ingest accept: a letter, then up to 39 letters, digits or underscores. */
export const EVENT_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9_]{0,39}$/;
