/**
 * @module The Redis store of one instance: the outbox (dedupe + record log), the delivery source
 * (consumer groups), the trigger firer, and its health — what services.ts swaps in with `store.kind: redis`.
 */
import type { Logger, SqlDb, SqlStatement } from '../../ports.js';
import type { Outbox } from '../../delivery/outbox.js';
import type { EventRecord } from '../../delivery/record.js';
import type { DeliverySource } from '../../delivery/source.js';
import type { CompiledTrigger } from '../../rules/triggers.js';
import type { TriggerFirer } from '../../rules/triggers-fire.js';
import type { RedisStoreConfig } from '../config.js';
import type { RedisPort } from './port.js';
import { redisKeys } from './keys.js';
import { createRedisOutbox } from './outbox.js';
import { createRedisSource } from './source.js';
import { createRedisFirer } from './triggers.js';
import { redisAlarms } from './alarms.js';
import type { AlarmCluster, AlarmCounterStore } from '../../alarms/counters.js';

/** The Redis parts of one instance. */
export interface RedisStore {
  source: DeliverySource;
  /** The outbox; `onCommit` is told the records that were new. */
  outbox(onCommit: (stored: readonly EventRecord[]) => void, alongside: () => SqlStatement[]): Outbox;
  firer(deps: { triggers: readonly CompiledTrigger[]; append: Outbox['append']; configVersion(): string }): TriggerFirer;
  /** The alarms' counters and coordination across instances (createAlarms' `counters` and `cluster`). */
  alarms(): { counters: AlarmCounterStore; cluster: AlarmCluster };
  /** Connect (bounded wait). */
  connect(): Promise<void>;
  /** Why Redis cannot take writes now, or undefined. */
  fault(): Promise<string | undefined>;
  close(): Promise<void>;
}

/**
 * @example
 * const store = createRedisStore({ redis: runtime.redis, config: config.store, dedupeWindow, db, log, now, randomHex, defer })
 */
export function createRedisStore(deps: {
  redis: RedisPort;
  config: RedisStoreConfig;
  dedupeWindow: number;
  db: SqlDb;
  log: Logger;
  now(): number;
  randomHex(bytes: number): string;
  defer(fn: () => void): void;
  /** How long alarm counters live (the alarms' history); 0 or absent: alarms off, nothing counted. */
  alarmKeepMs?: number;
}): RedisStore {
  const { redis, config, log } = deps;
  const keys = redisKeys(config.prefix);
  // One consumer name per process: a restarted instance is a new consumer, and its old claims are taken over.
  const consumer = `c-${deps.randomHex(8)}`;
  return {
    source: createRedisSource({ redis, keys, consumer, claimIdle: config.claim_idle, db: deps.db, now: deps.now, log, alarmKeepMs: deps.alarmKeepMs }),
    outbox: (onCommit, alongside) =>
      createRedisOutbox({ redis, keys, windowMs: deps.dedupeWindow, onCommit, alongside, schedule: deps.defer, db: deps.db, log, alarmKeepMs: deps.alarmKeepMs }),
    firer: (f) => createRedisFirer({ redis, keys, triggers: f.triggers, append: (r) => f.append(r), lease: config.claim_idle, now: deps.now, log, configVersion: f.configVersion }),
    alarms: () => redisAlarms({ redis, keys, db: deps.db }),
    connect: () => redis.connect(10_000),
    async fault() {
      try {
        // A write, like the embedded store's probe: a read-only replica or a full Redis answers with an error.
        await redis.call('SET', `${keys.prefix}readyz`, String(deps.now()), 'PX', 60_000);
        return undefined;
      } catch (err) {
        return `store: redis: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}`;
      }
    },
    close: () => redis.close(),
  };
}
