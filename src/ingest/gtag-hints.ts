/**
 * @module gtag client-hint parameters (`uaa`, `uafvl`, …) → the `sec-ch-ua-*` headers they copy.
 */
import { InvalidHit, limited } from './gtag-items.js';

/**
 * gtag reads `navigator.userAgentData.getHighEntropyValues()` and sends the result as query
 * parameters. When the request itself carries no `sec-ch-ua*` header (first-party endpoints rarely
 * receive high-entropy hints: the site would have to send `Accept-CH`), these become the headers the
 * device stage reads, in the header syntax of RFC 8941 as Chromium sends them:
 *
 * | param   | header                          | example value                                  |
 * |---------|---------------------------------|------------------------------------------------|
 * | `uaa`   | `sec-ch-ua-arch`                | `"arm"`                                        |
 * | `uab`   | `sec-ch-ua-bitness`             | `"64"`                                         |
 * | `uafvl` | `sec-ch-ua-full-version-list`   | `"Chromium";v="136.0.7103.114", …`             |
 * | `uafvl` | `sec-ch-ua` (major versions)    | `"Chromium";v="136", …`                        |
 * | `uamb`  | `sec-ch-ua-mobile`              | `?0`                                           |
 * | `uam`   | `sec-ch-ua-model`               | `""`                                           |
 * | `uap`   | `sec-ch-ua-platform`            | `"macOS"`                                      |
 * | `uapv`  | `sec-ch-ua-platform-version`    | `"14.3.1"`                                     |
 * | `uaw`   | `sec-ch-ua-wow64`               | `?0`                                           |
 *
 * `uafvl` is `brand;version|brand;version` with each brand percent-encoded once more.
 */
const QUOTED: Record<string, string> = {
  uaa: 'sec-ch-ua-arch',
  uab: 'sec-ch-ua-bitness',
  uam: 'sec-ch-ua-model',
  uap: 'sec-ch-ua-platform',
  uapv: 'sec-ch-ua-platform-version',
};
const BOOLEAN: Record<string, string> = { uamb: 'sec-ch-ua-mobile', uaw: 'sec-ch-ua-wow64' };

const quote = (s: string): string => `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;

function decodeOnce(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * The `sec-ch-ua*` headers to add for one hit: none when the request already carries any
 * (real headers describe the same browser, and a mixed set would contradict itself).
 * Values longer than `max` reject the event like any other over-long value.
 */
export function clientHintHeaders(
  fields: ReadonlyMap<string, string>,
  existing: Readonly<Record<string, string>>,
  max: number,
): Record<string, string> {
  if (Object.keys(existing).some((h) => h.startsWith('sec-ch-ua'))) return {};
  const out: Record<string, string> = {};
  for (const [param, header] of Object.entries(QUOTED)) {
    const v = fields.get(param);
    if (v !== undefined) out[header] = quote(limited(v, param, max));
  }
  for (const [param, header] of Object.entries(BOOLEAN)) {
    const v = fields.get(param);
    if (v === '0' || v === '1') out[header] = `?${v}`;
    else if (v !== undefined && v !== '') throw new InvalidHit('ERR_INVALID_TYPE', `${param} must be 0 or 1`, param);
  }
  const list = fields.get('uafvl');
  if (list !== undefined && list !== '') {
    const brands = limited(list, 'uafvl', max)
      .split('|')
      .map((entry) => {
        const at = entry.lastIndexOf(';');
        return at > 0 ? { brand: decodeOnce(entry.slice(0, at)), version: entry.slice(at + 1) } : undefined;
      })
      .filter((b) => b !== undefined);
    if (brands.length > 0) {
      out['sec-ch-ua-full-version-list'] = brands.map((b) => `${quote(b.brand)};v=${quote(b.version)}`).join(', ');
      out['sec-ch-ua'] = brands.map((b) => `${quote(b.brand)};v=${quote(b.version.split('.')[0]!)}`).join(', ');
    }
  }
  return out;
}
