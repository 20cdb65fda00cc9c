/**
 * @module The Redis port: the few calls the Redis store makes, so the core never imports a client.
 * Node, Bun and Deno hand in ioredis (src/runtime/node/redis.ts); Workers keep D1 and Queues.
 */

/** A command argument (numbers are sent as their decimal text). */
export type RedisArg = string | number;

/** One command: its name, then its arguments. */
export type RedisCommand = readonly [command: string, ...args: RedisArg[]];

/** A Lua script, loaded once per connection (EVALSHA, EVAL on NOSCRIPT). */
export interface RedisScript {
  name: string;
  lua: string;
}

/**
 * One Redis server (a primary). Every call rejects when Redis does not answer within the configured
 * timeout or the connection is down: nothing waits in an offline queue, so a caller answers 503 at once.
 */
export interface RedisPort {
  /** Resolves once connected (rejects after `timeoutMs`). */
  connect(timeoutMs: number): Promise<void>;
  call(command: string, ...args: RedisArg[]): Promise<unknown>;
  /** Commands in one round trip, not atomic; each reply, or an `Error` in its place. */
  pipeline(commands: readonly RedisCommand[]): Promise<unknown[]>;
  /** Commands in one MULTI/EXEC transaction: all applied or none; rejects on any error. */
  multi(commands: readonly RedisCommand[]): Promise<unknown[]>;
  /** Run a script atomically. */
  eval(script: RedisScript, keys: readonly string[], args: readonly RedisArg[]): Promise<unknown>;
  close(): Promise<void>;
}
