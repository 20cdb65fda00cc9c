/**
 * @module Start tagrelay on Node with @hono/node-server, and stop it gracefully on SIGTERM/SIGINT.
 */
import { serve } from '@hono/node-server';
import { resolve } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { createApp, type TagrelayApp } from '../../app.js';
import type { Config } from '../../config/schema.js';
import { nodeRuntime, jsonLogger } from './runtime.js';
import { lingerOnClose } from './linger.js';

/**
 * After a 413 the request body was left unread; @hono/node-server then destroys the keep-alive socket
 * without telling the client (honojs/node-server#246), and the client's next request on it fails.
 * Saying `Connection: close` makes the client open a fresh connection instead, and the close lingers
 * ({@link lingerOnClose}) so a client still streaming the body reads the 413. Node only: Bun closes
 * early on its own.
 */
function closeAfterUnreadBody(fetch: TagrelayApp['fetch']): TagrelayApp['fetch'] {
  return async (request, env, ctx) => {
    const response = await fetch(request, env, ctx);
    if (response.status !== 413) return response;
    const socket = (env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket;
    if (socket) lingerOnClose(socket);
    const headers = new Headers(response.headers);
    headers.set('connection', 'close');
    return new Response(response.body, { status: response.status, headers });
  };
}

/** A running server. */
export interface RunningServer {
  app: TagrelayApp;
  port: number;
  host: string;
  /** Stop accepting, flush the outbox, stop the worker, close the store. */
  stop(): Promise<void>;
}

/**
 * @example
 * const server = await startServer(config, { port: 0, host: '127.0.0.1' })
 */
export async function startServer(config: Config, opts: { port?: number; host?: string; dataDir?: string } = {}): Promise<RunningServer> {
  const log = jsonLogger();
  const dataDir = resolve(opts.dataDir ?? process.env.TAGRELAY_DATA_DIR ?? config.server.data_dir);
  // ioredis is loaded only for a clustered store.
  const redis = config.store.kind === 'redis' ? (await import('./redis.js')).createRedisPort(config.store, log) : undefined;
  // With Redis, the worker claims through consumer groups in this event loop (no delivery thread).
  const app = createApp(config, nodeRuntime({ dataDir, log, redis, deliveryThread: config.delivery.thread && !redis }));
  await app.services.ready;
  const host = opts.host ?? process.env.HOST ?? config.server.host;
  const wanted = opts.port ?? (process.env.PORT !== undefined ? Number(process.env.PORT) : config.server.port);
  const server = await new Promise<ReturnType<typeof serve>>((ok, fail) => {
    const s = serve({ fetch: closeAfterUnreadBody(app.fetch), port: wanted, hostname: host }, () => ok(s));
    s.once('error', fail);
  });
  const port = (server.address() as AddressInfo).port;
  log.info('tagrelay listening', { host, port, data_dir: dataDir, destinations: config.destinations.length });
  let stopping: Promise<void> | undefined;
  return {
    app,
    port,
    host,
    stop() {
      stopping ??= (async () => {
        // Live debug streams end first: an open stream would hold close() open.
        app.services.debug.closeAll('debug.server_stopping');
        await new Promise<void>((done) => {
          server.close(() => done());
          // Keep-alive sockets would hold close() open; they get no new requests once closing.
          (server as unknown as { closeIdleConnections?: () => void }).closeIdleConnections?.();
        });
        await app.services.close();
        log.info('tagrelay stopped');
      })();
      return stopping;
    },
  };
}

/** Stop on SIGTERM/SIGINT; a second signal exits at once. */
export function stopOnSignals(server: RunningServer): void {
  let signalled = false;
  const onSignal = (signal: string) => {
    if (signalled) process.exit(1);
    signalled = true;
    jsonLogger().info('shutting down', { signal });
    server.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}
