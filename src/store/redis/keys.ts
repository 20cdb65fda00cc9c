/**
 * @module Key names of the Redis store, all under the configured prefix.
 */

/** The keys one deployment uses. */
export interface RedisKeys {
  prefix: string;
  /** The record log: one stream entry per accepted event; a consumer group per destination. */
  records: string;
  /** Due journey-trigger timers: a sorted set scored by fire time (claimed: by lease end). */
  timers: string;
  /** Retries of one destination: a sorted set of stream ids scored by next attempt (claimed: by lease end). */
  retry(destination: string): string;
  /** Attempts made per stream id waiting for a retry. */
  attempts(destination: string): string;
  /** Dead letters of one destination (a stream). */
  dead(destination: string): string;
  /** Outcome counters of one destination (a hash). */
  stats(destination: string): string;
  /** An open circuit breaker of one destination: epoch ms until which no instance sends. */
  breaker(destination: string): string;
  /** Alarm counters of one 5-minute bucket (a hash of `metric<TAB>key` → count, expiring after the alarms' history). */
  alarmBucket(bucket: number): string;
  /** When each event name was last received (a hash). */
  alarmLast: string;
  /** When the alarm counters started. */
  alarmSince: string;
  /** The alarm evaluator's lease (its owner). */
  alarmLease: string;
  /** The alarms open across instances (a hash: alarm key → alarm JSON). */
  alarmOpen: string;
}

/** @example const keys = redisKeys('tagrelay:') */
export function redisKeys(prefix: string): RedisKeys {
  return {
    prefix,
    records: `${prefix}records`,
    timers: `${prefix}timers`,
    retry: (d) => `${prefix}retry:${d}`,
    attempts: (d) => `${prefix}attempts:${d}`,
    dead: (d) => `${prefix}dead:${d}`,
    stats: (d) => `${prefix}stats:${d}`,
    breaker: (d) => `${prefix}breaker:${d}`,
    alarmBucket: (b) => `${prefix}alarm:b:${b}`,
    alarmLast: `${prefix}alarm:last`,
    alarmSince: `${prefix}alarm:since`,
    alarmLease: `${prefix}alarm:lease`,
    alarmOpen: `${prefix}alarm:open`,
  };
}
