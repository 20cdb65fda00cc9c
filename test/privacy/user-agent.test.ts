import { describe, expect, it } from 'vitest';
import UAParser from 'ua-parser-js';
import { reduceDevice, reduceUserAgent } from '../../src/privacy/user-agent.js';
import { UA } from '../enrich/ua-fixtures.js';

describe('reduceUserAgent', () => {
  it.each<[keyof typeof UA, string | undefined]>([
    ['chromeWindows', 'Chrome/124 (Windows)'],
    ['safariIphone', 'Mobile Safari/17 (iOS)'],
    ['firefoxLinux', 'Firefox/125 (Linux)'],
    ['samsungInternet', 'Samsung Internet/24 (Android)'],
    ['curl', undefined],
  ])('%s from the raw string', (name, expected) => {
    expect(reduceUserAgent(UA[name])).toBe(expected);
  });

  it('reads only browser and OS, with the same answer as the full parse, for every fixture', () => {
    for (const ua of Object.values(UA)) {
      const r = new UAParser(ua).getResult();
      const major = (r.browser.major ?? r.browser.version)?.split('.')[0];
      const full = r.browser.name ? `${r.browser.name}${major ? `/${major}` : ''}${r.os.name ? ` (${r.os.name})` : ''}` : undefined;
      expect(reduceUserAgent(ua), ua).toBe(full);
    }
  });

  it('prefers the enriched device info, and drops a User-Agent with no known browser', () => {
    expect(reduceUserAgent(UA.chromeWindows, { browser: 'Edge', browser_version: '124.0.1', os: 'Windows' })).toBe('Edge/124 (Windows)');
    expect(reduceUserAgent('not a browser')).toBeUndefined();
    expect(reduceUserAgent(undefined)).toBeUndefined();
  });

  it('reduceDevice keeps the browser major and drops the fingerprinting detail', () => {
    expect(reduceDevice({ browser: 'Chrome', browser_version: '124.0.0.0', os: 'Android', os_version: '13', device_type: 'mobile', device_vendor: 'Google', device_model: 'Pixel 7', cpu: 'arm' })).toEqual({
      browser: 'Chrome', browser_version: '124', os: 'Android', device_type: 'mobile',
    });
  });
});
