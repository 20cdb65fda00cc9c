/**
 * @module gtag item strings (`pr1=idSKU~nmTee~pr9.99~qt2~k0color~v0red`) → GA4 item objects.
 */
import { EVENT_NAME_PATTERN, type Item } from '../event.js';
import type { ErrorCode } from '../errors.js';
import type { Config } from '../config/schema.js';

/** An event-level problem inside the gtag adapter; caught per line and turned into a `Rejection`. */
export class InvalidHit {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly field: string,
  ) {}
}

/** `pr1` … `pr200`: the item parameters of a hit (GA4 accepts at most 200 items per event). */
export const ITEM_PARAM = /^pr([1-9][0-9]{0,2})$/;

/** Two-letter item prefixes → GA4 item fields (string valued). */
const STRING_FIELDS: Record<string, string> = {
  id: 'item_id',
  nm: 'item_name',
  br: 'item_brand',
  ca: 'item_category',
  c2: 'item_category2',
  c3: 'item_category3',
  c4: 'item_category4',
  c5: 'item_category5',
  va: 'item_variant',
  cp: 'coupon',
  af: 'affiliation',
  ln: 'item_list_name',
  li: 'item_list_id',
  lo: 'location_id',
  pi: 'promotion_id',
  pn: 'promotion_name',
  cn: 'creative_name',
  cs: 'creative_slot',
};

/** Two-letter item prefixes → GA4 item fields that GA4 types as numbers. */
const NUMBER_FIELDS: Record<string, string> = { pr: 'price', qt: 'quantity', ds: 'discount', lp: 'index' };

const CUSTOM = /^([kv])([0-9]+)/;
const NUMBER = /^-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;

/** Set a caller-named key as an own data property, so names like `__proto__` stay plain data. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A finite decimal number, or {@link InvalidHit}. `Number('')` is 0 and `Number('0x1f')` is 31: both refused. */
export function parseNumber(raw: string, field: string): number {
  const n = NUMBER.test(raw) ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new InvalidHit('ERR_INVALID_TYPE', `${field} must be a number`, field);
  return n;
}

/** Refuse a string longer than `max`, naming the field but never echoing the value. */
export function limited(raw: string, field: string, max: number): string {
  if (raw.length > max) throw new InvalidHit('ERR_VALUE_TOO_LONG', `${field} exceeds ${max} characters`, field);
  return raw;
}

/**
 * Parse one item string. Segments are `~`-separated, each a two-letter prefix and a value (gtag
 * encodes nothing inside, so a literal `~` in a value cannot be represented). Custom parameters come
 * as `kN<name>` / `vN<value>` pairs; a `vN` whose digits run into its value is matched against the
 * `kN` indexes present (names start with a letter, values may start with a digit). Unknown prefixes,
 * unpaired `k`/`v` segments and empty segments are ignored: gtag adds internal fields over time.
 */
export function parseItem(raw: string, field: string, limits: Config['limits']): Item {
  const segments = raw.split('~');
  if (segments.length > limits.max_params * 2) {
    throw new InvalidHit('ERR_TOO_MANY_PARAMS', `${field} has too many fields`, field);
  }
  const max = limits.max_string_length;
  const item: Item = {};
  const keys = new Map<string, string>();
  const values: string[] = [];
  for (const seg of segments) {
    if (seg.length < 2) continue;
    const custom = CUSTOM.exec(seg);
    if (custom) {
      if (custom[1] === 'k') keys.set(custom[2]!, seg.slice(custom[0].length));
      else values.push(seg.slice(1));
      continue;
    }
    const prefix = seg.slice(0, 2);
    const value = seg.slice(2);
    const name = STRING_FIELDS[prefix];
    if (name !== undefined) item[name] = limited(value, `${field}.${prefix}`, max);
    else {
      const numeric = NUMBER_FIELDS[prefix];
      if (numeric !== undefined) item[numeric] = parseNumber(value, `${field}.${prefix}`);
    }
  }
  for (const rest of values) {
    const digits = /^[0-9]+/.exec(rest)![0];
    for (let n = digits.length; n > 0; n--) {
      const key = keys.get(digits.slice(0, n));
      if (key === undefined) continue;
      if (!EVENT_NAME_PATTERN.test(key)) {
        throw new InvalidHit('ERR_INVALID_NAME', `${field}.k${digits.slice(0, n)} is not a valid parameter name`, `${field}.k${digits.slice(0, n)}`);
      }
      if (!Object.hasOwn(item, key)) setOwn(item, key, limited(rest.slice(n), `${field}.v${digits.slice(0, n)}`, max));
      break;
    }
  }
  return item;
}
