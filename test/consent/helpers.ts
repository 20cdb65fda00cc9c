/**
 * @module Test helpers for the consent engine: config, TC strings (via @iabtcf/core) and GPP strings.
 */
import { GVL, TCModel, TCString } from '@iabtcf/core';
import { consentConfigSchema, type ConsentConfig } from '../../src/consent/config.js';

/** A validated consent config with overrides. */
export function makeConfig(overrides: Record<string, unknown> = {}): ConsentConfig {
  return consentConfigSchema.parse(overrides);
}

/**
 * A minimal Global Vendor List (v3 shape) that the @iabtcf/core encoder accepts offline: it needs
 * the purposes 1–11 and each vendor it encodes, nothing fetched from the network.
 */
function minimalGvl(vendorIds: number[]): GVL {
  const purposes: Record<string, unknown> = {};
  for (let i = 1; i <= 11; i++) purposes[i] = { id: i, name: `Purpose ${i}`, description: '', illustrations: [] };
  const vendors: Record<string, unknown> = {};
  for (const id of vendorIds) {
    vendors[id] = {
      id, name: `Vendor ${id}`, purposes: [1, 3, 4], legIntPurposes: [7, 8], flexiblePurposes: [],
      specialPurposes: [], features: [], specialFeatures: [], policyUrl: 'https://example.com',
    };
  }
  return new GVL({
    gvlSpecificationVersion: 3, vendorListVersion: 50, tcfPolicyVersion: 5, lastUpdated: '2024-06-01T00:00:00Z',
    purposes, specialPurposes: {}, features: {}, specialFeatures: {}, stacks: {}, dataCategories: {}, vendors,
  } as never);
}

/** Encode a TC string with the given purpose consents, legitimate interests and vendor consents. */
export function makeTcString(opts: { purposes?: number[]; li?: number[]; vendors?: number[] } = {}): string {
  const vendors = opts.vendors ?? [];
  const model = new TCModel(minimalGvl(vendors.length ? vendors : [1]));
  model.cmpId = 300;
  model.cmpVersion = 2;
  model.purposeConsents.set(opts.purposes ?? []);
  model.purposeLegitimateInterests.set(opts.li ?? []);
  model.vendorConsents.set(vendors);
  return TCString.encode(model);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Fixed-width bits of an unsigned integer. */
export function int(value: number, width: number): string {
  return value.toString(2).padStart(width, '0');
}

/** Fibonacci code word of n ≥ 1 (per the GPP spec: weights 1, 2, 3, 5 …, terminated by an extra 1). */
export function fib(n: number): string {
  const weights = [1, 2];
  while (weights[weights.length - 1]! <= n) weights.push(weights[weights.length - 1]! + weights[weights.length - 2]!);
  const bits: string[] = [];
  let rest = n;
  for (let i = weights.length - 1; i >= 0; i--) {
    if (weights[i]! <= rest) {
      bits[i] = '1';
      rest -= weights[i]!;
    } else bits[i] = bits.length ? '0' : '';
  }
  return `${bits.join('').replace(/0+$/, '')}1`;
}

/** Bits → base64url, padded with 0s to a multiple of 6. */
export function toB64(bits: string): string {
  const padded = bits.padEnd(Math.ceil(bits.length / 6) * 6, '0');
  let out = '';
  for (let i = 0; i < padded.length; i += 6) out += B64.charAt(parseInt(padded.slice(i, i + 6), 2));
  return out;
}

/** A GPP header listing the section ids (sorted), each as a single id (no groups). */
export function gppHeader(ids: number[]): string {
  let bits = int(3, 6) + int(1, 6) + int(ids.length, 12);
  let last = 0;
  for (const id of ids) {
    bits += `0${fib(id - last)}`;
    last = id;
  }
  return toB64(bits);
}

/** A US section core segment: Version then int(2) fields, as listed. */
export function usSection(version: number, fields: number[]): string {
  return toB64(int(version, 6) + fields.map((f) => int(f, 2)).join(''));
}
