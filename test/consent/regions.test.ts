import { describe, expect, it } from 'vitest';
import { EEA, policyFor, regionGroups, resolveRegion, strictestPolicy } from '../../src/consent/regions.js';
import { makeConfig } from './helpers.js';

describe('resolveRegion', () => {
  const all = makeConfig({
    geo_headers: [
      'cf-ipcountry', 'cf-region-code', 'cloudfront-viewer-country', 'cloudfront-viewer-country-region',
      'x-vercel-ip-country', 'x-vercel-ip-country-region', 'x-country-code',
    ],
  });
  it.each([
    [{ 'cf-ipcountry': 'DE' }, 'DE'],
    [{ 'cf-ipcountry': 'de' }, 'DE'],
    [{ 'cf-ipcountry': 'US', 'cf-region-code': 'CA' }, 'US-CA'],
    [{ 'cloudfront-viewer-country': 'US', 'cloudfront-viewer-country-region': 'VA' }, 'US-VA'],
    [{ 'x-vercel-ip-country': 'US', 'x-vercel-ip-country-region': 'US-CO' }, 'US-CO'],
    [{ 'x-country-code': 'FR' }, 'FR'],
    [{ 'cf-ipcountry': 'XX' }, 'unknown'],
    [{ 'cf-ipcountry': 'T1' }, 'unknown'],
    [{ 'cf-ipcountry': 'Germany' }, 'unknown'],
    [{ 'cf-region-code': 'CA' }, 'unknown'],
    [{}, 'unknown'],
  ])('%j → %s', (headers, region) => {
    expect(resolveRegion(headers, all)).toBe(region);
  });

  it('reads only the headers the config trusts', () => {
    const cfOnly = makeConfig({ geo_headers: ['cf-ipcountry'] });
    expect(resolveRegion({ 'x-country-code': 'US', 'x-vercel-ip-country': 'US' }, cfOnly)).toBe('unknown');
    expect(resolveRegion({ 'x-country-code': 'US', 'cf-ipcountry': 'IT' }, cfOnly)).toBe('IT');
    expect(resolveRegion({ 'cf-ipcountry': 'US', 'x-vercel-ip-country-region': 'CA' }, cfOnly)).toBe('US');
  });

  it('default config trusts cf-ipcountry', () => {
    expect(resolveRegion({ 'cf-ipcountry': 'NL' }, makeConfig())).toBe('NL');
  });
});

describe('regionGroups', () => {
  it.each([
    ['DE', ['EEA']],
    ['NO', ['EEA']],
    ['LI', ['EEA']],
    ['GB', ['UK', 'GB']],
    ['CH', ['CH']],
    ['US-CA', ['US_PRIVACY_STATES']],
    ['US-NY', []],
    ['US', []],
    ['JP', []],
  ])('%s → %j', (region, groups) => {
    expect(regionGroups(region)).toEqual(groups);
  });

  it('EEA has the EU 27 plus IS, LI, NO', () => {
    expect(EEA).toHaveLength(30);
    expect(new Set(EEA).size).toBe(30);
    expect(EEA).not.toContain('GB');
    expect(EEA).not.toContain('CH');
  });
});

describe('policyFor', () => {
  const config = makeConfig({
    regions: { 'US-CA': 'notice', US: 'opt_out', EEA: 'opt_in', UK: 'opt_in', CH: 'notice', US_PRIVACY_STATES: 'opt_in', default: 'opt_out' },
  });
  it.each([
    ['US-CA', 'notice', 'US-CA'],
    ['US-NY', 'opt_out', 'US'],
    ['US', 'opt_out', 'US'],
    ['DE', 'opt_in', 'EEA'],
    ['DE-BY', 'opt_in', 'EEA'],
    ['GB', 'opt_in', 'UK'],
    ['CH', 'notice', 'CH'],
    ['JP', 'opt_out', 'default'],
    ['unknown', 'opt_in', 'strictest'],
  ])('%s → %s (via %s)', (region, policy, matched) => {
    expect(policyFor(region, config)).toEqual({ policy, matched });
  });

  it('a US state reaches its group when no US key exists', () => {
    const c = makeConfig({ regions: { US_PRIVACY_STATES: 'opt_out', default: 'opt_in' } });
    expect(policyFor('US-VA', c)).toEqual({ policy: 'opt_out', matched: 'US_PRIVACY_STATES' });
    expect(policyFor('US-NY', c)).toEqual({ policy: 'opt_in', matched: 'default' });
  });

  it.each([
    [{ default: 'opt_out' }, 'opt_out'],
    [{ US: 'opt_out', CH: 'notice' }, 'notice'],
    [{ US: 'opt_out', EEA: 'opt_in', default: 'opt_out' }, 'opt_in'],
    [{}, 'opt_in'],
  ])('unknown region with %j → strictest %s', (regions, policy) => {
    const c = makeConfig({ regions });
    expect(strictestPolicy(c)).toBe(policy);
    expect(policyFor('unknown', c).policy).toBe(policy);
  });

  it('no matching key and no default → strictest', () => {
    expect(policyFor('JP', makeConfig({ regions: { US: 'opt_out', CH: 'notice' } }))).toEqual({ policy: 'notice', matched: 'strictest' });
  });
});
