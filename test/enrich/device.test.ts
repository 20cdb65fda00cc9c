import { describe, expect, it } from 'vitest';
import type { DeviceInfo } from '../../src/event.js';
import { createDeviceParser, parseDevice } from '../../src/enrich/device.js';
import { HINTS_CHROME_WIN11, UA } from './ua-fixtures.js';

const CHROME_124 = {
  'sec-ch-ua': HINTS_CHROME_WIN11['sec-ch-ua'],
  'sec-ch-ua-full-version-list': HINTS_CHROME_WIN11['sec-ch-ua-full-version-list'],
};

describe('parseDevice: User-Agent only', () => {
  it.each<[keyof typeof UA, DeviceInfo]>([
    ['chromeWindows', { browser: 'Chrome', browser_version: '124.0.0.0', engine: 'Blink', os: 'Windows', os_version: '10', device_type: 'desktop', cpu: 'amd64' }],
    ['chromeMac', { browser: 'Chrome', os: 'Mac OS', os_version: '10.15.7', device_type: 'desktop', device_vendor: 'Apple' }],
    ['chromeAndroidReduced', { browser: 'Chrome', os: 'Android', os_version: '10', device_type: 'mobile', device_model: 'K' }],
    ['chromeAndroidFull', { browser: 'Chrome', browser_version: '116.0.5845.114', os: 'Android', os_version: '13', device_type: 'mobile', device_vendor: 'Google', device_model: 'Pixel 7' }],
    ['chromeOs', { browser: 'Chrome', os: 'Chromium OS', device_type: 'desktop' }],
    ['safariIphone', { browser: 'Mobile Safari', browser_version: '17.4', engine: 'WebKit', os: 'iOS', os_version: '17.4', device_type: 'mobile', device_vendor: 'Apple', device_model: 'iPhone' }],
    ['safariIpad', { browser: 'Mobile Safari', os: 'iOS', os_version: '16.6', device_type: 'tablet', device_model: 'iPad' }],
    ['safariMac', { browser: 'Safari', browser_version: '17.4.1', engine: 'WebKit', os: 'Mac OS', device_type: 'desktop' }],
    ['firefoxWindows', { browser: 'Firefox', browser_version: '125.0', engine: 'Gecko', os: 'Windows', os_version: '10', device_type: 'desktop' }],
    ['firefoxLinux', { browser: 'Firefox', engine: 'Gecko', os: 'Linux', device_type: 'desktop', cpu: 'amd64' }],
    ['edgeWindows', { browser: 'Edge', browser_version: '124.0.0.0', engine: 'Blink', os: 'Windows', device_type: 'desktop' }],
    ['samsungInternet', { browser: 'Samsung Internet', browser_version: '24.0', os: 'Android', os_version: '13', device_type: 'mobile', device_vendor: 'Samsung', device_model: 'SM-S918B' }],
    ['headlessChrome', { browser: 'Chrome Headless', os: 'Windows' }],
    ['googlebotSmartphone', { browser: 'Chrome', os: 'Android', device_type: 'mobile' }],
  ])('%s', (name, expected) => {
    expect(parseDevice(UA[name], {})).toMatchObject(expected);
  });

  it.each(['googlebot', 'bingbot', 'facebookPreview', 'curl'] as const)('%s yields no device facts', (name) => {
    expect(parseDevice(UA[name], {})).toEqual({});
  });

  it('frozen Android UA names no vendor', () => {
    expect(parseDevice(UA.chromeAndroidReduced, {}).device_vendor).toBeUndefined();
  });
});

