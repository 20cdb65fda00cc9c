/**
 * @module User-Agent reduction: browser family, major version and OS family only.
 */
import UAParser from 'ua-parser-js';
import type { DeviceInfo } from '../event.js';

/**
 * A reduced User-Agent, `Browser/major (OS)` (e.g. `Chrome/120 (Windows)`), from the enriched
 * device info when present, else parsed from the raw string. Undefined when no browser family is
 * known: the caller then drops the User-Agent rather than forward the full string.
 *
 * This keeps what reporting needs (browser and OS breakdowns; Meta still receives a
 * `client_user_agent`) and removes the fingerprinting detail: minor versions, OS version, device
 * model, CPU.
 */
export function reduceUserAgent(ua: string | undefined, device?: DeviceInfo): string | undefined {
  let browser = device?.browser;
  let version = device?.browser_version;
  let os = device?.os;
  if (!browser && ua) {
    // Only the browser and OS rules: getResult() would also run the device, engine and CPU rules.
    const parser = new UAParser(ua);
    const b = parser.getBrowser();
    browser = b.name;
    version = b.major ?? b.version;
    os = parser.getOS().name;
  }
  if (!browser) return undefined;
  const major = version?.split('.')[0];
  return `${browser}${major ? `/${major}` : ''}${os ? ` (${os})` : ''}`;
}

/** Device info without the fingerprinting detail (`os_version`, model, vendor, CPU; browser major only). */
export function reduceDevice(device: DeviceInfo): DeviceInfo {
  const { os_version: _v, device_model: _m, device_vendor: _d, cpu: _c, ...rest } = device;
  if (rest.browser_version) rest.browser_version = rest.browser_version.split('.')[0];
  return rest;
}
