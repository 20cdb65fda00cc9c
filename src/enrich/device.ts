/**
 * @module Device facts from the User-Agent (ua-parser-js 1.x) refined by client hints, with an LRU cache.
 */
import UAParser from 'ua-parser-js';
import { LRUCache } from 'lru-cache';
import type { DeviceInfo } from '../event.js';
import { CLIENT_HINT_HEADERS, parseClientHints, type Brand, type ClientHints } from './client-hints.js';

/** Options of {@link createDeviceParser} (from `enrich.device`). */
export interface DeviceParserOptions {
  /** Entries kept; 0 disables the cache. */
  cacheSize: number;
  /** Prefer client hints over the frozen User-Agent (default true). */
  clientHints?: boolean;
}

/** Cache counters, for tests and metrics. */
export interface DeviceCacheStats {
  hits: number;
  misses: number;
  size: number;
}

/** A cached device parser. */
export interface DeviceParser {
  /** Parse a User-Agent with the request's (lower-cased) headers; returns a fresh object each call. */
  parse(ua: string, hints: Record<string, string | undefined>): DeviceInfo;
  stats(): DeviceCacheStats;
}

/** ua-parser-js reads at most 500 characters itself; longer keys would only bloat the cache. */
const MAX_UA = 500;
const MAX_HINT = 256;
const DESKTOP_OS = new Set(['Windows', 'Mac OS', 'macOS', 'Linux', 'Ubuntu', 'Debian', 'Fedora', 'Chromium OS', 'FreeBSD', 'OpenBSD']);

/** Client-hint brand names → the names ua-parser-js uses, so both sources agree. */
// Maps, not object literals: the keys come from request headers, and `constructor` or `toString`
// must not resolve to Object.prototype members.
const BRAND_NAMES = new Map([
  ['Google Chrome', 'Chrome'],
  ['Microsoft Edge', 'Edge'],
  ['Android WebView', 'Chrome WebView'],
  ['YaBrowser', 'Yandex'],
]);
const PLATFORM_NAMES = new Map([
  ['macOS', 'Mac OS'],
  ['Chrome OS', 'Chromium OS'],
  ['Chromium OS', 'Chromium OS'],
]);

/**
 * Windows' `Sec-CH-UA-Platform-Version` is the UniversalApiContract version: 13+ is Windows 11,
 * 1–10 (some builds report up to 12) is Windows 10, 0.1/0.2/0.3 are 7/8/8.1.
 * https://learn.microsoft.com/microsoft-edge/web-platform/how-to-detect-win11
 */
function windowsVersion(platformVersion: string): string | undefined {
  const [major, minor] = platformVersion.split('.').map(Number);
  if (major === undefined || Number.isNaN(major)) return undefined;
  if (major >= 13) return '11';
  if (major >= 1) return '10';
  return ({ 1: '7', 2: '8', 3: '8.1' } as Record<number, string>)[minor ?? -1];
}

function majorOf(version: string | undefined): string | undefined {
  return version?.split('.')[0];
}

function trimZeros(version: string): string {
  return version.replace(/(?:\.0)+$/, '');
}

function pickBrand(list: Brand[] | undefined): Brand | undefined {
  if (!list?.length) return undefined;
  return list.find((b) => b.brand !== 'Chromium') ?? list[0];
}

/** Vendor and type for a `Sec-CH-UA-Model`, by letting ua-parser read it in an Android UA shape. */
function deviceFromModel(model: string, mobile: boolean | undefined): { vendor?: string; type?: string } {
  const ua = `Mozilla/5.0 (Linux; Android 14; ${model}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 ${mobile === false ? '' : 'Mobile '}Safari/537.36`;
  const d = new UAParser(ua).getDevice();
  return { vendor: d.vendor && d.vendor !== 'Generic' ? d.vendor : undefined, type: d.type };
}

