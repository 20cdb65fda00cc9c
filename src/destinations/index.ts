/**
 * @module The typed registry of destination kinds: a missing kind is a compile error.
 */
import { z } from 'zod';
import { sqlite, sqliteConfigSchema } from './sqlite.js';
import { ga4, ga4ConfigSchema } from './ga4.js';
import { metaCapi, metaCapiConfigSchema } from './meta-capi.js';
import { postgres, postgresConfigSchema } from './postgres.js';
import { webhook, webhookConfigSchema } from './webhook.js';
import { tiktok, tiktokConfigSchema } from './tiktok.js';
import { clickhouse, clickhouseConfigSchema } from './clickhouse.js';
import { bigquery, bigqueryConfigSchema } from './bigquery.js';
import type { Destination } from './types.js';

/** Every destination kind tagrelay ships. */
export type DestinationKind = 'sqlite' | 'ga4' | 'meta_capi' | 'postgres' | 'webhook' | 'tiktok' | 'clickhouse' | 'bigquery';

/** Kind → implementation. */
export const destinations: Record<DestinationKind, Destination<any, any>> = {
  sqlite,
  ga4,
  meta_capi: metaCapi,
  postgres,
  webhook,
  tiktok,
  clickhouse,
  bigquery,
};

/** One destination entry in config, discriminated by `type`. */
export const destinationConfigSchema = z.discriminatedUnion('type', [
  sqliteConfigSchema,
  ga4ConfigSchema,
  metaCapiConfigSchema,
  postgresConfigSchema,
  webhookConfigSchema,
  tiktokConfigSchema,
  clickhouseConfigSchema,
  bigqueryConfigSchema,
]);
export type DestinationConfig = z.infer<typeof destinationConfigSchema>;
