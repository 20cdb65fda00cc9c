import { describe, expect, it } from 'vitest';
import { applyIpPolicy, type IpPolicy } from '../../src/privacy/ip.js';

describe('applyIpPolicy', () => {
  it.each<[string, string | undefined]>([
    ['203.0.113.77', '203.0.113.0'],
    ['10.0.0.255', '10.0.0.0'],
    ['0.0.0.0', '0.0.0.0'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1::'],
    ['2001:db8:1:2::5', '2001:db8:1::'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0005', '2001:db8:1::'],
    ['2001:db8::1', '2001:db8::'],
    ['::1', '::'],
    ['fe80::1%eth0', 'fe80::'],
    ['[2001:db8:abcd:12::1]', '2001:db8:abcd::'],
    ['::ffff:203.0.113.77', '203.0.113.0'],
    ['::FFFF:cb00:714d', '203.0.113.0'],
    ['64:ff9b::203.0.113.77', '64:ff9b::'],
    ['2001:db8:0:0:1::', '2001:db8::'],
  ])('truncate %s → %s', (ip, expected) => {
    expect(applyIpPolicy(ip, 'truncate')).toEqual({ ip: expected, reasons: ['privacy.ip_truncated'] });
  });

  it.each<[string, string]>([
    ['203.0.113.77', '203.0.113.77'],
    [' 203.0.113.77 ', '203.0.113.77'],
    ['2001:0db8:0000:0000:0000:8a2e:0370:7334', '2001:db8::8a2e:370:7334'],
    ['fe80::1%25eth0', 'fe80::1'],
    ['::ffff:203.0.113.77', '203.0.113.77'],
    ['2001:db8:0:1:0:0:1:1', '2001:db8:0:1::1:1'],
  ])('keep %s → canonical %s', (ip, expected) => {
    expect(applyIpPolicy(ip, 'keep')).toEqual({ ip: expected, reasons: [] });
  });

  it.each<IpPolicy>(['keep', 'truncate'])('drops malformed addresses under %s', (policy) => {
    for (const bad of ['256.1.1.1', '1.2.3', '01.2.3.4', '1.2.3.4:8080', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', '2001:db8::g', 'localhost', '::1::2', '1:2:3:4:5:6:7::8:9']) {
      expect(applyIpPolicy(bad, policy), bad).toEqual({ ip: undefined, reasons: ['privacy.ip_invalid'] });
    }
  });

  it('drop removes any address, absent stays absent', () => {
    expect(applyIpPolicy('203.0.113.77', 'drop')).toEqual({ ip: undefined, reasons: ['privacy.ip_dropped'] });
    expect(applyIpPolicy(undefined, 'truncate')).toEqual({ ip: undefined, reasons: [] });
    expect(applyIpPolicy('', 'keep')).toEqual({ ip: undefined, reasons: [] });
  });
});
