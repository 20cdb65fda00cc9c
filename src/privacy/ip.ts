/**
 * @module IP address policy: keep, truncate (IPv4 /24, IPv6 /48) or drop, with a reason for every change.
 */

/** What a destination may receive of the visitor's IP address. */
export type IpPolicy = 'keep' | 'truncate' | 'drop';

/** The address after the policy (absent when dropped) and the reasons for what changed. */
export interface IpResult {
  ip: string | undefined;
  reasons: string[];
}

/** Four dotted decimal octets, no leading zeros (those read as octal in some parsers). */
function parseV4(s: string): number[] | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out: number[] = [];
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out.push(n);
  }
  return out;
}

/** Eight 16-bit groups, from any RFC 4291 text form (compressed, embedded IPv4). */
function parseV6(s: string): number[] | undefined {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return undefined;
  const toGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i++) {
      const p = pieces[i]!;
      if (i === pieces.length - 1 && p.includes('.')) {
        const v4 = parseV4(p);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
        out.push(parseInt(p, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const [head, tail] = s.split('::') as [string, string | undefined];
  const h = toGroups(head);
  if (!h) return undefined;
  if (tail === undefined) return h.length === 8 ? h : undefined;
  const t = toGroups(tail);
  if (!t || h.length + t.length > 7) return undefined;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** RFC 5952 text: lower-case, no leading zeros, the longest run of two or more zero groups as `::`. */
function formatV6(g: number[]): string {
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = g.map((n) => n.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** A parsed address: IPv4 octets, or eight IPv6 groups (an IPv4-mapped IPv6 address is IPv4). */
export type ParsedIp = { v: 4; octets: number[] } | { v: 6; groups: number[] };

/** Parse an address as it may arrive from headers: `[v6]` brackets and `%zone` suffixes are removed. */
export function parseIp(raw: string): ParsedIp | undefined {
  let s = raw.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const v4 = parseV4(s);
  if (v4) return { v: 4, octets: v4 };
  const v6 = parseV6(s);
  if (!v6) return undefined;
  // IPv4-mapped (::ffff:a.b.c.d): the real address is IPv4; treat and truncate it as such.
  if (v6.slice(0, 5).every((n) => n === 0) && v6[5] === 0xffff) {
    return { v: 4, octets: [v6[6]! >> 8, v6[6]! & 255, v6[7]! >> 8, v6[7]! & 255] };
  }
  return { v: 6, groups: v6 };
}

/**
 * Apply an IP policy. `truncate` zeroes the host part: IPv4 to /24 (`203.0.113.7` → `203.0.113.0`),
 * IPv6 to /48 (`2001:db8:1:2::5` → `2001:db8:1::`); an IPv4-mapped IPv6 address is truncated and
 * returned as plain IPv4. `keep` returns the address in canonical form (zone and brackets removed).
 * An unparseable address is dropped with `privacy.ip_invalid` whatever the policy.
 *
 * @example
 * applyIpPolicy('2001:db8:1:2::5', 'truncate') // { ip: '2001:db8:1::', reasons: ['privacy.ip_truncated'] }
 */
export function applyIpPolicy(ip: string | undefined, policy: IpPolicy): IpResult {
  if (ip === undefined || ip.trim() === '') return { ip: undefined, reasons: [] };
  if (policy === 'drop') return { ip: undefined, reasons: ['privacy.ip_dropped'] };
  const parsed = parseIp(ip);
  if (!parsed) return { ip: undefined, reasons: ['privacy.ip_invalid'] };
  if (policy === 'keep') {
    return { ip: parsed.v === 4 ? parsed.octets.join('.') : formatV6(parsed.groups), reasons: [] };
  }
  if (parsed.v === 4) return { ip: `${parsed.octets.slice(0, 3).join('.')}.0`, reasons: ['privacy.ip_truncated'] };
  return { ip: formatV6([...parsed.groups.slice(0, 3), 0, 0, 0, 0, 0]), reasons: ['privacy.ip_truncated'] };
}
