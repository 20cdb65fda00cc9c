/**
 * @module The destination registry: one list. The kind union, the config union, the hashing rules in
 * use, the reason tables and the identity keys erasure matches are all derived from it, so a new
 * destination is its file plus one entry here (docs/add-a-destination.md).
 */
import { z } from 'zod';
import { sqlite } from './sqlite.js';
import { ga4 } from './ga4.js';
import { metaCapi } from './meta-capi.js';
import { postgres } from './postgres.js';
import { webhook } from './webhook.js';
import { tiktok } from './tiktok.js';
import { clickhouse } from './clickhouse.js';
import { bigquery } from './bigquery.js';
import type { Destination, DestinationReasons } from './types.js';
import type { HashingRule } from '../privacy/hashing.js';

/** Every destination kind tagrelay ships. Add a new one here, and nowhere else. */
export const DESTINATION_LIST = [sqlite, ga4, metaCapi, postgres, webhook, tiktok, clickhouse, bigquery] as const;

type Listed = (typeof DESTINATION_LIST)[number];

/** Every destination kind tagrelay ships (`'sqlite' | 'ga4' | …`), derived from the list. */
export type DestinationKind = Listed['type'];

/** One destination entry in config: the union of every kind's config, discriminated by `type`. */
export type DestinationConfig = z.output<Listed['configSchema']>;

/** One destination entry in config as written (before defaults). */
export type DestinationConfigInput = z.input<Listed['configSchema']>;

/** Kind → implementation. */
export const destinations: Readonly<Record<DestinationKind, Destination<any, any>>> = Object.fromEntries(
  DESTINATION_LIST.map((d) => [d.type, d as Destination<any, any>]),
) as Record<DestinationKind, Destination<any, any>>;

/** One destination entry in config, discriminated by `type`: each kind's own schema. */
export const destinationConfigSchema = z.discriminatedUnion(
  'type',
  DESTINATION_LIST.map((d) => d.configSchema) as unknown as [z.ZodObject, ...z.ZodObject[]],
) as unknown as z.ZodType<DestinationConfig, DestinationConfigInput>;

/** The reason tables of every kind, in list order. */
export const DESTINATION_REASONS: readonly DestinationReasons[] = DESTINATION_LIST.map((d) => d.reasons);

/** Payload keys whose values identify a person, over every kind: erasure searches pending payloads under them. */
export const DESTINATION_IDENTITY_KEYS: ReadonlySet<string> = new Set(DESTINATION_LIST.flatMap((d) => d.identityKeys));
/** Payload keys holding the event as JSON text (a warehouse row's `data`), over every kind: erasure searches inside them. */
export const DESTINATION_IDENTITY_JSON_KEYS: ReadonlySet<string> = new Set(DESTINATION_LIST.flatMap((d) => d.identityJsonKeys ?? []));

/** Every hashing rule some kind uses, once each (by id). */
export const HASHING_RULES: readonly HashingRule[] = uniqueRules(DESTINATION_LIST.map((d) => d.privacy.hashing));

function uniqueRules(rules: readonly HashingRule[]): HashingRule[] {
  const byId = new Map<string, HashingRule>();
  for (const r of rules) byId.set(r.id, byId.get(r.id) ?? r);
  return [...byId.values()];
}

const rulesOf = new WeakMap<readonly { kind: Destination<any, any> }[], readonly HashingRule[]>();

/**
 * The hashing rules the configured destinations use (each once), cached per list: the accept path
 * prepares only these.
 */
export function hashingRulesOf(active: readonly { kind: Destination<any, any> }[]): readonly HashingRule[] {
  let rules = rulesOf.get(active);
  if (!rules) rulesOf.set(active, (rules = uniqueRules(active.map((d) => d.kind.privacy.hashing))));
  return rules;
}
