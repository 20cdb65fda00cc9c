/**
 * @module The Redis port on ioredis (Node; Bun and Deno run ioredis too). No offline queue: a command
 * issued while the connection is down fails at once (ingest answers 503), and the client reconnects
 * on its own (recovery without a restart).
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../ports.js';
import type { RedisArg, RedisCommand, RedisPort, RedisScript } from '../../store/redis/port.js';
import type { RedisStoreConfig } from '../../store/config.js';

/** The host and port of a URL, for logs (never its password). */
function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '6379'}`;
  } catch {
    return 'redis';
  }
}

/**
 * @example
 * const redis = createRedisPort(config.store, log)
 * await redis.connect(10_000)
 */
export function createRedisPort(config: Pick<RedisStoreConfig, 'url' | 'command_timeout'>, log: Logger): RedisPort {
  const client = new Redis(config.url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: config.command_timeout,
    connectTimeout: 5000,
    // Reconnect for ever, at most every 1 s: Redis coming back is picked up without a restart.
    retryStrategy: (times) => Math.min(times * 100, 1000),
  });
  const at = where(config.url);
  let down = false;
  client.on('error', (err: Error) => {
    if (down) return;
    down = true;
    log.error('redis unreachable', { redis: at, error: err.message.slice(0, 200) });
  });
  client.on('ready', () => {
    if (down) log.info('redis reachable again', { redis: at });
    down = false;
  });
  const shas = new Map<string, string>();
  const sha = (s: RedisScript) => {
    let h = shas.get(s.name);
    if (!h) shas.set(s.name, (h = createHash('sha1').update(s.lua).digest('hex')));
    return h;
  };
  const send = (command: string, args: readonly RedisArg[]) => client.call(command, ...(args as (string | number)[]));
  return {
    async connect(timeoutMs) {
      if (client.status === 'ready') return;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const ready = new Promise<void>((ok) => client.once('ready', () => ok()));
      if (client.status === 'wait') client.connect().catch(() => undefined);
      try {
        await Promise.race([ready, new Promise((_, fail) => (timer = setTimeout(() => fail(new Error(`redis at ${at} did not answer within ${timeoutMs} ms`)), timeoutMs)))]);
      } finally {
        clearTimeout(timer);
      }
    },
    call: (command, ...args) => send(command, args),
    async pipeline(commands) {
      const replies = await client.pipeline(commands.map(([c, ...a]) => [c.toLowerCase(), ...a])).exec();
      return (replies ?? []).map(([err, value]) => err ?? value);
    },
    async multi(commands) {
      const replies = await client.multi(commands.map(([c, ...a]) => [c.toLowerCase(), ...a])).exec();
      if (!replies) throw new Error('redis transaction aborted');
      const failed = replies.find(([err]) => err);
      if (failed) throw failed[0]!;
      return replies.map(([, value]) => value);
    },
    async eval(script, keys, args) {
      const params = [keys.length, ...keys, ...args];
      try {
        return await send('EVALSHA', [sha(script), ...params]);
      } catch (err) {
        if (!String((err as Error).message).startsWith('NOSCRIPT')) throw err;
        return send('EVAL', [script.lua, ...params]);
      }
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}