function applyHints(info: DeviceInfo, hints: ClientHints): void {
  const full = pickBrand(hints.fullVersionList);
  const brand = full ?? pickBrand(hints.brands);
  if (brand) {
    const name = BRAND_NAMES.get(brand.brand) ?? brand.brand;
    // "Chromium" alone says less than a UA that names another browser (Opera, Vivaldi): keep the UA's then.
    const generic = name === 'Chromium' && info.browser !== undefined && info.browser !== 'Chrome' && info.browser !== 'Chromium';
    if (!generic) {
      const target = name === 'Chromium' ? (info.browser ?? name) : name;
      const sameMajor = info.browser === target && majorOf(info.browser_version) === majorOf(brand.version);
      info.browser = target;
      // `Sec-CH-UA` carries only the major version: keep the UA's longer one when it agrees.
      if (brand.version && (full !== undefined || !sameMajor)) info.browser_version = brand.version;
    }
    info.engine ??= 'Blink';
  }
  if (hints.platform && hints.platform !== 'Unknown') {
    const os = PLATFORM_NAMES.get(hints.platform) ?? hints.platform;
    if (os !== info.os) delete info.os_version;
    info.os = os;
    if (hints.platformVersion) {
      const v = os === 'Windows' ? windowsVersion(hints.platformVersion) : trimZeros(hints.platformVersion) || undefined;
      if (v) info.os_version = v;
    }
  }
  if (hints.model) {
    const derived = deviceFromModel(hints.model, hints.mobile);
    // A vendor the UA derived from another model string (the frozen "K") no longer applies.
    if (derived.vendor) info.device_vendor = derived.vendor;
    else if (info.device_model !== hints.model) delete info.device_vendor;
    info.device_model = hints.model;
    if (derived.type) info.device_type = derived.type;
  }
  if (hints.mobile === true) info.device_type = info.device_type === 'tablet' ? 'tablet' : 'mobile';
  // Chrome on Android tablets sends ?0 (and a UA without "Mobile").
  else if (hints.mobile === false && info.os === 'Android' && info.device_type !== 'tablet') info.device_type = 'tablet';
}

/** Parse without cache: the UA, then client hints on top when `useHints`. */
export function parseDevice(ua: string, headers: Record<string, string | undefined>, useHints = true): DeviceInfo {
  const r = new UAParser(ua.slice(0, MAX_UA)).getResult();
  const info: DeviceInfo = {};
  if (r.browser.name) info.browser = r.browser.name;
  if (r.browser.version) info.browser_version = r.browser.version;
  if (r.engine.name) info.engine = r.engine.name;
  if (r.os.name) info.os = r.os.name;
  if (r.os.version) info.os_version = r.os.version;
  if (r.device.type) info.device_type = r.device.type;
  if (r.device.vendor) info.device_vendor = r.device.vendor;
  if (r.device.model) info.device_model = r.device.model;
  if (r.cpu.architecture) info.cpu = r.cpu.architecture;
  if (useHints) {
    const hints = parseClientHints(headers);
    if (hints) applyHints(info, hints);
  }
  if (!info.device_type && info.os && DESKTOP_OS.has(info.os)) info.device_type = 'desktop';
  return info;
}

function cacheKey(ua: string, headers: Record<string, string | undefined>, useHints: boolean): string {
  let key = ua.slice(0, MAX_UA);
  if (useHints) for (const h of CLIENT_HINT_HEADERS) key += `\u0000${(headers[h] ?? '').slice(0, MAX_HINT)}`;
  return key;
}

/**
 * A device parser with an LRU cache keyed by the User-Agent plus the client-hint header values
 * (the same UA with different hints is a different device).
 *
 * @example
 * const devices = createDeviceParser({ cacheSize: 10_000 });
 * devices.parse(request.user_agent ?? '', request.headers) // { browser: 'Chrome', os: 'Windows', os_version: '11', … }
 */
export function createDeviceParser(options: DeviceParserOptions): DeviceParser {
  const useHints = options.clientHints ?? true;
  const cache = options.cacheSize > 0 ? new LRUCache<string, DeviceInfo>({ max: options.cacheSize }) : undefined;
  let hits = 0;
  let misses = 0;
  return {
    parse(ua, headers) {
      const key = cacheKey(ua, headers, useHints);
      const cached = cache?.get(key);
      if (cached) {
        hits++;
        return { ...cached };
      }
      misses++;
      const info = parseDevice(ua, headers, useHints);
      cache?.set(key, info);
      return { ...info };
    },
    stats: () => ({ hits, misses, size: cache?.size ?? 0 }),
  };
}
