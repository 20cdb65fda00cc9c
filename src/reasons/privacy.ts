/**
 * @module Reason codes of minimization (`privacy.*`) in words a privacy officer reads.
 */
import type { Describe, ReasonTable } from './types.js';

/** Readable names of the user-data fields a `privacy.invalid_*:<field>` code names. */
const FIELDS: Readonly<Record<string, string>> = {
  email: 'email address',
  phone: 'phone number',
  first_name: 'first name',
  last_name: 'last name',
  gender: 'gender',
  date_of_birth: 'date of birth',
  city: 'city',
  region: 'state or region',
  postal_code: 'postal code',
  country: 'country',
  external_id: 'external id',
};

const field = (f: string): string => (f ? `The ${FIELDS[f] ?? `field "${f}"`}` : 'A personal-data field');

/** `privacy.invalid_<kind>:<field>`: a value that failed the vendor's normalization rules. */
const invalid =
  (what: string): Describe =>
  (f) =>
    `${field(f)} could not be read as ${what} under the vendor's normalization rules, so it was dropped rather than hashed ` +
    '(a hash of a malformed value matches nobody and only spreads personal data).';

/** Minimization codes (src/privacy/): what was hashed, pseudonymized, truncated or removed before an event left. */
export const PRIVACY_REASONS: ReasonTable = {
  'privacy.dev_salt': () =>
    'tagrelay runs outside development with the built-in pseudonymization salt, which is public: warehouse pseudonyms could be reversed by anyone who hashes candidate values. Set privacy.pseudonymization.salt from a secret.',
  'privacy.user_data_hashed': () =>
    "The visitor's personal data (email, phone, names, address) was normalized to the vendor's rules and SHA-256 hashed before it left; " +
    'the vendor matches hashes and never receives the clear values. Hashed data is still personal data (GDPR Recital 26), so this only happens with consent.',
  'privacy.user_data_pseudonymized': () =>
    "The visitor's personal data was stored in the warehouse only as HMAC-SHA-256 pseudonyms made with the secret salt " +
    '(GDPR Art. 4(5) pseudonymization: the key is kept outside the store); the salt id is stored with the row.',
  'privacy.user_id_pii': () =>
    'The user id looked like an email address or phone number: that is personal data in clear, which may not be sent as a user id ' +
    '(Google forbids it in user_id), so it was removed. When the event carried no email or phone of its own, the value is used as one: ' +
    'hashed like it, and sent only where consent allows.',
  'privacy.ids_pseudonymized': () =>
    'The client id and user id (and, without consent, the session id) were replaced in the warehouse copy by HMAC-SHA-256 pseudonyms ' +
    'made with the secret salt, so visitors can be counted and erased without storing their ids in clear (GDPR Art. 4(5)).',
  'privacy.user_data_removed': () =>
    "This destination's consent purposes are not all granted, so all personal data and the user id were removed from its copy (GDPR Art. 6(1)(a)).",
  'privacy.client_id_removed': () =>
    "This destination's consent purposes are not all granted, so the client and session ids were removed from its copy: " +
    'without consent no identifier read from the device may be used (ePrivacy Art. 5(3)).',
  'privacy.vendor_ids_removed': () =>
    "An ad platform's browser and click ids (Meta's _fbp and _fbc, TikTok's _ttp) were removed: each is sent to its own platform only, and only with full consent.",
  'privacy.click_ids_removed': () =>
    'Ad click ids (gclid, fbclid, msclkid, …) were removed from the campaign data: each identifies one ad click by one person, ' +
    'and consent for this destination is missing.',
  'privacy.not_used_by_vendor': (f) =>
    `${field(f)} was not sent: this destination's matching does not use it (Google's user-provided data takes only email, phone, names and address; TikTok's only email, phone and external id), so it is withheld (data minimisation, GDPR Art. 5(1)(c)).`,
  'privacy.prehashed_not_accepted': (f) =>
    `${field(f)} arrived already hashed, but Google wants address parts in clear (normalized) and cannot use a hash of them; it was dropped.`,
  'privacy.invalid_email': invalid('an email address'),
  'privacy.invalid_phone': invalid('a valid phone number (with the visitor\'s country or an international prefix)'),
  'privacy.invalid_name': invalid('a name (no letters left after normalization)'),
  'privacy.invalid_gender': invalid('a gender (Meta accepts only f or m)'),
  'privacy.invalid_date_of_birth': invalid('a plausible date of birth'),
  'privacy.invalid_city': invalid('a city name'),
  'privacy.invalid_state': invalid('a state or region (a US value must name a US state)'),
  'privacy.invalid_postal_code': invalid('a postal code'),
  'privacy.invalid_country': invalid('a country (ISO 3166-1 code or English name)'),
  'privacy.invalid_external_id': invalid('an external id (it was empty)'),
  'privacy.ip_truncated': () =>
    "The visitor's IP address was truncated before it left (IPv4 to /24, IPv6 to /48), enough for coarse location but not to single out a household.",
  'privacy.ip_dropped': () => "The visitor's IP address was not sent: this destination's IP policy is drop.",
  'privacy.ip_invalid': () => 'The IP address was not a valid IPv4 or IPv6 address; it was dropped rather than passed on.',
  'privacy.geo_city_removed': () => 'The city was removed from the location data: without consent only country and region are kept.',
  'privacy.headers_removed': () =>
    'Request headers (cookies, forwarded IP addresses, client hints, …) were not passed on; only Accept-Language is kept.',
  'privacy.cookies_removed': () => "The visitor's cookies were removed from this destination's copy; they never leave tagrelay.",
  'privacy.user_agent_reduced': () =>
    'The User-Agent was reduced to browser, major version and operating system (e.g. "Chrome/120 (Windows)"): minor versions, device model and CPU are fingerprinting detail.',
  'privacy.user_agent_dropped': () =>
    'The User-Agent was not sent: it had to be reduced and no browser could be recognised in it, so nothing of it was kept.',
  'privacy.title_email': () => 'The page title contained an email address; it was replaced by [redacted].',
  'privacy.param_name_email': () =>
    'An event parameter whose name is an email address was removed (the name itself is personal data, so it is not repeated here).',
  'privacy.param_removed': (p) =>
    `The event parameter "${p}" was removed: its name is on the list of parameters that carry personal data or secrets (built-in list or url_redaction.params).`,
  'privacy.param_value_email': (p) => `The event parameter "${p}" held an email address; it was removed.`,
  'privacy.param_value_phone': (p) => `The event parameter "${p}" held a phone number; it was removed.`,
  'privacy.item_value_email': (k) => `The e-commerce item field "${k}" held an email address; it was removed.`,
  'privacy.campaign_value_removed': (k) => `The campaign field "${k}" held an email address or phone number; it was removed.`,
  'privacy.field_removed': (p) =>
    `The event parameter "${p}" was removed by this destination's field list (privacy.fields.allow / privacy.fields.deny).`,
  'privacy.url_param_removed': (p) =>
    `The URL parameter "${p}" was removed from the page URL or referrer: its name is on the redaction list (built-in or url_redaction.params).`,
  'privacy.url_param_masked': (p) =>
    `The value of the URL parameter "${p}" was replaced by [redacted] (url_redaction.mode: mask): its name is on the redaction list.`,
  'privacy.url_value_email': () => 'A URL parameter or fragment held an email address; it was removed from the page URL or referrer.',
  'privacy.url_value_phone': () => 'A URL parameter or fragment held a phone number; it was removed from the page URL or referrer.',
  'privacy.url_path_email': () => 'A segment of the URL path was an email address; it was replaced by [redacted].',
  'privacy.url_credentials_removed': () => 'The URL carried a user name or password (user:password@host); they were removed.',
  'privacy.url_invalid': () => 'A page URL, referrer or URL-valued parameter could not be parsed; it was dropped rather than passed on unchecked.',
};
