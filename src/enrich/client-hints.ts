/**
 * @module User-Agent Client Hints: the `Sec-CH-UA*` headers, parsed as RFC 8941 structured fields.
 *
 * Spec: https://wicg.github.io/ua-client-hints/ — structured fields: https://www.rfc-editor.org/rfc/rfc8941
 */

/** The request headers read (lower-case), in cache-key order. */
export const CLIENT_HINT_HEADERS = [
  'sec-ch-ua',
  'sec-ch-ua-full-version-list',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-ch-ua-platform-version',
  'sec-ch-ua-model',
] as const;

/**
 * `Accept-CH` response header value asking Chromium browsers for the high-entropy hints on later
 * requests (the low-entropy `Sec-CH-UA`, `-Mobile` and `-Platform` come by default). Browsers
 * delegate hints to a cross-origin tagging subdomain only when the page's own response allows it,
 * e.g. `Permissions-Policy: ch-ua-model=(self "https://t.example.com")`.
 */
export const ACCEPT_CH = 'Sec-CH-UA-Full-Version-List, Sec-CH-UA-Platform-Version, Sec-CH-UA-Model';

/** A structured-field bare item value. */
export type BareItem = string | number | boolean;

/** One list member with its parameters. */
export interface ListMember {
  value: BareItem;
  params: Record<string, BareItem>;
}

/** One brand from `Sec-CH-UA` / `Sec-CH-UA-Full-Version-List`. */
export interface Brand {
  brand: string;
  version: string;
}

/** The hints a request carried, decoded. Absent headers leave fields undefined. */
export interface ClientHints {
  /** Brands without GREASE entries, in header order. */
  brands?: Brand[];
  /** Brands with full versions, without GREASE entries. */
  fullVersionList?: Brand[];
  mobile?: boolean;
  platform?: string;
  platformVersion?: string;
  model?: string;
}

class Cursor {
  i = 0;
  constructor(readonly s: string) {}
  peek(): string {
    return this.s.charAt(this.i);
  }
  skip(chars: string): void {
    while (this.i < this.s.length && chars.includes(this.s.charAt(this.i))) this.i++;
  }
  done(): boolean {
    return this.i >= this.s.length;
  }
}

const TOKEN_START = /[A-Za-z*]/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z:/]/;
const KEY_START = /[a-z*]/;
const KEY_CHAR = /[a-z0-9_\-.*]/;

function parseBareItem(c: Cursor): BareItem {
  const ch = c.peek();
  if (ch === '"') {
    c.i++;
    let out = '';
    while (!c.done()) {
      const x = c.s.charAt(c.i++);
      if (x === '\\') {
        const next = c.s.charAt(c.i++);
        if (next !== '"' && next !== '\\') throw new SyntaxError('bad escape');
        out += next;
      } else if (x === '"') {
        return out;
      } else if (x < ' ' || x > '~') {
        throw new SyntaxError('bad string char');
      } else {
        out += x;
      }
    }
    throw new SyntaxError('unterminated string');
  }
  if (ch === '?') {
    const b = c.s.charAt(c.i + 1);
    if (b !== '0' && b !== '1') throw new SyntaxError('bad boolean');
    c.i += 2;
    return b === '1';
  }
  if (ch === '-' || (ch >= '0' && ch <= '9')) {
    const m = /^-?\d{1,15}(?:\.\d{1,3})?/.exec(c.s.slice(c.i));
    if (!m) throw new SyntaxError('bad number');
    c.i += m[0].length;
    return Number(m[0]);
  }
  if (TOKEN_START.test(ch)) {
    const start = c.i;
    while (!c.done() && TOKEN_CHAR.test(c.peek())) c.i++;
    return c.s.slice(start, c.i);
  }
  throw new SyntaxError('unknown item');
}

function parseParams(c: Cursor): Record<string, BareItem> {
  const params: Record<string, BareItem> = {};
  while (c.peek() === ';') {
    c.i++;
    c.skip(' ');
    if (!KEY_START.test(c.peek())) throw new SyntaxError('bad key');
    const start = c.i;
    while (!c.done() && KEY_CHAR.test(c.peek())) c.i++;
    const key = c.s.slice(start, c.i);
    let value: BareItem = true;
    if (c.peek() === '=') {
      c.i++;
      value = parseBareItem(c);
    }
    params[key] = value;
  }
  return params;
}

/** Parse an RFC 8941 item (`"Windows"`, `?1`); `undefined` when malformed. */
export function parseStructuredItem(text: string): ListMember | undefined {
  try {
    const c = new Cursor(text.trim());
    const value = parseBareItem(c);
    const params = parseParams(c);
    return c.done() ? { value, params } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Parse an RFC 8941 list of items (inner lists are not used by UA-CH and fail the parse);
 * `[]` when malformed, as the RFC requires the whole field to be ignored.
 */
export function parseStructuredList(text: string): ListMember[] {
  const c = new Cursor(text.trim());
  const out: ListMember[] = [];
  try {
    while (!c.done()) {
      const value = parseBareItem(c);
      out.push({ value, params: parseParams(c) });
      c.skip(' \t');
      if (c.done()) break;
      if (c.peek() !== ',') throw new SyntaxError('expected comma');
      c.i++;
      c.skip(' \t');
      if (c.done()) throw new SyntaxError('trailing comma');
    }
    return out;
  } catch {
    return [];
  }
}

/**
 * GREASE brands ("Not A;Brand", "Not-A.Brand", "Not/A)Brand"…) are decoys browsers add so servers
 * do not hard-code the list; they carry no information.
 */
export function isGreaseBrand(brand: string): boolean {
  return /^[^a-z]*not[^a-z]*a[^a-z]*brand[^a-z]*$/i.test(brand);
}

function brandList(text: string | undefined): Brand[] | undefined {
  if (text === undefined) return undefined;
  const brands: Brand[] = [];
  for (const m of parseStructuredList(text)) {
    if (typeof m.value !== 'string' || isGreaseBrand(m.value)) continue;
    const v = m.params.v;
    brands.push({ brand: m.value, version: typeof v === 'string' ? v : '' });
  }
  return brands;
}

function stringItem(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const item = parseStructuredItem(text);
  return typeof item?.value === 'string' ? item.value : undefined;
}

/**
 * Decode the client hints from lower-cased request headers; `undefined` when the request carried none.
 *
 * @example
 * parseClientHints({ 'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-mobile': '?0' })
 * // { brands: [{ brand: 'Chromium', version: '124' }, { brand: 'Google Chrome', version: '124' }], mobile: false }
 */
export function parseClientHints(headers: Record<string, string | undefined>): ClientHints | undefined {
  if (!CLIENT_HINT_HEADERS.some((h) => headers[h] !== undefined)) return undefined;
  const hints: ClientHints = {};
  const brands = brandList(headers['sec-ch-ua']);
  if (brands?.length) hints.brands = brands;
  const full = brandList(headers['sec-ch-ua-full-version-list']);
  if (full?.length) hints.fullVersionList = full;
  const mobile = headers['sec-ch-ua-mobile'] === undefined ? undefined : parseStructuredItem(headers['sec-ch-ua-mobile'])?.value;
  if (typeof mobile === 'boolean') hints.mobile = mobile;
  const platform = stringItem(headers['sec-ch-ua-platform']);
  if (platform) hints.platform = platform;
  const platformVersion = stringItem(headers['sec-ch-ua-platform-version']);
  if (platformVersion) hints.platformVersion = platformVersion;
  const model = stringItem(headers['sec-ch-ua-model']);
  if (model) hints.model = model;
  return hints;
}
