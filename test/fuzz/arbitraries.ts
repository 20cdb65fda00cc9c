/**
 * @module fast-check arbitraries for hostile requests: mutated events, garbage headers, gtag query strings.
 */
import fc from 'fast-check';

/** One request to the in-process app. */
export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** A string that may hold anything UTF-16 can (lone surrogates, NUL, RTL marks, emoji). */
const anyText = (maxLength = 64) => fc.string({ unit: 'binary', maxLength });

/** Strings an attacker reaches for first. */
export const nastyString = fc.oneof(
  anyText(),
  fc.constantFrom(
    '', ' ', '\r\n', '\r\nSet-Cookie: pwned=1', 'a\r\nx-injected: 1', '\u0000', '\uD800', '\uDFFF', '\u202E', '\uFEFF',
    '%00', '%0d%0aSet-Cookie:%20x=1', '../../etc/passwd', '<script>alert(1)</script>', "' OR 1=1 --", '${jndi:ldap://x}',
    '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'NaN', 'Infinity', '-0', '1e309', '0x10',
    'undefined', 'null', 'true', '[]', '{}', '😀'.repeat(50), 'ǅ', 'ß', 'İ', '\u0130\u0131',
  ),
);

/** A long string, up to `max` characters (kept below the body limit by the callers). */
export const hugeString = (max: number) => fc.integer({ min: 1_000, max }).chain((n) => fc.constantFrom('a', 'é', '😀', '\u0000', '%', '~').map((c) => c.repeat(Math.ceil(n / c.length))));

/** JSON values of every kind, including nested ones. */
const jsonish = fc.jsonValue({ maxDepth: 4 });

/** A weird value for any field: wrong types, special numbers, big strings, nested junk. */
export const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(Number.MAX_SAFE_INTEGER + 2, -1, 0, 1e308, 5e-324),
  fc.array(nastyString, { maxLength: 5 }),
  fc.dictionary(nastyString, nastyString, { maxKeys: 5 }),
  jsonish,
  hugeString(5_000),
);

/** A valid native event with realistic fields (the seed that mutations damage). */
export const validEvent = fc.record({
  name: fc.constantFrom('page_view', 'purchase', 'add_to_cart', 'sign_up', 'generate_lead', 'login', 'x'),
  event_id: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/),
  time: fc.constantFrom(undefined, Date.UTC(2026, 10, 23, 11, 59), '2026-11-23T11:58:00Z'),
  params: fc.record({
    currency: fc.constantFrom('EUR', 'USD', 'eur', ''),
    value: fc.double({ min: 0, max: 10_000, noNaN: true }),
    transaction_id: fc.string({ maxLength: 20 }),
    items: fc.array(fc.record({ item_id: fc.string({ maxLength: 10 }), price: fc.double({ min: 0, max: 1e4, noNaN: true }), quantity: fc.nat(50) }), { maxLength: 3 }),
  }),
  user: fc.record({ email: fc.emailAddress(), phone: fc.constantFrom('+33 6 12 34 56 78', '0612345678', '+1 (555) 010-9999'), user_id: fc.string({ maxLength: 20 }) }, { requiredKeys: [] }),
  page: fc.record({ url: fc.webUrl({ withQueryParameters: true }), referrer: fc.webUrl(), title: fc.string({ maxLength: 40 }) }, { requiredKeys: [] }),
  client: fc.record({ client_id: fc.constantFrom('123456789.1700000000', 'GA1.1.1.2', 'x'), session_id: fc.constantFrom('1700000000', 'abc') }, { requiredKeys: [] }),
  consent: fc.record(
    {
      analytics_storage: fc.constantFrom('granted', 'denied', true, false),
      ad_storage: fc.constantFrom('granted', 'denied'),
      ad_user_data: fc.constantFrom('granted', 'denied'),
      gcs: fc.stringMatching(/^G1[0-1-]{2}$/),
      gcd: fc.stringMatching(/^1[0-9a-z]{1,12}$/),
      tcf: anyText(80),
      gpp: anyText(80),
      gpp_sid: anyText(10),
      us_privacy: fc.stringMatching(/^[0-9][YNyn-]{3}$/),
      gpc: fc.constantFrom('1', '0', 'true'),
    },
    { requiredKeys: [] },
  ),
});

type Json = unknown;

/** Keys used to poison objects. */
const pollutionKey = fc.constantFrom('__proto__', 'constructor', 'prototype', '__defineGetter__', 'toString', 'valueOf', 'hasOwnProperty');

/** One structural edit of a JSON value. */
const jsonEdit = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), pick: fc.nat(), value: weirdValue }),
  fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('pollute' as const), pick: fc.nat(), key: pollutionKey, value: weirdValue }),
  fc.record({ kind: fc.constant('nest' as const), pick: fc.nat(), depth: fc.integer({ min: 10, max: 500 }) }),
  fc.record({ kind: fc.constant('wrap' as const), pick: fc.nat() }),
);
type JsonEdit = typeof jsonEdit extends fc.Arbitrary<infer T> ? T : never;

