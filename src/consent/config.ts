/**
 * @module Consent configuration: trusted geo headers, regional policies, receipts.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';
import { REGION_GROUPS } from './regions.js';

/** What a region's default is when no signal decides. */
export const policySchema = z.enum(['opt_in', 'opt_out', 'notice']);
/** `opt_in` (deny until granted), `notice` (own-site storage allowed, advertising denied), `opt_out` (allowed until opted out). */
export type Policy = z.infer<typeof policySchema>;

const REGION_KEY = /^[A-Z]{2}(-[A-Z0-9]{1,3})?$/;

/** A `regions` key: ISO country, `CC-SUB` subdivision, a group of {@link REGION_GROUPS}, or `default`. `EU` is rejected: it would never match a visitor (use `EEA`). */
function isRegionKey(key: string): boolean {
  return key === 'default' || key in REGION_GROUPS || (REGION_KEY.test(key) && key !== 'EU');
}

/** The `consent:` section of the config file. */
export const consentConfigSchema = z
  .object({
    /** Request headers that carry the visitor's country (and region); trusted only when listed. */
    geo_headers: z.array(z.string().toLowerCase()).default(['cf-ipcountry']),
    /** Region key → policy. Keys: ISO country (`DE`), `US-CA`, group names (`EEA`), and `default`. */
    regions: z
      .record(
        z.string().refine(isRegionKey, {
          message: `expected an ISO country (DE), a subdivision (US-CA), a group (${Object.keys(REGION_GROUPS).join(', ')}) or default`,
        }),
        policySchema,
      )
      .default({ EEA: 'opt_in', UK: 'opt_in', CH: 'opt_in', default: 'opt_in' }),
    /** Recorded with every decision, so an audit can tell which policy applied. */
    policy_version: z.string().default('1'),
    receipts: z
      .object({
        /** ES256 private key as JWK JSON or PKCS#8 PEM; generated and persisted in dev when absent. */
        signing_key: z.string().optional(),
        ttl: duration.prefault('395d'),
        cookie_name: z.string().default('tr_consent'),
      })
      .prefault({}),
  })
  .prefault({});

/** The validated `consent:` section. */
export type ConsentConfig = z.infer<typeof consentConfigSchema>;
