/**
 * @module The `tagrelay` command: serve (default), check, schema.
 */
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../../config/load.js';
import { configJsonSchema } from '../../config/json-schema.js';
import { configPath, loadConfigFile, PACKAGE_ROOT } from './config-file.js';
import { startServer, stopOnSignals } from './server.js';

const USAGE = `usage: tagrelay [serve|check|schema] [--config PATH] [--port N] [--host H]

  serve    run the proxy (default)
  check    validate a config file and print a summary
  schema   write config/schema.json from the zod schema`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
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
