import { describe, expect, it } from 'vitest';
import type { GeoInfo } from '../../src/event.js';
import { GEO_HEADERS, geoFromHeaders } from '../../src/enrich/geo.js';

const ALL = GEO_HEADERS;

describe('geoFromHeaders', () => {
  it.each<[string, Record<string, string>, readonly string[], GeoInfo]>([
    ['Cloudflare full', { 'cf-ipcountry': 'US', 'cf-region-code': 'CA', 'cf-ipcity': 'San Francisco' }, ALL, { country: 'US', region: 'US-CA', city: 'San Francisco' }],
    ['CloudFront', { 'cloudfront-viewer-country': 'US', 'cloudfront-viewer-country-region': 'MI', 'cloudfront-viewer-city': 'Ann Arbor' }, ALL, { country: 'US', region: 'US-MI', city: 'Ann Arbor' }],
    ['Vercel, URL-encoded city', { 'x-vercel-ip-country': 'BR', 'x-vercel-ip-country-region': 'SP', 'x-vercel-ip-city': 'S%C3%A3o%20Paulo' }, ALL, { country: 'BR', region: 'BR-SP', city: 'São Paulo' }],
    ['generic country code, lower case', { 'x-country-code': 'de' }, ALL, { country: 'DE' }],
    ['unknown XX', { 'cf-ipcountry': 'XX', 'cf-ipcity': 'Nowhere' }, ALL, {}],
    ['Tor T1', { 'cf-ipcountry': 'T1' }, ALL, {}],
    ['untrusted header ignored', { 'cf-ipcountry': 'FR' }, ['cloudfront-viewer-country'], {}],
    ['untrusted region/city ignored', { 'cf-ipcountry': 'US', 'cf-region-code': 'CA', 'cf-ipcity': 'X' }, ['cf-ipcountry'], { country: 'US' }],
    ['nothing trusted', { 'cf-ipcountry': 'US' }, [], {}],
    ['no headers', {}, ALL, {}],
    ['malformed country', { 'cf-ipcountry': 'USA' }, ALL, {}],
    ['falls through to the next trusted provider', { 'cf-ipcountry': '', 'x-vercel-ip-country': 'JP' }, ALL, { country: 'JP' }],
    ['trusted list is case-insensitive', { 'cf-ipcountry': 'NL' }, ['CF-IPCountry'], { country: 'NL' }],
    ['bad region dropped', { 'cf-ipcountry': 'US', 'cf-region-code': 'Cal;ifornia' }, ALL, { country: 'US' }],
    ['markup in city dropped', { 'cf-ipcountry': 'US', 'cf-ipcity': '<script>' }, ALL, { country: 'US' }],
    ['broken percent-encoding dropped', { 'x-vercel-ip-country': 'US', 'x-vercel-ip-city': '%E0%A4%A' }, ALL, { country: 'US' }],
  ])('%s', (_label, headers, trusted, expected) => {
    expect(geoFromHeaders(headers, trusted)).toEqual(expected);
  });

  it('knows the headers consent.geo_headers may list', () => {
    expect(GEO_HEADERS).toEqual(expect.arrayContaining(['cf-ipcountry', 'cloudfront-viewer-country-region', 'x-vercel-ip-city', 'x-country-code']));
  });
});
