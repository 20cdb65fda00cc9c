/**
 * @module The client's address behind reverse proxies: `X-Forwarded-For` read from its right end, as far
 * as trusted proxies wrote it (each proxy appends the address it saw; everything left of that is the
 * client's to forge).
 */
import { parseIp, type ParsedIp } from '../privacy/ip.js';

/**
 * `server.trust_proxy`: `false` ignores `X-Forwarded-For`; `true` or a number N trusts that many proxy
 * hops in front of tagrelay (`true` = 1); a list of CIDRs trusts the proxies at those addresses.
 */
export type TrustProxy = boolean | number | readonly string[];

/** A parsed CIDR: the network's bytes (4 or 16) and its prefix length in bits. */
export interface Cidr {
  bytes: number[];
  bits: number;
}

const bytesOf = (p: ParsedIp): number[] => (p.v === 4 ? p.octets : p.groups.flatMap((g) => [g >> 8, g & 255]));

/**
 * An IPv4 or IPv6 network as `address/bits`, or one address (`/32`, `/128`); `undefined` when malformed.
 *
 * @example
 * parseCidr('10.0.0.0/8') // { bytes: [10, 0, 0, 0], bits: 8 }
 */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, bits, extra] = text.trim().split('/');
  if (!addr || extra !== undefined || /[%[\]]/.test(addr) || (bits !== undefined && !/^[0-9]{1,3}$/.test(bits))) return undefined;
  const parsed = parseIp(addr);
  if (!parsed) return undefined;
  const bytes = bytesOf(parsed);
  // An IPv4-mapped IPv6 network (::ffff:10.0.0.0/104) parses as IPv4: its prefix counts the 96 mapped bits.
  const mapped = parsed.v === 4 && addr.includes(':');
  const n = bits === undefined ? bytes.length * 8 : Number(bits) - (mapped ? 96 : 0);
  return n >= 0 && n <= bytes.length * 8 ? { bytes, bits: n } : undefined;
}

function contains(cidr: Cidr, bytes: number[]): boolean {
  if (cidr.bytes.length !== bytes.length) return false;
  for (let i = 0, left = cidr.bits; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((cidr.bytes[i]! & mask) !== (bytes[i]! & mask)) return false;
  }
  return true;
}

/** An address as a proxy writes it: bare, `a.b.c.d:port` or `[v6]:port`; its text without the port. */
function address(raw: string): { text: string; bytes: number[] } | undefined {
  let text = raw.trim();
  const withPort = /^\[([^\]]+)\]:[0-9]{1,5}$/.exec(text) ?? /^([0-9.]+):[0-9]{1,5}$/.exec(text);
  if (withPort) text = withPort[1]!;
  else if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const parsed = parseIp(text);
  return parsed ? { text, bytes: bytesOf(parsed) } : undefined;
}

/** CIDR lists come from the config: parsed once per list. */
const parsedLists = new WeakMap<readonly string[], Cidr[]>();

function cidrsOf(list: readonly string[]): Cidr[] {
  let cidrs = parsedLists.get(list);
  if (!cidrs) {
    cidrs = list.map(parseCidr).filter((c): c is Cidr => c !== undefined);
    parsedLists.set(list, cidrs);
  }
  return cidrs;
}

/**
 * The client's address. `peer` is the socket's; `xff` the `X-Forwarded-For` header (entries separated
 * by commas, multiple headers already joined). With hops (`true` = 1, N): the entry N from the right,
 * i.e. the address the furthest trusted proxy saw (the leftmost when there are fewer entries). With CIDRs:
 * walk from the peer leftwards past addresses inside them; the first one outside is the client (the
 * peer itself when it is not a trusted proxy; the leftmost when all are trusted). An entry that is not
 * an address where the client's should be gives `undefined`: the client is unknown, never a guess.
 *
 * @example
 * clientIp('10.0.0.2', '6.6.6.6, 203.0.113.7', true)            // '203.0.113.7' (6.6.6.6 was forged)
 * clientIp('10.0.0.2', '6.6.6.6, 203.0.113.7', ['10.0.0.0/8'])  // '203.0.113.7'
 * clientIp('10.0.0.2', '6.6.6.6, 203.0.113.7', false)           // '10.0.0.2'
 */
export function clientIp(peer: string | undefined, xff: string | undefined, trust: TrustProxy): string | undefined {
  if (trust === false || xff === undefined || xff.trim() === '') return peer;
  const entries = xff.split(',');
  if (typeof trust === 'boolean' || typeof trust === 'number') {
    const hops = trust === true ? 1 : trust;
    if (hops < 1) return peer;
    return address(entries[Math.max(0, entries.length - hops)]!)?.text;
  }
  const cidrs = cidrsOf(trust);
  const trusted = (bytes: number[]) => cidrs.some((c) => contains(c, bytes));
  const from = peer === undefined ? undefined : address(peer);
  if (!from || !trusted(from.bytes)) return peer;
  for (let i = entries.length - 1; i >= 0; i--) {
    const hop = address(entries[i]!);
    if (!hop) return undefined;
    if (!trusted(hop.bytes) || i === 0) return hop.text;
  }
  return undefined;
}
