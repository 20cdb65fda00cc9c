/**
 * @module Per-vendor normalization of personal data before hashing (Meta CAPI and Google user-provided data).
 *
 * Meta: https://developers.facebook.com/docs/marketing-api/conversions-api/parameters/customer-information-parameters
 * Google (GA4 MP, same rules as Google Ads enhanced conversions):
 * https://developers.google.com/analytics/devguides/collection/ga4/uid-data
 */
import type { CountryCode } from 'libphonenumber-js';
import type { HashedUser } from '../event.js';
import { normalizeDob } from './date-of-birth.js';
import { countryCode, usStateCode } from './geo-names.js';

/** Whose normalization rules apply. */
export type Flavor = 'meta' | 'google';

/** A normalized value, or why the input was dropped (`privacy.invalid_*`). */
export type Normalized = { ok: true; value: string } | { ok: false; reason: string };

/** Keys of {@link HashedUser}: Meta's parameter names. */
export type HashedField = keyof HashedUser;

const ok = (value: string): Normalized => ({ ok: true, value });
const bad = (reason: string): Normalized => ({ ok: false, reason });

/** A lower- or upper-case 64-hex string: already a SHA-256 digest. */
export function isSha256Hex(value: string): boolean {
  return /^[0-9a-fA-F]{64}$/.test(value.trim());
}

/**
 * Email: trim and lower-case; exactly one `@` with text on both sides. Google additionally removes
 * every `.` before the `@` of gmail.com / googlemail.com addresses; Meta does not.
 */
export function normalizeEmail(raw: string, flavor: Flavor): Normalized {
  const s = raw.trim().toLowerCase().replace(/^mailto:/, '');
  const m = /^([^\s@]+)@([^\s@]+)$/.exec(s);
  if (!m) return bad('privacy.invalid_email');
  const [, local, domain] = m as unknown as [string, string, string];
  if (flavor === 'google' && (domain === 'gmail.com' || domain === 'googlemail.com')) {
    return ok(`${local.replace(/\./g, '')}@${domain}`);
  }
  return ok(s);
}

/**
 * libphonenumber-js with its metadata (~90 modules): imported on the first phone number, not at start,
 * so a server whose traffic carries no phone numbers never pays for it.
 */
let phoneNumbers: Promise<typeof import('./phone-numbers.js')> | undefined;

/**
 * Phone: parsed with libphonenumber in the visitor's country (or with its own `+`/`00` prefix) and
 * checked for validity. Meta wants the E.164 digits without `+` (`16505551212`); Google wants E.164
 * with `+` (`+16505551212`). Digits without a country and without a prefix are tried as a full
 * international number (the form Meta itself documents). Async only because the library is loaded
 * on first use.
 */
export async function normalizePhone(raw: string, flavor: Flavor, country?: string): Promise<Normalized> {
  const e164 = await phoneE164(raw, country);
  if (e164 === undefined) return bad('privacy.invalid_phone');
  return ok(flavor === 'google' ? e164 : e164.slice(1));
}

/**
 * A phone number in E.164 with its `+` (`+16505551212`), or `undefined` when it is not a valid
 * number: the one parse both phone rules format from (see {@link normalizePhone}).
 */
export async function phoneE164(raw: string, country?: string): Promise<string | undefined> {
  const s = raw.trim().replace(/^00/, '+');
  if (!/\d/.test(s)) return undefined;
  const tries: { text: string; country?: CountryCode }[] = [];
  if (country && !s.startsWith('+')) tries.push({ text: s, country: country.toUpperCase() as CountryCode });
  tries.push({ text: s.startsWith('+') ? s : `+${s.replace(/\D/g, '')}` });
  const { parsePhoneNumberFromString } = await (phoneNumbers ??= import('./phone-numbers.js'));
  for (const t of tries) {
    const parsed = parsePhoneNumberFromString(t.text, t.country);
    if (parsed?.isValid()) return parsed.number;
  }
  return undefined;
}

/** Letters and combining marks only (any script), NFC so `é` typed either way hashes alike. */
function lettersOnly(s: string): string {
  return s.normalize('NFC').toLowerCase().replace(/[^\p{L}\p{M}]/gu, '');
}

