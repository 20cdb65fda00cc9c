/**
 * @module Identity configuration: first-party cookie names, lifetimes, domain, session rules.
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';

const cookieName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name (RFC 6265 token)');

/** `identity:` in the config file. */
export const identityConfigSchema = z
  .object({
    /** `auto` (registrable domain of the Host), `none` (host-only), or a domain such as `example.com`. */
    cookie_domain: z.string().default('auto'),
    /**
     * With `cookie_domain: auto`, the registrable domains a Host may set cookies on (`example.com`);
     * any other Host gets host-only cookies. Empty: every Host's own registrable domain.
     */
    cookie_domains: z
      .array(z.string().transform((d) => d.toLowerCase().replace(/^\./, '')).pipe(z.string().regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/, 'expected a registrable domain such as example.com')))
      .default([]),
    /** Send `Secure` on every cookie (browsers accept it on http://localhost too). */
    secure: z.boolean().default(true),
    /** GA-compatible client id cookie, readable by gtag.js. */
    client_id_cookie: cookieName.default('_ga'),
    /** Write `_ga` from the server, so its lifetime is not capped like script-set cookies. */
    write_client_id_cookie: z.boolean().default(true),
    /** HttpOnly cookie holding the client id (like sGTM's FPID), used to restore `_ga`. */
    server_id_cookie: cookieName.default('_tr_id'),
    /** Stateless session cookie (HttpOnly). */
    session_cookie: cookieName.default('_tr_s'),
    /** Lifetime of the client id cookies; browsers cap every cookie at 400 days. */
    client_id_ttl: duration.prefault('400d'),
    session_timeout: duration.prefault('30m'),
    /** Engagement after which a session counts as engaged (GA4: 10 seconds). */
    engagement_threshold: duration.prefault('10s'),
    meta: z
      .object({
        /** Create `_fbp` and build `_fbc` from `fbclid` (needs ad_storage). */
        enabled: z.boolean().default(true),
        /** The Meta Pixel's own default lifetime. */
        ttl: duration.prefault('90d'),
      })
      .prefault({}),
  })
  .prefault({});

/** The validated `identity` section. */
export type IdentityConfig = z.infer<typeof identityConfigSchema>;
