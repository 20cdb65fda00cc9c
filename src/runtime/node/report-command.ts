/**
 * @module `tagrelay report <name>`: a report over the warehouse (the embedded store, or a configured
 * postgres destination with --warehouse ID) as a table, JSON or CSV.
 */
import { fillReportSummary } from '../../store/report-summary.js';
import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TagrelayError } from '../../errors.js';
import { migrate } from '../../store/schema.js';
import { drawReport, formatReport, REPORT_NAMES, type RawParams, type ReportFormat } from '../../reports/index.js';
import { reportSetup } from '../../reports/context.js';
import { configPath, loadConfigFile } from './config-file.js';
import { openSqlite } from './db.js';
import { createPostgresPort } from './postgres.js';
import { jsonLogger } from './runtime.js';

export const REPORT_USAGE = `usage: tagrelay report <name> [--since 7d] [--until T] [--by device|country|channel|source|medium|campaign]
                       [--steps a,b,c] [--count sessions|users] [--within session|Nd] [--purchase NAME]
                       [--destination ID] [--warehouse ID] [--format table|json|csv] [--config PATH | --db FILE]

  reports: ${REPORT_NAMES.join(', ')}
  --since/--until: a duration back from now (7d, 24h), an ISO date or epoch ms (until is exclusive, default now).
  Reads the embedded store (tagrelay.db in the config's data directory, or --db FILE); --warehouse ID reads
  the configured postgres destination ID instead (the delivery report always reads the embedded store).`;

/** Run the command; returns the exit code (2: bad arguments, 1: the store cannot be read). */
export async function reportCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        since: { type: 'string' },
        until: { type: 'string' },
        by: { type: 'string' },
        steps: { type: 'string' },
        count: { type: 'string' },
        within: { type: 'string' },
        purchase: { type: 'string' },
        destination: { type: 'string' },
        warehouse: { type: 'string' },
        format: { type: 'string', default: 'table' },
        config: { type: 'string', short: 'c' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${REPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length !== 1) {
    console.error(REPORT_USAGE);
    return values.help ? 0 : 2;
  }
  const format = values.format as ReportFormat;
  if (!['table', 'json', 'csv'].includes(format)) {
    console.error('--format expects table, json or csv');
    return 2;
  }
  const config = loadConfigFile(configPath(values.config));
  const dbFile = values.db ? resolve(values.db) : join(resolve(process.env.TAGRELAY_DATA_DIR ?? config.server.data_dir), 'tagrelay.db');
  if (!existsSync(dbFile)) {
    console.error(`no store at ${dbFile} (give --db FILE or --config PATH)`);
    return 1;
  }
  const db = openSqlite(dbFile);
  const postgres = values.warehouse ? createPostgresPort({ log: jsonLogger(process.env.TAGRELAY_LOG_LEVEL ?? 'warn') }) : undefined;
  try {
    // Older stores get the report columns and indexes (additive): the same migration the server runs at start.
    await migrate(db);
    // A store written before the report summary: fill it once here (the server does it in the background).
    await fillReportSummary(db);
    const { source, ctx } = reportSetup(config, { db, postgres, now: Date.now(), warehouse: values.warehouse });
    const raw: RawParams = {};
    for (const key of ['since', 'until', 'by', 'steps', 'count', 'within', 'purchase', 'destination'] as const) if (values[key] !== undefined) raw[key] = values[key];
    console.log(formatReport(await drawReport(source, positionals[0]!, raw, ctx), format));
    return 0;
  } catch (err) {
    if (err instanceof TagrelayError && err.status === 400) {
      console.error(`--${err.field ?? 'name'}: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await db.close();
    await postgres?.end();
  }
}
