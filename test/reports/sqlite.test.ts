import { beforeAll, describe } from 'vitest';
import { openSqlite } from '../../src/runtime/node/db.js';
import { migrate } from '../../src/store/schema.js';
import { sqliteSource, type ReportSource } from '../../src/reports/index.js';
import { generate, type Dataset } from './generator.js';
import { loadSqlite } from './load.js';
import { reportSuite } from './suite.js';

let state: { source: ReportSource; ds: Dataset };

beforeAll(async () => {
  const db = openSqlite(':memory:');
  await migrate(db);
  const ds = generate({ seed: 16, visitors: 1500 });
  await loadSqlite(db, ds.rows);
  state = { source: sqliteSource(db), ds };
});

describe('reports on the embedded warehouse (SQLite) equal the generator truth', () => {
  reportSuite(() => state);
});
