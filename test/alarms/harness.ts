/**
 * Alarm test harness: the real Node runtime on an in-memory SQLite store, a hand-moved clock, the
 * store's schema, synthetic traffic and an evaluator ticked every `step` while time advances.
 */
import { nodeRuntime } from '../../src/runtime/node/runtime.js';
import { migrate } from '../../src/store/schema.js';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { createAlarms, type Alarms, type TickResult } from '../../src/alarms/alarms.js';
import type { Alarm } from '../../src/alarms/message.js';
import type { FetchLike } from '../../src/ports.js';
import { captureLog, clock } from '../helpers/runtime.js';
import { createTraffic, SLOT, T0, type Fault } from './traffic.js';

/** Every alarm kind on, webhooks as given. */
export function allOn(extra: NonNullable<ConfigInput['alarms']> = {}): NonNullable<ConfigInput['alarms']> {
  return {
    volume: { enabled: true },
    plan_violations: { enabled: true },
    consent_denied: { enabled: true },
    match_quality: { enabled: true },
    ...extra,
  };
}

export async function harness(opts: { seed: number; faults?: Fault[]; alarms?: ConfigInput['alarms']; file?: string; fetch?: FetchLike; start?: number }) {
  const now = clock(opts.start ?? T0);
  const log = captureLog();
  const open = () => nodeRuntime({ dataDir: '', file: opts.file ?? ':memory:', log, now, ...(opts.fetch ? { fetch: opts.fetch } : {}) });
  let runtime = open();
  await migrate(runtime.db);
  const config = configSchema.parse({ alarms: opts.alarms ?? {} }).alarms;
  const traffic = createTraffic({ seed: opts.seed, faults: opts.faults });
  const make = () => createAlarms({ db: runtime.db, config, fetch: runtime.fetch, now, log, randomHex: runtime.randomHex });
  let alarms: Alarms = make();
  const fired: (Alarm & { at: number })[] = [];
  const resolved: (Alarm & { at: number })[] = [];
  let written = now.now;
  const ticks: TickResult[] = [];
  return {
    now,
    log,
    get runtime() {
      return runtime;
    },
    traffic,
    fired,
    resolved,
    ticks,
    get alarms() {
      return alarms;
    },
    /** A restart: the evaluator and the store closed, the store file opened again, a new evaluator. */
    async restart() {
      if (!opts.file) throw new Error('a restart needs a store file');
      await alarms.close();
      await runtime.db.close();
      runtime = open();
      await migrate(runtime.db);
      alarms = make();
    },
    /** Write traffic up to `to` without evaluating (history before the evaluator ran). */
    async fill(to: number) {
      await traffic.write(runtime.db, written, to);
      written = to;
      now.now = to;
    },
    /** Advance to `to`, writing traffic slot by slot and ticking every `step` (default: each slot, a minute in). */
    async run(to: number, step = SLOT) {
      while (now.now + step <= to) {
        const next = now.now + step;
        if (next > written) {
          await traffic.write(runtime.db, written, next - (next % SLOT));
          written = Math.max(written, next - (next % SLOT));
        }
        now.now = next;
        const r = await alarms.tick();
        ticks.push(r);
        for (const a of r.fired) fired.push({ ...a, at: now.now });
        for (const a of r.resolved) resolved.push({ ...a, at: now.now });
      }
    },
    async close() {
      await alarms.close();
      await runtime.db.close();
    },
  };
}
