/**
 * @module Find and read the config file on Node: --config, TAGRELAY_CONFIG, or config/default.yaml.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { parseConfig, defaultConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';

/** The package root (two levels above src/runtime/node). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Which file to load: the flag, then the environment, then the bundled default. */
export function configPath(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag);
  if (env.TAGRELAY_CONFIG) return resolve(env.TAGRELAY_CONFIG);
  const local = resolve('config/default.yaml');
  return existsSync(local) ? local : resolve(PACKAGE_ROOT, 'config/default.yaml');
}

/** Read and validate a config file (throws ConfigError with file:line:col paths). */
export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  if (!existsSync(file)) {
    if (file.endsWith('config/default.yaml')) return defaultConfig();
    throw new Error(`config file not found: ${file}`);
  }
  return parseConfig(readFileSync(file, 'utf8'), file, env);
}
