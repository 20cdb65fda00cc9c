/**
 * @module First-party script serving configuration: where gtag.js / gtm.js come from and how long they are cached.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';

/** Google tag ids gtag.js loads: GA4 (`G-`), Google Ads (`AW-`), Floodlight (`DC-`), Google tag (`GT-`). */
export const GTAG_ID_PATTERN = /^(?:G|AW|DC|GT)-[A-Z0-9]{4,20}$/;
/** Google Tag Manager container ids. */
export const GTM_ID_PATTERN = /^GTM-[A-Z0-9]{4,12}$/;

export const scriptsConfigSchema = z
  .object({
    /** Origin the scripts are fetched from. */
    upstream: z.url().default('https://www.googletagmanager.com'),
    /** How long a fetched script is served without asking the upstream again (also its `max-age`). */
    ttl: duration.prefault('15m'),
    /** After `ttl`, how long the old copy is still served while a refresh runs in the background. */
    stale_while_revalidate: duration.prefault('1h'),
    /** Ids this proxy serves scripts for; empty serves any well-formed id. */
    allowed_ids: z
      .array(z.string().refine((id) => GTAG_ID_PATTERN.test(id) || GTM_ID_PATTERN.test(id), 'expected a G-, AW-, DC-, GT- or GTM- id'))
      .default([]),
    /** Upstream request timeout. */
    timeout: duration.prefault('5s'),
    /** Distinct scripts (id × dataLayer name) kept in memory. */
    max_entries: z.number().int().min(1).default(200),
  })
  .prefault({});

/** The validated `scripts:` section. */
export type ScriptsConfig = z.infer<typeof scriptsConfigSchema>;
