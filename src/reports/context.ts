/**
 * @module Where a configured instance's reports read: the embedded warehouse, or a configured
 * PostgreSQL warehouse destination; with the micro-conversion rules and destination ids of the config.
 */
import type { Config } from '../config/schema.js';
import type { PostgresPort, SqlDb } from '../ports.js';
import { TagrelayError } from '../errors.js';
import { postgresSource, sqliteSource, type ReportSource } from './source.js';
import type { ReportContext } from './index.js';

/**
 * The source and context of a report for a configuration. `warehouse`: the id of a postgres
 * destination to read instead of the embedded store (the delivery report always reads the store).
 *
 * @example
 * const { source, ctx } = reportSetup(config, { db: runtime.db, postgres: runtime.postgres, now: Date.now() })
 */
export function reportSetup(config: Config, deps: { db: SqlDb; postgres?: PostgresPort; now: number; warehouse?: string }): { source: ReportSource; ctx: ReportContext } {
  const ctx: ReportContext = {
    now: deps.now,
    store: deps.db,
    microRules: config.conversions.filter((r) => r.kind === 'micro').map((r) => ({ id: r.id, name: r.emit.name })),
    destinations: config.destinations.filter((d) => d.enabled).map((d) => d.id),
  };
  if (!deps.warehouse) return { source: sqliteSource(deps.db), ctx };
  const dest = config.destinations.find((d) => d.id === deps.warehouse);
  if (!dest || dest.type !== 'postgres') throw new TagrelayError('ERR_INVALID_QUERY', 'warehouse expects the id of a configured postgres destination', { field: 'warehouse' });
  if (!deps.postgres) throw new TagrelayError('ERR_INVALID_QUERY', 'this runtime has no PostgreSQL client', { field: 'warehouse' });
  const pg = dest as unknown as { connection_string: string; schema: string; table: string };
  return { source: postgresSource(deps.postgres.pool(pg.connection_string), { schema: pg.schema, table: pg.table }), ctx };
}
