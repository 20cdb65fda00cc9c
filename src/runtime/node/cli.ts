/**
 * @module The `tagrelay` command: serve (default), check, schema.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../../config/schema.js';
import { migrate } from '../../store/schema.js';
import { purge } from '../../privacy/retention.js';
import { listDeadLetters, replayDeadLetters } from '../../delivery/dead-letter.js';
import { openSqlite } from './db.js';
import { ConfigError } from '../../config/load.js';
import { configJsonSchema } from '../../config/json-schema.js';
import { configPath, loadConfigFile, PACKAGE_ROOT } from './config-file.js';
import { startServer, stopOnSignals } from './server.js';

const USAGE = `usage: tagrelay [command] [--config PATH] [--port N] [--host H]

  serve                  run the proxy (default)
  check                  validate a config file and print a summary
  schema                 write config/schema.json from the zod schema
  purge [--dry-run]      apply the retention rules now (counts only, never values)
  dlq list [--destination ID]
  dlq replay (--destination ID | ID…)
                         list or requeue dead-lettered deliveries`;

/** Open the configured store for an offline command. */
async function openStore(config: Config) {
  const dataDir = resolve(process.env.TAGRELAY_DATA_DIR ?? config.server.data_dir);
  const db = openSqlite(join(dataDir, 'tagrelay.db'));
  await migrate(db);
  return db;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      'dry-run': { type: 'boolean' },
      destination: { type: 'string' },
    },
  });
  const command = positionals[0] ?? 'serve';
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (command === 'schema') {
    const file = resolve(PACKAGE_ROOT, 'config/schema.json');
    writeFileSync(file, JSON.stringify(configJsonSchema(), null, 2) + '\n');
    console.log(`wrote ${file}`);
    return 0;
  }
  const file = configPath(values.config);
  let config;
  try {
    config = loadConfigFile(file);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    return 2;
  }
  if (command === 'check') {
    console.log(`${file}: ok`);
    console.log(`  dev_mode: ${config.dev_mode}`);
    console.log(`  consent: ${Object.entries(config.consent.regions).map(([r, p]) => `${r}=${p}`).join(', ')} (policy v${config.consent.policy_version})`);
    console.log(`  destinations (${config.destinations.length}):`);
    for (const d of config.destinations) console.log(`    - ${d.id} (${d.type})${d.enabled ? '' : ' disabled'}`);
    return 0;
  }
  if (command === 'purge') {
    const db = await openStore(config);
    const counts = await purge(db, config.retention, Date.now(), { dryRun: values['dry-run'] });
    console.log(values['dry-run'] ? 'would purge:' : 'purged:');
    for (const c of counts) console.log(`  ${c.rule.padEnd(22)} ${c.action.padEnd(12)} ${c.rows} row(s)`);
    await db.close();
    return 0;
  }
  if (command === 'dlq') {
    const db = await openStore(config);
    const sub = positionals[1];
    if (sub === 'list') {
      const items = await listDeadLetters(db, { destination: values.destination, limit: 1000 });
      for (const i of items) console.log(`${i.id}\t${i.destination_id}\t${i.event_id}\t${new Date(i.failed_at).toISOString()}\t${i.attempts}\t${i.reason}`);
      console.log(`${items.length} item(s)`);
    } else if (sub === 'replay') {
      const ids = positionals.slice(2).map(Number).filter((n) => Number.isInteger(n) && n > 0);
      const n = await replayDeadLetters(db, ids.length > 0 ? { ids } : { destination: values.destination }, Date.now());
      console.log(`requeued ${n} item(s); a running proxy delivers them at its next poll`);
    } else {
      console.error(USAGE);
      return 2;
    }
    await db.close();
    return 0;
  }
  if (command !== 'serve') {
    console.error(USAGE);
    return 2;
  }
  const server = await startServer(config, {
    port: values.port !== undefined ? Number(values.port) : undefined,
    host: values.host,
  });
  stopOnSignals(server);
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  },
);