/** Every (container, key) slot of a JSON tree, in document order. */
function slots(root: Json): { parent: Record<string, Json> | Json[]; key: string | number }[] {
  const out: { parent: Record<string, Json> | Json[]; key: string | number }[] = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach((x, i) => (out.push({ parent: v, key: i }), walk(x)));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) out.push({ parent: v as Record<string, Json>, key: k }), walk((v as Record<string, Json>)[k]);
  };
  walk(root);
  return out;
}

function nested(depth: number): Json {
  let v: Json = 'deep';
  for (let i = 0; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
}

/** Apply edits to a deep copy; `__proto__` keys are written as own properties (as JSON.parse does). */
export function editJson(value: Json, edits: JsonEdit[]): Json {
  const root = { root: structuredClone(value) as Json };
  for (const e of edits) {
    const all = slots(root);
    if (all.length === 0) break;
    const slot = all[e.pick % all.length]!;
    const parent = slot.parent as Record<string | number, Json>;
    if (e.kind === 'set') parent[slot.key] = e.value;
    else if (e.kind === 'delete') delete parent[slot.key];
    else if (e.kind === 'nest') parent[slot.key] = nested(e.depth);
    else if (e.kind === 'wrap') parent[slot.key] = [parent[slot.key]];
    else {
      const target = parent[slot.key];
      const obj = target && typeof target === 'object' && !Array.isArray(target) ? (target as Record<string, Json>) : {};
      Object.defineProperty(obj, e.key, { value: e.value, enumerable: true, writable: true, configurable: true });
      parent[slot.key] = obj;
    }
  }
  return root.root;
}

/** Text edits of serialized JSON: what JSON.stringify cannot produce (NaN, trailing commas, truncation). */
const textEdit = fc.oneof(
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(nastyString, fc.constantFrom('NaN', 'Infinity', '-Infinity', ',', '}', ']', '{', '"', '\\', '\\u0000', '\\ud800', '1e99999', '-0', '0x1F', "'", '/*', '//')) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('replace-number' as const), with: fc.constantFrom('NaN', 'Infinity', '-Infinity', '1e400', '-1e400', '00', '1.', '.5', '+1') }),
);
type TextEdit = typeof textEdit extends fc.Arbitrary<infer T> ? T : never;

/** Apply text edits to a JSON document. */
export function editText(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of edits) {
    const at = out.length === 0 ? 0 : ('at' in e ? e.at : 0) % (out.length + 1);
    if (e.kind === 'insert') out = out.slice(0, at) + e.text + out.slice(at);
    else if (e.kind === 'truncate') out = out.slice(0, at);
    else out = out.replace(/-?\d+(\.\d+)?/, e.with);
  }
  return out;
}

/** A JSON document at most ~`max` bytes nested `depth` levels deep, as raw text (never built as an object). */
const deepText = fc.integer({ min: 100, max: 60_000 }).chain((depth) =>
  fc.constantFrom('[', '{"a":').map((open) => {
    const close = open === '[' ? ']' : '}';
    return open.repeat(depth) + '1' + close.repeat(depth);
  }),
);

/** Bodies for the JSON endpoints, seeded from `seed` values. */
export function jsonBody(seed: fc.Arbitrary<Json>, maxHuge: number): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.tuple(seed, fc.array(jsonEdit, { minLength: 1, maxLength: 5 })).map(([v, e]) => JSON.stringify(editJson(v, e))) },
    { weight: 2, arbitrary: fc.tuple(seed, fc.array(textEdit, { minLength: 1, maxLength: 4 })).map(([v, e]) => editText(JSON.stringify(v), e)) },
    { weight: 1, arbitrary: seed.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: jsonish.map((v) => JSON.stringify(v)) },
    { weight: 1, arbitrary: anyText(200) },
    { weight: 1, arbitrary: deepText },
    { weight: 1, arbitrary: fc.tuple(seed, hugeString(maxHuge)).map(([v, s]) => JSON.stringify({ ...(v as object), huge: s, params: { big: s } })) },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 600 }).chain((n) => seed.map((v) => JSON.stringify({ events: Array.from({ length: n }, () => v) }))) },
    { weight: 1, arbitrary: fc.constant(undefined) },
  );
}

/** Header values browsers, proxies and attackers send. */
const headerValue = fc.oneof(
  nastyString,
  fc.constantFrom('application/json', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16'),
);

/** Cookie headers: garbage, huge, duplicated, quoted, identity cookies with hostile values. */
const cookieHeader = fc.oneof(
  anyText(300),
  fc.array(
    fc.tuple(fc.constantFrom('_ga', '_tr_id', '_tr_s', '_fbp', '_fbc', 'tr_consent', '__proto__', 'constructor', '', ' ', '=', 'a b'), fc.oneof(nastyString, fc.constantFrom('GA1.1.123.456', 'GA1.2.1.2', 'fb.1.1700000000000.42', '"quoted"', 'v1.x.y', 'a=b=c'))),
    { maxLength: 12 },
  ).map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('; ')),
  fc.integer({ min: 100, max: 6_000 }).map((n) => `_ga=${'9'.repeat(n)}; `.repeat(3)),
);

