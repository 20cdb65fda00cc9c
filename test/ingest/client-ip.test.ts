/**
 * The client's address behind proxies. X-Forwarded-For is appended to by every proxy, so only its
 * right end is trustworthy: everything left of what the trusted proxies wrote is the client's to forge.
 */
import { describe, expect, it } from 'vitest';
import { clientIp, parseCidr, type TrustProxy } from '../../src/ingest/client-ip.js';
import { configSchema } from '../../src/config/schema.js';
import { testApp } from '../helpers/runtime.js';

type Case = [name: string, peer: string | undefined, xff: string | undefined, trust: TrustProxy, expected: string | undefined];

describe('clientIp: trust_proxy false ignores X-Forwarded-For', () => {
  it.each<Case>([
    ['no header', '198.51.100.9', undefined, false, '198.51.100.9'],
    ['a spoofed header', '198.51.100.9', '1.2.3.4', false, '198.51.100.9'],
    ['no peer known', undefined, '1.2.3.4', false, undefined],
  ])('%s', (_n, peer, xff, trust, expected) => expect(clientIp(peer, xff, trust)).toBe(expected));
});

describe('clientIp: true or N trusted hops take the entry N from the right', () => {
  it.each<Case>([
    ['one proxy: the address it saw', '10.0.0.2', '203.0.113.7', true, '203.0.113.7'],
    ['one proxy, spoofed left entries are skipped', '10.0.0.2', '1.1.1.1, 6.6.6.6, 203.0.113.7', true, '203.0.113.7'],
    ['true is the same as 1', '10.0.0.2', '6.6.6.6, 203.0.113.7', 1, '203.0.113.7'],
    ['two hops (CDN + load balancer)', '10.0.0.2', '6.6.6.6, 203.0.113.7, 172.16.0.4', 2, '203.0.113.7'],
    ['three hops', '10.0.0.2', '6.6.6.6, 203.0.113.7, 172.16.0.4, 172.16.0.5', 3, '203.0.113.7'],
    ['more hops than entries: the leftmost, the furthest a trusted proxy saw', '10.0.0.2', '203.0.113.7', 3, '203.0.113.7'],
    ['more hops than entries, two entries', '10.0.0.2', '203.0.113.7, 172.16.0.4', 5, '203.0.113.7'],
    ['no header: the peer', '10.0.0.2', undefined, true, '10.0.0.2'],
    ['an empty header: the peer', '10.0.0.2', '  ', 2, '10.0.0.2'],
    ['IPv6 entries', '::1', '2001:db8::6, 2001:db8:1:2::5', true, '2001:db8:1:2::5'],
    ['a bracketed IPv6 with a port', '::1', '[2001:db8:1:2::5]:4711', true, '2001:db8:1:2::5'],
    ['an IPv4 with a port', '::1', '203.0.113.7:4711', true, '203.0.113.7'],
    ['spaces and tabs around entries', '10.0.0.2', ' 6.6.6.6 ,\t203.0.113.7 ', true, '203.0.113.7'],
    ['a malformed entry where the client should be: unknown', '10.0.0.2', '6.6.6.6, not-an-ip', true, undefined],
    ['an empty entry where the client should be: unknown', '10.0.0.2', '203.0.113.7,', true, undefined],
    ['a malformed entry left of the client is not read', '10.0.0.2', '<script>, 203.0.113.7', true, '203.0.113.7'],
    ['a hostname is not an address', '10.0.0.2', 'evil.example', true, undefined],
    ['an IPv4 with a leading-zero octet is not an address', '10.0.0.2', '010.0.0.1', true, undefined],
  ])('%s', (_n, peer, xff, trust, expected) => expect(clientIp(peer, xff, trust)).toBe(expected));
});