/** Google: "remove digits and symbol characters, lowercase, remove leading and trailing spaces". */
function googleText(s: string): string {
  return s
    .normalize('NFC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\s]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * First or last name. Meta: lower-case, no punctuation, UTF-8 letters kept (`Valéry` → `valéry`,
 * `정` unchanged); we also drop spaces and digits (`Mary-Ann` → `maryann`). Google: digits and
 * symbols removed, inner spaces kept.
 */
export function normalizeName(raw: string, flavor: Flavor): Normalized {
  const v = flavor === 'meta' ? lettersOnly(raw) : googleText(raw);
  return v ? ok(v) : bad('privacy.invalid_name');
}

const FEMALE = new Set(['f', 'female', 'w', 'woman', 'femme', 'feminin', 'féminin', 'frau', 'weiblich', 'mujer', 'femenino', 'donna']);
const MALE = new Set(['m', 'male', 'man', 'homme', 'masculin', 'mann', 'männlich', 'hombre', 'masculino', 'uomo']);

/** Gender as Meta's initial `f` / `m` (accepts `Female`, `F`, German `w`, …); anything else is dropped. */
export function normalizeGender(raw: string): Normalized {
  const s = raw.trim().toLowerCase().replace(/[^\p{L}]/gu, '');
  if (FEMALE.has(s)) return ok('f');
  if (MALE.has(s)) return ok('m');
  return bad('privacy.invalid_gender');
}

/** Date of birth as `YYYYMMDD` (see {@link normalizeDob} for the accepted formats). */
export function normalizeDateOfBirth(raw: string, now?: number): Normalized {
  const v = normalizeDob(raw, now);
  return v ? ok(v) : bad('privacy.invalid_date_of_birth');
}

/** City. Meta: lower-case letters only, no spaces (`New York` → `newyork`). Google: letters and spaces. */
export function normalizeCity(raw: string, flavor: Flavor): Normalized {
  const v = flavor === 'meta' ? lettersOnly(raw) : googleText(raw);
  return v ? ok(v) : bad('privacy.invalid_city');
}

/**
 * State or region. In the US (or when the country is unknown and the text names a US state) the
 * lower-case two-letter code (`California` → `ca`); a US value that is no state is dropped.
 * Elsewhere: Meta letters only, Google letters and spaces.
 */
export function normalizeState(raw: string, flavor: Flavor, country?: string): Normalized {
  const c = country?.toUpperCase();
  const code = !c || c === 'US' ? usStateCode(raw) : undefined;
  if (code) return ok(code);
  if (c === 'US') return bad('privacy.invalid_state');
  const v = flavor === 'meta' ? lettersOnly(raw) : googleText(raw);
  return v ? ok(v) : bad('privacy.invalid_state');
}

const US_ZIP = /^(\d{5})(?:-?\d{4})?$/;

/**
 * Postal code. Meta: lower-case, no spaces, dashes or dots; US ZIP+4 → the first 5 digits (also
 * when the country is unknown but the text has the ZIP/ZIP+4 shape). Google: `.` and `~` removed,
 * trimmed, and likewise a US ZIP+4 cut to 5 digits.
 */
export function normalizePostalCode(raw: string, flavor: Flavor, country?: string): Normalized {
  if (flavor === 'google') {
    const v = raw.replace(/[.~]/g, '').trim();
    // Not in Google's rules: a US ZIP+4 is cut to 5 digits, which is all matching needs (minimization).
    const zip = US_ZIP.exec(v);
    if (zip && (!country || country.toUpperCase() === 'US')) return ok(zip[1]!);
    return v ? ok(v) : bad('privacy.invalid_postal_code');
  }
  const compact = raw.trim().toLowerCase().replace(/[\s.]+/g, '');
  const us = US_ZIP.exec(compact);
  if (us && (!country || country.toUpperCase() === 'US')) return ok(us[1]!);
  if (country?.toUpperCase() === 'US') return bad('privacy.invalid_postal_code');
  const v = compact.replace(/-/g, '');
  return /^[\p{L}\p{N}]+$/u.test(v) ? ok(v) : bad('privacy.invalid_postal_code');
}

/** Country as ISO 3166-1 alpha-2 from a code or an English name. Meta lower-case (`us`), Google upper-case (`US`). */
export function normalizeCountry(raw: string, flavor: Flavor): Normalized {
  const code = countryCode(raw);
  if (!code) return bad('privacy.invalid_country');
  return ok(flavor === 'meta' ? code.toLowerCase() : code);
}

/** External id: trimmed only (Meta recommends hashing it; the caller does). */
export function normalizeExternalId(raw: string): Normalized {
  const v = raw.trim();
  return v ? ok(v) : bad('privacy.invalid_external_id');
}
