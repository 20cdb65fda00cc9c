/**
 * @module The configuration schema: one zod schema from which the types and config/schema.json come.
 */
import { z } from 'zod';
import { duration } from './duration.js';
import { consentConfigSchema } from '../consent/config.js';
import { privacyConfigSchema } from '../privacy/config.js';
import { deliveryConfigSchema } from '../delivery/config.js';
import { retentionConfigSchema } from '../privacy/retention.js';
import { adminConfigSchema } from '../admin/config.js';
import { identityConfigSchema } from '../identity/config.js';
import { enrichConfigSchema } from '../enrich/config.js';
import { destinationConfigSchema } from '../destinations/index.js';
import { scriptsConfigSchema } from '../scripts/config.js';
import { parseCidr } from '../ingest/client-ip.js';
import { trackingPlanSchema } from '../rules/plan-config.js';
import { conversionsSchema } from '../rules/conversions-config.js';
import { triggersSchema } from '../rules/triggers-config.js';
import { alarmsConfigSchema } from '../alarms/config.js';
import { metricsConfigSchema } from '../metrics/config.js';
import { debugConfigSchema } from '../debug/config.js';
import { storeConfigSchema } from '../store/config.js';

export const configSchema = z
  .object({
    /** Dev mode opens debugging endpoints (explain) without admin auth and generates dev keys. */
    dev_mode: z.boolean().default(true),
    server: z
      .object({
        port: z.number().int().min(0).max(65535).default(8080),
        host: z.string().default('0.0.0.0'),
        /** Directory of the embedded store; `TAGRELAY_DATA_DIR` overrides. */
        data_dir: z.string().default('./data'),
        /** Origins allowed to send events with credentials (CORS). */
        cors_origins: z.array(z.string()).default([]),
        /**
         * Where the client IP comes from behind proxies: `false` the socket's peer (X-Forwarded-For
         * ignored); `true` or N, N trusted hops (the entry N from the right of X-Forwarded-For); or the
         * CIDRs of the trusted proxies (walk X-Forwarded-For from the right past them).
         */
        trust_proxy: z
          .union([
            z.boolean(),
            z.number().int().min(1),
            z.array(z.string().refine((s) => parseCidr(s) !== undefined, 'expected an IPv4 or IPv6 address or CIDR, e.g. 10.0.0.0/8 or 2001:db8::/32')),
          ])
          .default(false),
      })
      .prefault({}),
    limits: z
      .object({
        max_body_bytes: z.number().int().min(1024).default(256 * 1024),
        max_events: z.number().int().min(1).default(500),
        max_params: z.number().int().min(1).default(100),
        max_string_length: z.number().int().min(1).default(1000),
        max_items: z.number().int().min(1).default(200),
      })
      .prefault({}),
    /**
     * Event ids are kept in the store with their records (at least `window`, until every destination
     * settled them): a repeat is a duplicate across restarts and across instances on one store.
     * `max_ids` bounds the in-memory front that answers recent repeats without a store round trip.
     */
    dedupe: z
      .object({
        window: duration.prefault('24h'),
        max_ids: z.number().int().min(1).default(50_000),
      })
      .prefault({}),
    time: z
      .object({
        max_past: duration.prefault('72h'),
        max_future: duration.prefault('15m'),
      })
      .prefault({}),
    /** Where records, dedupe and delivery state live: SQLite (one instance) or Redis (many). */
    store: storeConfigSchema,
    consent: consentConfigSchema,
    privacy: privacyConfigSchema,
    delivery: deliveryConfigSchema,
    retention: retentionConfigSchema,
    admin: adminConfigSchema,
    /** `GET /metrics` in the Prometheus text format. */
    metrics: metricsConfigSchema,
    /** The live debug stream: sessions bound to one visitor by a signed token. */
    debug: debugConfigSchema,
    identity: identityConfigSchema,
    enrich: enrichConfigSchema,
    /** First-party gtag.js / gtm.js serving (`/gtag/js`, `/gtm.js`). */
    scripts: scriptsConfigSchema,
    /** The tracking plan events are checked against at the door; absent: no check. */
    tracking_plan: trackingPlanSchema.optional(),
    /** Rules deriving micro- and macro-conversions from incoming events. */
    conversions: conversionsSchema,
    /** Journey triggers: an event emitted when a start (add_to_cart) is not followed by a cancel (purchase) in time. */
    triggers: triggersSchema,
    /** Tracking alarms: an event that stops, volume drops and spikes, plan violations, consent, match quality, failing destinations. */
    alarms: alarmsConfigSchema,
    destinations: z
      .array(destinationConfigSchema)
      .prefault([{ id: 'lake', type: 'sqlite' }])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((d, i) => {
          if (seen.has(d.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate destination id '${d.id}'` });
          seen.add(d.id);
        });
      }),
  })
  .strict()
  .superRefine((config, ctx) => {
    // Every instance must verify every other's receipts: a dev key generated per instance would not.
    if (config.store.kind === 'redis' && !config.consent.receipts.signing_key) {
      ctx.addIssue({ code: 'custom', path: ['consent', 'receipts', 'signing_key'], message: 'store.kind redis needs a configured signing_key: every instance must verify the same consent receipts' });
    }
    // A trigger names the destinations of what it emits; its id is the emitted event's rule id.
    const destinations = new Set(config.destinations.map((d) => d.id));
    const rules = new Set(config.conversions.map((r) => r.id));
    config.triggers.forEach((t, i) => {
      t.destinations.forEach((d, j) => {
        if (!destinations.has(d)) ctx.addIssue({ code: 'custom', path: ['triggers', i, 'destinations', j], message: `no destination has the id '${d}'` });
      });
      if (rules.has(t.id)) ctx.addIssue({ code: 'custom', path: ['triggers', i, 'id'], message: `'${t.id}' is already a conversion rule id` });
    });
  });

/** The validated configuration. */
export type Config = z.infer<typeof configSchema>;
/** The configuration as written (before defaults). */
export type ConfigInput = z.input<typeof configSchema>;
