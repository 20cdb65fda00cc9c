/**
 * @module Privacy-stage reason codes (`privacy.*`) in words a privacy officer reads.
 */

/** Describes a code; `arg` is what followed `:` in it, already made safe to show. */
export type DescribeReason = (arg: string) => string;

const field = (arg: string) => (arg ? ` (${arg})` : '');

/** `privacy.*` codes (minimization, hashing, IP, URLs) → words. */
export const PRIVACY_REASONS: Readonly<Record<string, DescribeReason>> = {
  'privacy.user_data_hashed': () => "Personal data (email, phone, name, address) was normalized and SHA-256 hashed as this vendor requires; the clear values were not sent.",
  'privacy.user_data_pseudonymized': () => 'Personal data was replaced by keyed pseudonyms (HMAC with the configured salt) before storage.',
  'privacy.user_data_removed': () => 'All personal data (email, phone, name, address, user id) was removed: consent for it is missing.',
  'privacy.ids_pseudonymized': () => 'The client and user ids were replaced by keyed pseudonyms (HMAC with the configured salt).',
  'privacy.client_id_removed': () => 'The client and session ids were removed: consent to identify the browser is missing.',
  'privacy.vendor_ids_removed': () => "Meta's browser and click ids (_fbp, _fbc) were removed: they are only for Meta.",
  'privacy.click_ids_removed': () => 'Ad click ids (gclid, fbclid, …) were removed: they identify one click and so the visitor.',
  'privacy.ip_truncated': () => 'The IP address was truncated (IPv4 to /24, IPv6 to /48), so it no longer identifies one device.',
  'privacy.ip_dropped': () => 'The IP address was removed, as configured for this destination.',
  'privacy.ip_invalid': () => 'The IP address could not be read and was removed.',
  'privacy.geo_city_removed': () => 'The city was removed from the location: too precise without consent.',
  'privacy.headers_removed': () => 'Request headers (cookies, forwarded addresses, client hints) were removed; at most Accept-Language is kept.',
  'privacy.cookies_removed': () => "The request's cookies were removed; destinations never receive them.",
  'privacy.user_agent_reduced': () => 'The User-Agent was reduced to browser, major version and operating system.',
  'privacy.user_agent_dropped': () => 'The User-Agent was removed: it could not be reduced to browser and operating system.',
  'privacy.title_email': () => 'An email address in the page title was replaced by [redacted].',
  'privacy.url_param_removed': (p) => `The URL parameter "${p}" was removed from page URLs: it can carry personal data.`,
  'privacy.url_param_masked': (p) => `The value of the URL parameter "${p}" was replaced by [redacted]: it can carry personal data.`,
  'privacy.url_value_email': () => 'An email address in a URL was removed.',
  'privacy.url_value_phone': () => 'A phone number in a URL was removed.',
  'privacy.url_path_email': () => 'An email address in a URL path was replaced by [redacted].',
  'privacy.url_credentials_removed': () => 'A user name or password in a URL was removed.',
  'privacy.url_invalid': () => 'A URL could not be parsed and was removed.',
  'privacy.param_name_email': () => 'An event parameter named with an email address was removed.',
  'privacy.param_removed': (p) => `The event parameter "${p}" was removed: its name says it holds personal data.`,
  'privacy.param_value_email': (p) => `The event parameter "${p}" was removed: its value looks like an email address.`,
  'privacy.param_value_phone': (p) => `The event parameter "${p}" was removed: its value looks like a phone number.`,
  'privacy.item_value_email': (p) => `The item field "${p}" was removed: its value looks like an email address.`,
  'privacy.campaign_value_removed': (p) => `The campaign field "${p}" was removed: its value looks like an email address or phone number.`,
  'privacy.field_removed': (p) => `The event parameter "${p}" was removed by this destination's field allow/deny list.`,
  'privacy.not_used_by_vendor': (f) => `A user field${field(f)} was not sent: this vendor does not use it.`,
  'privacy.prehashed_not_accepted': (f) => `A user field${field(f)} arrived already hashed, but this vendor needs it in clear (normalized); it was not sent.`,
  'privacy.invalid_email': (f) => `The email address${field(f)} is not valid and was not sent.`,
  'privacy.invalid_phone': (f) => `The phone number${field(f)} could not be read as an international number and was not sent.`,
  'privacy.invalid_name': (f) => `A name${field(f)} was empty after normalization and was not sent.`,
  'privacy.invalid_gender': (f) => `The gender${field(f)} is not one of the values vendors accept and was not sent.`,
  'privacy.invalid_date_of_birth': (f) => `The date of birth${field(f)} is not a valid past date and was not sent.`,
  'privacy.invalid_city': (f) => `The city${field(f)} was empty after normalization and was not sent.`,
  'privacy.invalid_state': (f) => `The region or state${field(f)} could not be normalized and was not sent.`,
  'privacy.invalid_postal_code': (f) => `The postal code${field(f)} could not be normalized and was not sent.`,
  'privacy.invalid_country': (f) => `The country${field(f)} is not an ISO 3166-1 code and was not sent.`,
  'privacy.invalid_external_id': (f) => `The external id${field(f)} was empty and was not sent.`,
};
