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

/** The 249 officially assigned ISO 3166-1 alpha-2 codes (Intl also knows withdrawn and pseudo codes). */
const ISO_CODES = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ ' +
    'CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR ' +
    'GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP ' +
    'KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT ' +
    'MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW ' +
    'SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ ' +
    'UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

let byName: Map<string, string> | undefined;

/** English country name → code, built once from Intl's region names (no hand-kept list of names). */
function nameIndex(): Map<string, string> {
  if (byName) return byName;
  byName = new Map(Object.entries(COUNTRY_ALIASES));
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
  for (const code of ISO_CODES) {
    const name = names.of(code);
    if (name) byName.set(name.toLowerCase(), code);
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
    return ISO_CODES.has(up) ? up : undefined;
  }
  return nameIndex().get(s.toLowerCase().replace(/\s+/g, ' '));
}
