/**
 * @module `bun src/runtime/bun/main.ts`: tagrelay on Bun.serve. Config from TAGRELAY_CONFIG or config/default.yaml.
 */
import { join, resolve } from 'node:path';
import { createApp } from '../../app.js';
import { configPath, loadConfigFile } from '../node/config-file.js';
import { bunLogger, bunRuntime, type BunServer } from './runtime.js';

declare const Bun: {
  sleep(ms: number): Promise<void>;
  serve(options: { port: number; hostname: string; fetch(request: Request, server: BunServer): Response | Promise<Response> }): BunServer;
};

const env = process.env;
const log = bunLogger(env.TAGRELAY_LOG_LEVEL);
const config = loadConfigFile(configPath(undefined, env), env);
const dataDir = resolve(env.TAGRELAY_DATA_DIR ?? config.server.data_dir);
// store.kind redis: the same ioredis port as Node (loaded only then).
const redis = config.store.kind === 'redis' ? (await import('../node/redis.js')).createRedisPort(config.store, log) : undefined;
const app = createApp(config, { ...bunRuntime({ file: join(dataDir, 'tagrelay.db'), env, log }), redis });
await app.services.ready;

const host = env.HOST ?? config.server.host;
const server = Bun.serve({ port: env.PORT !== undefined ? Number(env.PORT) : config.server.port, hostname: host, fetch: app.fetch });
log.info('tagrelay listening', { runtime: 'bun', host, port: server.port, data_dir: dataDir, destinations: config.destinations.length });

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  log.info('shutting down', { signal });
  // stop() alone also waits for idle keep-alive sockets; finish in-flight requests, then close the rest.
  void server.stop();
  for (let waited = 0; server.pendingRequests > 0 && waited < 10_000; waited += 20) await Bun.sleep(20);
  await server.stop(true);
  await app.services.close();
  log.info('tagrelay stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
