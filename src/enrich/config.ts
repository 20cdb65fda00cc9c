/**
 * @module Enrichment configuration: device parsing cache, bot patterns, campaign classification.
 */
import { z } from 'zod';

const regexSource = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'i');
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a regular expression' },
);

/** `enrich:` in the config file. */
export const enrichConfigSchema = z
  .object({
    device: z
      .object({
        enabled: z.boolean().default(true),
        /** Parsed User-Agent + client-hint combinations kept in memory. */
        cache_size: z.number().int().min(0).default(10_000),
        /** Prefer User-Agent Client Hints over the frozen User-Agent string. */
        client_hints: z.boolean().default(true),
      })
      .prefault({}),
    bots: z
      .object({
        enabled: z.boolean().default(true),
        /** What happens to a bot's events: `drop` (counted, sent nowhere) or `flag` (sent with device.is_bot). */
        action: z.enum(['drop', 'flag']).default('drop'),
        /**
         * User-Agents of back-end senders (HTTP libraries) that isbot lists but that send real events to
         * the event API; matched at the start of the User-Agent, case-insensitive.
         */
        server_clients: z
          .array(regexSource)
          .default(['^curl/', '^wget/', '^python-requests/', '^python-httpx/', '^node(-fetch)?\\b', '^undici', '^axios/', '^go-http-client/', '^okhttp/', '^java/', '^guzzlehttp/', '^ruby']),
        /** Extra case-insensitive patterns (regular expressions) that mark a User-Agent as a bot. */
        extra_patterns: z.array(regexSource).default([]),
        /** Treat a missing User-Agent as a bot (off: server-to-server events have none). */
        empty_user_agent: z.boolean().default(false),
      })
      .prefault({}),
    /** Geo comes from the trusted headers listed in `consent.geo_headers`. */
    geo: z.object({ enabled: z.boolean().default(true) }).prefault({}),
    campaign: z
      .object({
        enabled: z.boolean().default(true),
        /** Other domains of the same site: referrals from them count as internal (cross-domain journeys). */
        internal_domains: z.array(z.string().toLowerCase()).default([]),
      })
      .prefault({}),
  })
  .prefault({});

/** The validated `enrich` section. */
export type EnrichConfig = z.infer<typeof enrichConfigSchema>;
