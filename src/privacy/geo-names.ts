/**
 * @module Place-name lookups for normalization: US state names → USPS codes, country names → ISO codes.
 */

/** USPS / ANSI two-letter codes of the US states, DC and the territories, by lower-case name. */
const US_STATES: Record<string, string> = {
  alabama: 'al', alaska: 'ak', arizona: 'az', arkansas: 'ar', california: 'ca', colorado: 'co',
  connecticut: 'ct', delaware: 'de', 'district of columbia': 'dc', florida: 'fl', georgia: 'ga',
  hawaii: 'hi', idaho: 'id', illinois: 'il', indiana: 'in', iowa: 'ia', kansas: 'ks', kentucky: 'ky',
  louisiana: 'la', maine: 'me', maryland: 'md', massachusetts: 'ma', michigan: 'mi', minnesota: 'mn',
  mississippi: 'ms', missouri: 'mo', montana: 'mt', nebraska: 'ne', nevada: 'nv', 'new hampshire': 'nh',
  'new jersey': 'nj', 'new mexico': 'nm', 'new york': 'ny', 'north carolina': 'nc', 'north dakota': 'nd',
  ohio: 'oh', oklahoma: 'ok', oregon: 'or', pennsylvania: 'pa', 'rhode island': 'ri',
  'south carolina': 'sc', 'south dakota': 'sd', tennessee: 'tn', texas: 'tx', utah: 'ut', vermont: 'vt',
  virginia: 'va', washington: 'wa', 'west virginia': 'wv', wisconsin: 'wi', wyoming: 'wy',
  'american samoa': 'as', guam: 'gu', 'northern mariana islands': 'mp', 'puerto rico': 'pr',
  'u.s. virgin islands': 'vi', 'us virgin islands': 'vi', 'virgin islands': 'vi',
};

const US_CODES = new Set(Object.values(US_STATES));

/** The lower-case USPS code for a US state name or code (`California`, `CA`, `ca`), or undefined. */
export function usStateCode(input: string): string | undefined {
  const s = input.trim().toLowerCase().replace(/\s+/g, ' ');
  if (US_CODES.has(s)) return s;
  return US_STATES[s] ?? US_STATES[s.replace(/\./g, '')];
}

/** Names people write that Intl's English region names do not cover. */
const COUNTRY_ALIASES: Record<string, string> = {
  usa: 'US', 'u.s.': 'US', 'u.s.a.': 'US', 'united states of america': 'US', america: 'US',
  uk: 'GB', 'u.k.': 'GB', 'great britain': 'GB', britain: 'GB', england: 'GB', scotland: 'GB', wales: 'GB',
  'northern ireland': 'GB', deutschland: 'DE', 'the netherlands': 'NL', holland: 'NL', españa: 'ES',
  'south korea': 'KR', 'korea, republic of': 'KR', russia: 'RU', 'czech republic': 'CZ', uae: 'AE',
};

let byName: Map<string, string> | undefined;
let display: Intl.DisplayNames | undefined;

function regionNames(): Intl.DisplayNames {
  display ??= new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  return display;
}

/** True when `code` (upper-case) is an ISO 3166-1 alpha-2 region Intl knows. */
function isRegion(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  try {
    return regionNames().of(code) !== undefined;
  } catch {
    return false;
  }
}

/** English region name → code, built once from Intl (no hand-kept list of 250 names). */
function nameIndex(): Map<string, string> {
  if (byName) return byName;
  byName = new Map(Object.entries(COUNTRY_ALIASES));
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      // Skip Intl's pseudo-regions (EU, UN, EZ, QO, XA, XB, ZZ): not countries.
      if (/^(EU|EZ|UN|QO|XA|XB|ZZ)$/.test(code) || !isRegion(code)) continue;
      byName.set(regionNames().of(code)!.toLowerCase(), code);
    }
  }
  return byName;
}

/** ISO 3166-1 alpha-2 code (upper-case) for a code or an English country name, or undefined. */
export function countryCode(input: string): string | undefined {
  const s = input.trim();
  if (s.length === 2) {
    const up = s.toUpperCase();
    // ISO reserves UK for GB; people still write it.
    if (up === 'UK') return 'GB';
    return isRegion(up) && !/^(EU|EZ|UN|QO|XA|XB|ZZ)$/.test(up) ? up : undefined;
  }
  return nameIndex().get(s.toLowerCase().replace(/\s+/g, ' '));
}
