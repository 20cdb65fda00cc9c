import { describe, expect, it } from 'vitest';
import { isRetryableStatus, parseRetryAfter, redact } from '../../src/destinations/http.js';
import { destinationConfigSchema, destinations } from '../../src/destinations/index.js';

const NOW = Date.UTC(2024, 4, 1, 12, 0, 0);

describe('parseRetryAfter', () => {
  it.each([
    ['120', 120_000],
    ['0', 0],
    [' 5 ', 5000],
    ['Wed, 01 May 2024 12:01:30 GMT', 90_000],
    ['Wed, 01 May 2024 11:00:00 GMT', 0],
    ['soon', undefined],
    ['', undefined],
    [null, undefined],
  ])('%o → %o', (value, ms) => {
    expect(parseRetryAfter(value, NOW)).toBe(ms);
  });
});

describe('helpers', () => {
  it('classifies statuses', () => {
    expect([408, 425, 429, 500, 503].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 413].some(isRetryableStatus)).toBe(false);
  });
  it('redacts every occurrence of every secret', () => {
    expect(redact('a=tok&b=tok k', ['tok', undefined, ''])).toBe('a=****&b=**** k');
  });
});

describe('registry', () => {
  it('parses ga4 and meta_capi entries with their defaults', () => {
    const ga = destinationConfigSchema.parse({ id: 'ga', type: 'ga4', measurement_id: 'G-ABC123', api_secret: 's' });
    expect(ga).toMatchObject({ endpoint: 'https://www.google-analytics.com', validate: false, limit_behavior: 'truncate' });
    const meta = destinationConfigSchema.parse({ id: 'meta', type: 'meta_capi', pixel_id: '1234567890', access_token: 't' });
    expect(meta).toMatchObject({ endpoint: 'https://graph.facebook.com', api_version: 'v21.0', action_source: 'website', custom_events: true });
    expect(destinations.ga4.type).toBe('ga4');
    expect(destinations.meta_capi.type).toBe('meta_capi');
  });
  it('rejects a malformed measurement id and an EU endpoint is accepted', () => {
    expect(destinationConfigSchema.safeParse({ id: 'ga', type: 'ga4', measurement_id: 'UA-1-1', api_secret: 's' }).success).toBe(false);
    const eu = destinationConfigSchema.parse({ id: 'ga', type: 'ga4', measurement_id: 'G-ABC123', api_secret: 's', endpoint: 'https://region1.google-analytics.com' });
    expect(eu.endpoint).toBe('https://region1.google-analytics.com');
  });
});
