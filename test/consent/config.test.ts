import { describe, expect, it } from 'vitest';
import { consentConfigSchema } from '../../src/consent/config.js';

describe('consentConfigSchema', () => {
  it('defaults: opt-in everywhere, Cloudflare country header, 395-day receipts', () => {
    const c = consentConfigSchema.parse(undefined);
    expect(c.regions).toEqual({ EEA: 'opt_in', UK: 'opt_in', CH: 'opt_in', default: 'opt_in' });
    expect(c.geo_headers).toEqual(['cf-ipcountry']);
    expect(c.receipts.ttl).toBe(395 * 86_400_000);
  });

  it.each(['DE', 'US-CA', 'EEA', 'UK', 'GB', 'CH', 'US_PRIVACY_STATES', 'default'])('accepts region key %s', (key) => {
    expect(consentConfigSchema.safeParse({ regions: { [key]: 'opt_in' } }).success).toBe(true);
  });

  it.each(['EU', 'Germany', 'de', 'US-', 'DEFAULT', 'eea'])('rejects region key %s with a path to it', (key) => {
    const r = consentConfigSchema.safeParse({ regions: { [key]: 'opt_in' } });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual(['regions', key]);
  });

  it('rejects an unknown policy', () => {
    expect(consentConfigSchema.safeParse({ regions: { DE: 'maybe' } }).success).toBe(false);
  });

  it('lower-cases geo headers', () => {
    expect(consentConfigSchema.parse({ geo_headers: ['CF-IPCountry'] }).geo_headers).toEqual(['cf-ipcountry']);
  });
});
