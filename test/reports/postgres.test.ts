import { afterAll, beforeAll, describe } from 'vitest';
import { createPostgresPort } from '../../src/runtime/node/postgres.js';
import { silentLogger } from '../../src/ports.js';
import { postgresSource, type ReportSource } from '../../src/reports/index.js';
import { usePostgres } from '../postgres/server.js';
import { generate, type Dataset } from './generator.js';
import { loadPostgres } from './load.js';
import { cutRange, reportSuite } from './suite.js';

// A real, throwaway PostgreSQL server (initdb + pg_ctl): the suite fails, never skips, without one.
const pg = usePostgres();
const port = createPostgresPort({ log: silentLogger });
let state: { source: ReportSource; ds: Dataset };

beforeAll(async () => {
  const pool = port.pool(pg.url);
  const where = { schema: 'public', table: 'tagrelay_events' };
  const ds = generate({ seed: 16, visitors: 1500 });
  await loadPostgres(pool, where, ds.rows);
  state = { source: postgresSource(pool, where), ds };
}, 120_000);
afterAll(() => port.end());

describe('reports on a PostgreSQL warehouse equal the generator truth (same definitions, PostgreSQL SQL)', () => {
  reportSuite(() => state);
});

describe('reports on a PostgreSQL warehouse over a range cut inside hours and sessions', () => {
  reportSuite(() => ({ source: state.source, ds: cutRange(state.ds) }));
});
