/**
 * @module External warehouses (PostgreSQL, ClickHouse, BigQuery): the retention and erasure contract each
 * implements in its own file, and the runner that applies it to every configured warehouse.
 *
 * The embedded SQLite store is purged and erased by src/privacy/retention.ts and src/admin/dsr.ts; a
 * warehouse outside it keeps its own copy of the events, so retention and data-subject erasure must
 * reach it too (GDPR Art. 5(1)(e) storage limitation, Art. 17 erasure).
 */
import type { FetchLike, Logger, PostgresPort } from '../ports.js';

/** I/O a warehouse's retention and erasure may use (the subset of the send context they need). */
export interface WarehouseContext {
  fetch: FetchLike;
  now(): number;
  log: Logger;
  postgres?: PostgresPort;
}

/** The retention rules as the config holds them (`events: 395d` → ms). */
export type RetentionRules = Readonly<Record<string, number>>;

/** What one rule did at one warehouse. Counts only, never values. */
export interface WarehousePurgeCount {
  destination: string;
  rule: string;
  /** `not_supported`: the store cannot apply the rule (said honestly, with the reason). */
  action: 'delete' | 'null_field' | 'not_supported' | 'failed';
  /** Rows removed or changed; `null` when the store does not say (or the step failed). */
  rows: number | null;
  /** Why a rule was not applied (`not_supported`, `failed`); never carries a value or a secret. */
  reason?: string;
}

/**
 * Whom to erase, in the stored forms a warehouse row carries: warehouse pseudonyms of user ids and
 * client ids (the `user_id`/`client_id` columns), the keyed hashes of an email or phone
 * (`data.hashed_user.em`/`.ph`), and event ids found locally.
 */
export interface WarehouseSubject {
  eventIds: readonly string[];
  userKeys: readonly string[];
  clientKeys: readonly string[];
  hashKeys: readonly string[];
}

/** What an erasure did at one warehouse: rows deleted, or an honest "not supported" with the rows left. */
export type WarehouseErasure =
  | { type: string; status: 'erased'; rows: number }
  | { type: string; status: 'partial'; rows: number; remaining: number | null; reason: string }
  | { type: string; status: 'not_supported'; reason: string }
  | { type: string; status: 'failed'; error: string };

/** The retention and erasure hooks of a warehouse destination. */
export interface WarehouseStore<C> {
  /** Apply the retention rules to this warehouse's table at `ctx.now()`. Never throws: a failure is a count with `failed`. */
  purge(config: C, rules: RetentionRules, ctx: WarehouseContext): Promise<WarehousePurgeCount[]>;
  /** Delete the subject's rows. Never throws: a failure is reported in the receipt. */
  erase(config: C, subject: WarehouseSubject, ctx: WarehouseContext): Promise<WarehouseErasure>;
}

/** The row rule (`events`) and the field rules (`events.<field>`) that apply to a warehouse table. */
export function warehouseRules(rules: RetentionRules): { rowTtl?: number; fields: [field: string, ttl: number][] } {
  const fields: [string, number][] = [];
  for (const [rule, ttl] of Object.entries(rules)) if (rule.startsWith('events.')) fields.push([rule.slice(7), ttl]);
  return { rowTtl: rules.events, fields };
}

/** A failure message for a count or a receipt: one line, bounded, no secrets (the caller redacts). */
export function failureText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

/** A configured destination whose kind may have a warehouse store. */
export interface WarehouseTarget {
  config: { id: string; type: string };
  kind: { type: string; warehouse?: WarehouseStore<any> };
}

/**
 * Apply the retention rules to every configured warehouse; one warehouse's failure does not stop the others.
 *
 * @example
 * const counts = await purgeWarehouses(services.destinations, config.retention.rules, ctx)
 */
export async function purgeWarehouses(targets: readonly WarehouseTarget[], rules: RetentionRules, ctx: WarehouseContext): Promise<WarehousePurgeCount[]> {
  const runs = targets
    .filter((t) => t.kind.warehouse)
    .map(async (t) => {
      try {
        return await t.kind.warehouse!.purge(t.config, rules, ctx);
      } catch (err) {
        return [{ destination: t.config.id, rule: 'events', action: 'failed' as const, rows: null, reason: failureText(err) }];
      }
    });
  return (await Promise.all(runs)).flat();
}

/** Erase a subject from every configured warehouse: destination id → what happened there. */
export async function eraseFromWarehouses(
  targets: readonly WarehouseTarget[],
  subject: WarehouseSubject,
  ctx: WarehouseContext,
): Promise<Record<string, WarehouseErasure>> {
  const out: Record<string, WarehouseErasure> = {};
  await Promise.all(
    targets
      .filter((t) => t.kind.warehouse)
      .map(async (t) => {
        try {
          out[t.config.id] = await t.kind.warehouse!.erase(t.config, subject, ctx);
        } catch (err) {
          out[t.config.id] = { type: t.config.type, status: 'failed', error: failureText(err) };
        }
      }),
  );
  return out;
}