describe('parseDevice: client hints win over the frozen UA', () => {
  it.each<[string, string, Record<string, string>, DeviceInfo]>([
    ['Windows 11 from platform version 15', UA.chromeWindows, HINTS_CHROME_WIN11, { browser: 'Chrome', browser_version: '124.0.6367.91', os: 'Windows', os_version: '11', device_type: 'desktop' }],
    ['Windows 11 from platform version 13 (the threshold)', UA.chromeWindows, { ...HINTS_CHROME_WIN11, 'sec-ch-ua-platform-version': '"13.0.0"' }, { os_version: '11' }],
    ['Windows 10 below 13', UA.chromeWindows, { ...HINTS_CHROME_WIN11, 'sec-ch-ua-platform-version': '"10.0.0"' }, { os_version: '10' }],
    ['Windows 7 from 0.1.0', UA.chromeWindows, { ...HINTS_CHROME_WIN11, 'sec-ch-ua-platform-version': '"0.1.0"' }, { os_version: '7' }],
    ['macOS version beyond the frozen 10_15_7', UA.chromeMac, { ...CHROME_124, 'sec-ch-ua-platform': '"macOS"', 'sec-ch-ua-platform-version': '"14.4.1"' }, { os: 'Mac OS', os_version: '14.4.1' }],
    ['Edge brand, major only keeps the UA version', UA.edgeWindows, { 'sec-ch-ua': '"Chromium";v="124", "Microsoft Edge";v="124", "Not-A.Brand";v="99"', 'sec-ch-ua-platform': '"Windows"' }, { browser: 'Edge', browser_version: '124.0.0.0' }],
    ['Brave, invisible in the UA', UA.chromeWindows, { 'sec-ch-ua': '"Chromium";v="124", "Brave";v="124", "Not-A.Brand";v="99"' }, { browser: 'Brave', browser_version: '124' }],
    ['Chromium-only brands keep the UA name', UA.chromeWindows, { 'sec-ch-ua': '"Chromium";v="124", "Not-A.Brand";v="99"' }, { browser: 'Chrome', browser_version: '124.0.0.0' }],
    ['Android model, version and full browser version', UA.chromeAndroidReduced, { ...CHROME_124, 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-platform-version': '"14.0.0"', 'sec-ch-ua-model': '"Pixel 7"' }, { browser: 'Chrome', browser_version: '124.0.6367.91', os: 'Android', os_version: '14', device_type: 'mobile', device_vendor: 'Google', device_model: 'Pixel 7' }],
    ['Samsung Internet with hints', UA.samsungInternetReduced, { 'sec-ch-ua': '"Not A(Brand";v="99", "Samsung Internet";v="25.0", "Chromium";v="121"', 'sec-ch-ua-mobile': '?1', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-platform-version': '"14.0.0"', 'sec-ch-ua-model': '"SM-S921B"' }, { browser: 'Samsung Internet', browser_version: '25.0', os_version: '14', device_vendor: 'Samsung', device_model: 'SM-S921B', device_type: 'mobile' }],
    ['Android tablet: mobile ?0', UA.chromeAndroidTabletReduced, { ...CHROME_124, 'sec-ch-ua-mobile': '?0', 'sec-ch-ua-platform': '"Android"', 'sec-ch-ua-model': '"SM-X710"' }, { device_type: 'tablet', device_vendor: 'Samsung', device_model: 'SM-X710' }],
    ['Chrome OS', UA.chromeOs, { ...CHROME_124, 'sec-ch-ua-platform': '"Chrome OS"', 'sec-ch-ua-platform-version': '"15786.48.0"' }, { os: 'Chromium OS', os_version: '15786.48', device_type: 'desktop' }],
  ])('%s', (_label, ua, hints, expected) => {
    expect(parseDevice(ua, hints)).toMatchObject(expected);
  });

  it('an empty model hint on desktop adds no model', () => {
    const d = parseDevice(UA.chromeWindows, HINTS_CHROME_WIN11);
    expect(d.device_model).toBeUndefined();
    expect(d.device_vendor).toBeUndefined();
  });

  it('the frozen "K" does not survive a model hint', () => {
    expect(parseDevice(UA.chromeAndroidReduced, { 'sec-ch-ua-model': '"Pixel 7"' }).device_model).toBe('Pixel 7');
  });

  it('ignores hints when disabled', () => {
    expect(parseDevice(UA.chromeWindows, HINTS_CHROME_WIN11, false)).toMatchObject({ os_version: '10', browser_version: '124.0.0.0' });
  });

  it('Firefox and Safari send no hints: UA facts stand', () => {
    expect(parseDevice(UA.firefoxWindows, { accept: '*/*' })).toEqual(parseDevice(UA.firefoxWindows, {}));
  });
});

describe('createDeviceParser cache', () => {
  it('counts hits and misses, keyed by UA and hint values', () => {
    const p = createDeviceParser({ cacheSize: 100 });
    p.parse(UA.chromeWindows, {});
    p.parse(UA.chromeWindows, {});
    p.parse(UA.chromeWindows, { 'x-other': 'ignored' });
    expect(p.stats()).toEqual({ hits: 2, misses: 1, size: 1 });
    const win11 = p.parse(UA.chromeWindows, HINTS_CHROME_WIN11);
    expect(win11.os_version).toBe('11');
    expect(p.stats()).toEqual({ hits: 2, misses: 2, size: 2 });
    expect(p.parse(UA.chromeWindows, HINTS_CHROME_WIN11).os_version).toBe('11');
    expect(p.stats().hits).toBe(3);
  });

  it('returns a fresh object so callers cannot corrupt the cache', () => {
    const p = createDeviceParser({ cacheSize: 10 });
    const a = p.parse(UA.safariIphone, {});
    a.is_bot = true;
    a.browser = 'tampered';
    expect(p.parse(UA.safariIphone, {})).toEqual(parseDevice(UA.safariIphone, {}));
  });

  it('evicts beyond its size', () => {
    const p = createDeviceParser({ cacheSize: 2 });
    p.parse(UA.safariIphone, {});
    p.parse(UA.firefoxLinux, {});
    p.parse(UA.edgeWindows, {});
    p.parse(UA.safariIphone, {});
    expect(p.stats()).toEqual({ hits: 0, misses: 4, size: 2 });
  });

  it('works without a cache', () => {
    const p = createDeviceParser({ cacheSize: 0 });
    expect(p.parse(UA.edgeWindows, {}).browser).toBe('Edge');
    p.parse(UA.edgeWindows, {});
    expect(p.stats()).toEqual({ hits: 0, misses: 2, size: 0 });
  });

  it('ignores hints in the key when hints are disabled', () => {
    const p = createDeviceParser({ cacheSize: 10, clientHints: false });
    p.parse(UA.chromeWindows, {});
    expect(p.parse(UA.chromeWindows, HINTS_CHROME_WIN11).os_version).toBe('10');
    expect(p.stats().hits).toBe(1);
  });
});