/** Host headers: real, forged, URL-like and malformed (the cookie Domain is derived from it). */
const hostHeader = fc.oneof(
  fc.constantFrom('t.example.com', 'evil.com', 'a.example.com:80@evil', '[::1]:8080', 'localhost', 'github.io', 'co.uk', '127.0.0.1:8080', 'exa_mple.com', 'user@evil.com', 't.example.com.', 'xn--80ak6aa92e.com'),
  fc.domain(),
  fc.tuple(fc.domain(), fc.constantFrom(':80', ':abc', '.', '..', '@evil.com', '/..', '#x', '?a=b', '\\x', ':80@t.example.com', '_x.com')).map(([d, tail]) => d + tail),
  fc.tuple(fc.stringMatching(/^[a-z0-9_.@:\-]{1,30}$/), fc.constantFrom('.com', '.co.uk', '.github.io', '')).map(([a, b]) => a + b),
  nastyString,
);

/** Headers that feed consent, geo, device and identity. */
export const hostileHeaders: fc.Arbitrary<Record<string, string>> = fc.record(
  {
    'content-type': headerValue,
    cookie: cookieHeader,
    'sec-gpc': fc.oneof(fc.constantFrom('1', '0', ' 1', 'true'), nastyString),
    'cf-ipcountry': fc.oneof(fc.constantFrom('FR', 'US', 'XX', 'T1', 'fr', 'ZZZ', ''), nastyString),
    'x-vercel-ip-country-region': nastyString,
    'cf-region-code': nastyString,
    'user-agent': fc.oneof(anyText(300), fc.constantFrom('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', 'Googlebot/2.1', 'curl/8.0')),
    'sec-ch-ua': fc.oneof(anyText(200), fc.constantFrom('"Chromium";v="131", "Not_A Brand";v="24"', '"";v=""', ';;;')),
    'sec-ch-ua-full-version-list': anyText(200),
    'sec-ch-ua-platform': nastyString,
    'sec-ch-ua-mobile': fc.constantFrom('?0', '?1', '?2', ''),
    'x-forwarded-for': fc.oneof(fc.constantFrom('1.2.3.4', '::1', '1.2.3.4, 5.6.7.8', '999.1.1.1'), nastyString),
    host: hostHeader,
    origin: fc.constantFrom('https://www.example.com', 'null', 'https://www.example.com.evil.com'),
  },
  { requiredKeys: [] },
);

/** Keep only headers the Fetch API accepts (it refuses CR, LF, NUL and non-Latin-1 values itself). */
export function sendable(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    const value = v.trim();
    if (/^[\t\x20-\x7e\x80-\xff]*$/.test(value)) out[k] = value;
  }
  return out;
}

const gtagKey = fc.constantFrom(
  'v', 'tid', 'gtm', '_p', 'cid', 'sid', 'sct', 'seg', '_et', '_s', 'en', 'dl', 'dr', 'dt', 'ul', 'sr', 'cu', 'uid', 'gcs', 'gcd',
  'dma', 'dma_cps', 'npa', 'pscdl', 'tcfd', 'gdpr', 'gdpr_consent', 'us_privacy', 'gpp', 'gpp_sid', 'uaa', 'uab', 'uafvl', 'uam',
  'uamb', 'uap', 'uapv', 'uaw', '_fv', '_ss', '_nsi', 'ep.a', 'ep.__proto__', 'epn.value', 'epn.b', 'up.c', 'upn.d', 'ep.constructor',
  'pr1', 'pr2', 'pr200', 'pr201', 'ep.', 'epn.', '__proto__',
);
/** A `prN` product value: `~`-separated fields (`id`, `nm`, `pr`, `qt`, `k0`/`v0` …) with random content. */
const prValue = fc
  .array(fc.tuple(fc.constantFrom('id', 'nm', 'pr', 'qt', 'br', 'ca', 'ca5', 'va', 'k0', 'v0', 'k1', 'v1', 'k99', 'v99', 'lp', 'ds', 'cp', 'ps', '', 'zz'), nastyString), { maxLength: 10 })
  .map((fields) => fields.map(([k, v]) => `${k}${v.replace(/~/g, '')}`).join('~'));
const gtagValue = fc.oneof(nastyString, prValue, fc.constantFrom('2', 'G-ABC123', '123.456', 'page_view', 'purchase', 'G111', 'G1--', '13l3l3l3l1', 'NaN', '-1', '1e999'));

/** A gtag query string: known keys with random values, plus random keys. */
export const gtagQuery = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: gtagKey }, { weight: 1, arbitrary: nastyString }), gtagValue), { maxLength: 25 })
  .map((pairs) => new URLSearchParams([['v', '2'], ['en', 'page_view'], ...pairs]).toString());

/** A gtag POST body: newline-separated hit lines. */
export const gtagBody = fc.oneof(fc.array(gtagQuery, { maxLength: 20 }).map((lines) => lines.join('\n')), anyText(500), fc.constant(undefined));
