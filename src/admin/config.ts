/**
 * @module Admin API configuration: how JWTs are verified (HS256 secret, or a JWKS for ES256/RS256).
 */
import { z } from 'zod';

export const adminConfigSchema = z
  .object({
    jwt: z
      .object({
        /** Shared secret for HS256 tokens (at least 32 bytes); from `${TAGRELAY_ADMIN_SECRET}`. */
        secret: z.string().min(32, 'expected at least 32 characters').optional(),
        /** A JWKS document (JSON text) for ES256/RS256 tokens, e.g. `${TAGRELAY_ADMIN_JWKS}`. */
        jwks: z.string().optional(),
        /** A JWKS URL for ES256/RS256 tokens (fetched and cached by jose). */
        jwks_url: z.url().optional(),
        issuer: z.string().default('tagrelay-admin'),
        audience: z.string().default('tagrelay'),
        /** Allowed clock skew. */
        clock_tolerance_s: z.number().int().min(0).max(300).default(30),
      })
      .prefault({}),
  })
  .prefault({});

export type AdminConfig = z.infer<typeof adminConfigSchema>;
