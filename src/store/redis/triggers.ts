/**
 * @module Journey triggers on Redis: due timers are claimed by lease in one script (one instance
 * fires each), and the emitted record goes through the outbox, whose `SET NX` on the emitted event's
 * deterministic id makes a fire repeated after a crash a duplicate: a trigger armed on one instance
 * fires once, from whichever instance claims it.
 */
import type { Logger } from '../../ports.js';
import type { EventRecord } from '../../delivery/record.js';
import type { CompiledTrigger } from '../../rules/triggers.js';
import { emittedRecord, serialFirer, type TriggerFirer } from '../../rules/triggers-fire.js';
import type { RedisPort } from './port.js';
import type { RedisKeys } from './keys.js';
import { CLAIM_TIMERS, SETTLE_TIMER } from './scripts.js';

/** What firing needs. */
export interface RedisFirerDeps {
  redis: RedisPort;
  keys: RedisKeys;
  triggers: readonly CompiledTrigger[];
  append(records: readonly EventRecord[]): Promise<boolean[]>;
  /** A claim not settled this long (its instance died) is claimed again. */
  lease: number;
  now(): number;
  log: Logger;
  configVersion(): string;
}

const ROUND = 200;

/**
 * Consent at fire time: a later event of the visitor without a required purpose cancelled the timer
 * at accept (the commit script applies the cancel). Choices sent to POST /v1/consent are recorded by
 * the instance that received them and are not consulted here (docs/scale-out.md).
 *
 * @example
 * const firer = createRedisFirer({ redis, keys, triggers, append: (r) => outbox.append(r), lease: 30_000, now, log, configVersion })
 */
export function createRedisFirer(deps: RedisFirerDeps): TriggerFirer {
  const { redis, keys, log } = deps;
  const byId = new Map(deps.triggers.map((t) => [t.id, t]));
  const settle = (member: string, armedAt: string, state: string, reason: string) => redis.eval(SETTLE_TIMER, [keys.timers], [keys.prefix, member, armedAt, state, reason]);

  async function fireDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const now = deps.now();
      const rows = (await redis.eval(CLAIM_TIMERS, [keys.timers], [keys.prefix, now, deps.lease, ROUND])) as string[][];
      for (const [member, armedAt, , starts, , , snapshot, source] of rows as [string, string, string, string, string, string, string, string][]) {
        const at = member.indexOf(':');
        const t = byId.get(member.slice(0, at));
        const key = member.slice(at + 1);
        try {
          let reason: string | undefined;
          if (!t) reason = 'trigger.removed';
          else if (t.count !== undefined && Number(starts) < t.count) reason = 'trigger.count_not_reached';
          else if (!source) reason = 'trigger.source_missing';
          if (reason !== undefined || !t) {
            await settle(member, armedAt, reason === 'trigger.count_not_reached' ? 'expired' : 'cancelled', reason ?? '');
            log.info('trigger settled without firing', { trigger: member.slice(0, at), reason });
            continue;
          }
          const record = emittedRecord(t, { key, armed_at: Number(armedAt), snapshot }, JSON.parse(source) as EventRecord, now, deps.configVersion());
          const [isNew] = await deps.append([record]);
          await settle(member, armedAt, 'fired', '');
          if (isNew) fired++;
          log.info('trigger fired', { trigger: t.id, event_id: record.event_id, duplicate: !isNew });
        } catch (err) {
          // Left claimed: claimed again once the lease ends; the emitted id is the same, so never twice.
          log.warn('trigger fire failed', { trigger: member.slice(0, at), error: (err instanceof Error ? err.message : String(err)).slice(0, 200) });
        }
      }
      if (rows.length < ROUND) return fired;
    }
  }

  return serialFirer(fireDue);
}
