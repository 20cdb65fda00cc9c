/**
 * @module The `store` config key: the embedded SQLite store (one instance, the default) or Redis
 * (many instances behaving as one: docs/scale-out.md).
 */
import { z } from 'zod';
import { duration } from '../config/duration.js';

const sqliteStore = z.object({ kind: z.literal('sqlite') }).strict();

const redisStore = z
  .object({
    kind: z.literal('redis'),
    /** `redis://[:password@]host:port[/db]` or `rediss://…`; usually `${TAGRELAY_REDIS_URL}` (never logged). */
    url: z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL'),
    /** Prefix of every key tagrelay writes (several deployments can share one Redis). */
    prefix: z.string().regex(/^[A-Za-z0-9:_{}-]{1,64}$/, 'letters, digits, : _ - { } (at most 64)').default('tagrelay:'),
    /**
     * A claimed delivery (or a fired timer) whose instance has not touched it for this long is taken
     * over by another instance (XAUTOCLAIM): bounds how long a dead instance's work waits.
     * Live instances refresh their claims well before this.
     */
    claim_idle: duration.prefault('30s'),
    /** How long a command may wait for Redis before the request fails (503). */
    command_timeout: duration.prefault('5s'),
  })
  .strict();

/** `store: { kind: sqlite }` (default) or `store: { kind: redis, url }`. */
export const storeConfigSchema = z.discriminatedUnion('kind', [sqliteStore, redisStore]).prefault({ kind: 'sqlite' });

/** The store settings after defaults. */
export type StoreConfig = z.infer<typeof storeConfigSchema>;
/** The Redis store settings. */
export type RedisStoreConfig = Extract<StoreConfig, { kind: 'redis' }>;
