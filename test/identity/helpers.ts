import { identify, type IdentifyInput, type IdentifyResult } from '../../src/identity/resolve.js';
import { identityConfigSchema, type IdentityConfig } from '../../src/identity/config.js';

let counter = 0;
/** Deterministic but varying randomness. */
export function fakeRandomHex(bytes: number): string {
  counter = (counter + 0x9e3779b1) >>> 0;
  return counter.toString(16).padStart(8, '0').repeat(Math.ceil(bytes / 4)).slice(0, bytes * 2);
}

/** identify() with test defaults: host t.example.com, now 1700000000000, default config. */
export function identifyForTest(
  partial: Partial<IdentifyInput> & { storage: IdentifyInput['storage'] },
  config: IdentityConfig = identityConfigSchema.parse({}),
): IdentifyResult {
  return identify(
    { cookies: {}, host: 't.example.com', client: {}, now: 1_700_000_000_000, randomHex: fakeRandomHex, ...partial },
    config,
  );
}

/** Set-Cookie values by name → value and attributes. */
export function parseSetCookies(headers: string[]): Record<string, { value: string; attrs: string[] }> {
  const out: Record<string, { value: string; attrs: string[] }> = {};
  for (const h of headers) {
    const [pair, ...attrs] = h.split('; ');
    const eq = pair!.indexOf('=');
    out[pair!.slice(0, eq)] = { value: pair!.slice(eq + 1), attrs };
  }
  return out;
}
