/**
 * @module `deno run -A src/runtime/deno/main.ts`: tagrelay on Deno.serve. Config from TAGRELAY_CONFIG or
 * config/default.yaml; deno.json beside this file maps the core's `.js` imports to `.ts` (sloppy imports)
 * and uses the project's node_modules (ioredis for `store.kind: redis`, as on Node and Bun).
 */
import { join, resolve } from 'node:path';
import { createApp } from '../../app.js';
import { configPath, loadConfigFile } from '../node/config-file.js';
import { denoLogger, denoRuntime, type DenoServeInfo } from './runtime.js';

interface DenoServer {
  readonly addr: { port: number };
  shutdown(): Promise<void>;
}
declare const Deno: {
  env: { toObject(): Record<string, string> };
  serve(
    options: { port: number; hostname: string; onListen?: (addr: { port: number }) => void },
    handler: (request: Request, info: DenoServeInfo) => Response | Promise<Response>,
  ): DenoServer;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  exit(code: number): never;
};

const env: Record<string, string | undefined> = Deno.env.toObject();
const log = denoLogger(env.TAGRELAY_LOG_LEVEL);
const config = loadConfigFile(configPath(undefined, env), env);
const dataDir = resolve(env.TAGRELAY_DATA_DIR ?? config.server.data_dir);
// store.kind redis: the same ioredis port as Node, through Deno's npm compatibility (loaded only then).
const redis = config.store.kind === 'redis' ? (await import('../node/redis.js')).createRedisPort(config.store, log) : undefined;
const app = createApp(config, { ...denoRuntime({ file: join(dataDir, 'tagrelay.db'), env, log }), redis });
await app.services.ready;

const host = env.HOST ?? config.server.host;
const port = env.PORT !== undefined ? Number(env.PORT) : config.server.port;
// onListen replaces Deno's own "Listening on" line on stdout with our JSON log line.
const server = Deno.serve({ port, hostname: host, onListen: () => undefined }, app.fetch);
log.info('tagrelay listening', { runtime: 'deno', host, port: server.addr.port, data_dir: dataDir, destinations: config.destinations.length });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) Deno.exit(1);
  stopping = true;
  log.info('shutting down', { signal });
  await server.shutdown();
  await app.services.close();
  log.info('tagrelay stopped');
  Deno.exit(0);
}
Deno.addSignalListener('SIGTERM', () => void shutdown('SIGTERM'));
Deno.addSignalListener('SIGINT', () => void shutdown('SIGINT'));
