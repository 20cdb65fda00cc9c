/**
 * @module The Node PostgreSQL port: one bounded `pg.Pool` per connection string.
 */
import type { Pool } from 'pg';
import type { Logger, PgFailure, PgPool, PgValue, PostgresPort } from '../../ports.js';
import { connectionSecrets } from '../../destinations/postgres.js';
import { redact } from '../../destinations/http.js';

/** Pool limits; the defaults suit one tagrelay instance writing batches to a warehouse. */
export interface PostgresPoolOptions {
  /** Most connections per connection string. */
  max?: number;
  /** Close a connection idle this long (ms). */
  idleTimeoutMs?: number;
  /** Give up connecting after this long (ms): the send is retried later. */
  connectTimeoutMs?: number;
  /** Server-side `statement_timeout` (ms); the client gives up a little after it. */
  statementTimeoutMs?: number;
}

/** pg's errors → the port's {@link PgFailure}: SQLSTATE when the server answered, masked message. */
function toFailure(err: unknown, secrets: readonly string[]): PgFailure {
  const e = err as { message?: unknown; code?: unknown; severity?: unknown };
  const message = redact(typeof e?.message === 'string' ? e.message : String(err), secrets);
  const failure = new Error(message || 'postgres error') as PgFailure;
  failure.name = 'PgFailure';
  // Server errors (pg's DatabaseError) carry a severity next to the 5-character SQLSTATE; socket
  // errors carry node's errno codes (ECONNREFUSED, EPIPE), which are not SQLSTATEs.
  if (typeof e?.code === 'string' && typeof e.severity === 'string') failure.sqlstate = e.code;
  return failure;
}

/**
 * @example
 * const postgres = createPostgresPort({ log })
 * await postgres.pool(process.env.DATABASE_URL!).query('SELECT 1')
 * await postgres.end()
 */
export function createPostgresPort(opts: PostgresPoolOptions & { log: Logger }): PostgresPort {
  const pools = new Map<string, Promise<Pool>>();
  const statementTimeout = opts.statementTimeoutMs ?? 15_000;

  async function open(connectionString: string): Promise<Pool> {
    // Loaded on first use: most deployments have no postgres destination and should not pay for pg at startup.
    const { default: pg } = await import('pg');
    const pool = new pg.Pool({
      connectionString,
      max: opts.max ?? 4,
      idleTimeoutMillis: opts.idleTimeoutMs ?? 30_000,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      statement_timeout: statementTimeout,
      query_timeout: statementTimeout + 5_000,
      application_name: 'tagrelay',
      // Idle pooled connections must not keep a finished process alive.
      allowExitOnIdle: true,
    });
    const secrets = connectionSecrets(connectionString);
    // An idle connection dropped by the server emits here; without a listener node would crash.
    pool.on('error', (err) => opts.log.warn('postgres idle connection lost', { error: toFailure(err, secrets).message.slice(0, 200) }));
    return pool;
  }

  return {
    pool(connectionString: string): PgPool {
      const secrets = connectionSecrets(connectionString);
      return {
        async query<T = Record<string, unknown>>(sql: string, params?: readonly PgValue[]) {
          let pool = pools.get(connectionString);
          if (!pool) {
            pool = open(connectionString);
            pools.set(connectionString, pool);
          }
          try {
            const result = await (await pool).query(sql, params as PgValue[] | undefined);
            return { rowCount: result.rowCount ?? 0, rows: result.rows as T[] };
          } catch (err) {
            throw toFailure(err, secrets);
          }
        },
      };
    },
    async end() {
      const all = [...pools.values()];
      pools.clear();
      await Promise.all(all.map(async (p) => (await p).end().catch(() => undefined)));
    },
  };
}
