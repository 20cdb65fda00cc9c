/**
 * @module Privacy configuration: the global pseudonymization salt and per-destination minimization.
 */
import { z } from 'zod';

/**
 * The salt used when none is configured. It is public (it is in this file), so warehouse
 * pseudonyms made with it can be reversed by anyone who guesses the input: UNSAFE outside
 * development. Set `privacy.pseudonymization.salt: ${TAGRELAY_SALT}` in production.
 */
export const DEV_SALT = 'tagrelay-dev-salt-UNSAFE-do-not-use-in-production';

/** Per destination: what is minimized before mapping. */
export const destinationPrivacySchema = z
  .object({
    /** keep | truncate (IPv4 /24, IPv6 /48) | drop. Unset: the destination's default. */
    ip: z.enum(['keep', 'truncate', 'drop']).optional(),
    /** Query/fragment parameters removed from page URLs, referrers and URL-valued params. */
    url_redaction: z
      .object({
        /** Extra parameter names (case-insensitive), added to the built-in list. */
        params: z.array(z.string().min(1)).default([]),
        /** drop: remove the parameter; mask: keep its name, replace its value with `[redacted]`. */
        mode: z.enum(['drop', 'mask']).default('drop'),
      })
      .prefault({}),
    /**
     * Event parameter names this destination may receive. `allow` (when set) keeps only the
     * listed names; `deny` removes the listed names. A trailing `*` matches a prefix (`utm_*`).
     */
    fields: z
      .object({
        allow: z.array(z.string().min(1)).optional(),
        deny: z.array(z.string().min(1)).optional(),
      })
      .prefault({}),
    /** full: the User-Agent as received; reduced: `Browser/major (OS)` only. */
    user_agent: z.enum(['full', 'reduced']).default('full'),
  })
  .prefault({});

export type DestinationPrivacy = z.infer<typeof destinationPrivacySchema>;

/** Global privacy settings. */
export const privacyConfigSchema = z
  .object({
    /**
     * Warehouse pseudonyms are HMAC-SHA-256(salt, value). `salt_id` is stored with every row so
     * that a rotated salt can be told apart from the old one.
     */
    pseudonymization: z
      .object({
        salt: z.string().min(16, 'the salt must be at least 16 characters').default(DEV_SALT),
        salt_id: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected 1-64 letters, digits, . _ or -')
          .default('dev'),
      })
      .prefault({}),
    /** ISO 3166-1 alpha-2 country used to read phone numbers without a country code. */
    default_country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'expected a 2-letter ISO 3166-1 country code')
      .transform((c) => c.toUpperCase())
      .optional(),
  })
  .prefault({});

export type PrivacyConfig = z.infer<typeof privacyConfigSchema>;

/** True when the configured salt is the public development salt (warn or refuse outside dev mode). */
export function usesDevSalt(config: PrivacyConfig): boolean {
  return config.pseudonymization.salt === DEV_SALT;
}