describe('clientIp: a CIDR list walks from the peer leftwards past trusted proxies', () => {
  const proxies = ['10.0.0.0/8', '172.16.0.0/12', '2001:db8:ffff::/48'];
  it.each<Case>([
    ['peer trusted, one entry', '10.0.0.2', '203.0.113.7', proxies, '203.0.113.7'],
    ['peer not trusted: the header is the client’s own, ignored', '198.51.100.9', '203.0.113.7', proxies, '198.51.100.9'],
    ['spoofed left entries stop at the first untrusted one', '10.0.0.2', '6.6.6.6, 203.0.113.7, 172.16.0.4', proxies, '203.0.113.7'],
    ['a spoofed trusted-looking entry left of the client is not reached', '10.0.0.2', '10.9.9.9, 203.0.113.7', proxies, '203.0.113.7'],
    ['every entry trusted: the leftmost', '10.0.0.2', '172.16.0.9, 10.1.1.1', proxies, '172.16.0.9'],
    ['no header: the peer', '10.0.0.2', undefined, proxies, '10.0.0.2'],
    ['IPv6 peer and proxies', '2001:db8:ffff:1::2', '2001:db8:1:2::5, 2001:db8:ffff::3', proxies, '2001:db8:1:2::5'],
    ['IPv6 peer outside the trusted prefix', '2001:db8:fffe::2', '2001:db8:1:2::5', proxies, '2001:db8:fffe::2'],
    ['an IPv4-mapped IPv6 peer matches an IPv4 CIDR', '::ffff:10.0.0.2', '203.0.113.7', proxies, '203.0.113.7'],
    ['a malformed entry met in the walk: unknown', '10.0.0.2', '203.0.113.7, garbage', proxies, undefined],
    ['a bare address is a /32', '192.0.2.10', '203.0.113.7', ['192.0.2.10'], '203.0.113.7'],
    ['a bare address does not cover its neighbour', '192.0.2.11', '203.0.113.7', ['192.0.2.10'], '192.0.2.11'],
    ['an odd prefix length (/27)', '192.0.2.31', '203.0.113.7', ['192.0.2.0/27'], '203.0.113.7'],
    ['an odd prefix length (/27), just outside', '192.0.2.32', '203.0.113.7', ['192.0.2.0/27'], '192.0.2.32'],
    ['an empty list trusts nobody', '10.0.0.2', '203.0.113.7', [], '10.0.0.2'],
    ['no peer known', undefined, '203.0.113.7', proxies, undefined],
  ])('%s', (_n, peer, xff, trust, expected) => expect(clientIp(peer, xff, trust)).toBe(expected));
});

describe('parseCidr and the config schema', () => {
  it.each(['10.0.0.0/8', '0.0.0.0/0', '192.0.2.1', '2001:db8::/32', '::/0', '::1', '::ffff:10.0.0.0/104'])('accepts %s', (cidr) => {
    expect(parseCidr(cidr)).toBeDefined();
    expect(configSchema.safeParse({ server: { trust_proxy: [cidr] } }).success).toBe(true);
  });
  it.each(['10.0.0.0/33', '2001:db8::/129', '10.0.0.0/', '10.0.0.0/8/8', 'ten.0.0.0/8', '10.0.0/8', '', '/8', '10.0.0.0/-1'])('refuses %j', (cidr) => {
    expect(parseCidr(cidr)).toBeUndefined();
    expect(configSchema.safeParse({ server: { trust_proxy: [cidr] } }).success).toBe(false);
  });
  it('takes false, true, a positive hop count; refuses 0, fractions and strings', () => {
    for (const ok of [false, true, 1, 3]) expect(configSchema.parse({ server: { trust_proxy: ok } }).server.trust_proxy).toBe(ok);
    for (const bad of [0, -1, 1.5, 'yes']) expect(configSchema.safeParse({ server: { trust_proxy: bad } }).success).toBe(false);
  });
});

describe('requestContext uses it: the stored IP is the one the trusted proxy saw, not a spoofed one', () => {
  /** POST one event from peer 10.0.0.2 with a spoofed left entry; the address the warehouse row holds. */
  const storedIp = async (trust: boolean | number | string[]): Promise<string | undefined> => {
    const { app, runtime } = testApp({ server: { trust_proxy: trust }, destinations: [{ id: 'lake', type: 'sqlite' }] }, { runtime: { remoteAddress: () => '10.0.0.2' } });
    try {
      const res = await app.request('/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '6.6.6.6, 203.0.113.7' },
        body: JSON.stringify({ name: 'page_view', event_id: 'ip-1', consent: { analytics_storage: 'granted', ad_storage: 'granted' } }),
      });
      expect(res.status).toBe(202);
      await app.services.outbox.flush();
      await app.services.worker.drain();
      const [row] = await runtime.db.all<{ data: string }>('SELECT data FROM events');
      return (JSON.parse(row!.data) as { ip?: string }).ip;
    } finally {
      await app.services.close();
    }
  };

  it.each<[string, boolean | number | string[], RegExp]>([
    ['trust_proxy: true', true, /^203\.0\.113\./],
    ['trust_proxy: 2 (the spoofed entry is then within the trusted hops)', 2, /^6\.6\.6\./],
    ['trust_proxy: [10.0.0.0/8]', ['10.0.0.0/8'], /^203\.0\.113\./],
    ['trust_proxy: false', false, /^10\.0\.0\./],
  ])('%s', async (_n, trust, expected) => {
    expect(await storedIp(trust)).toMatch(expected);
  });
});
