/**
 * @module Journey triggers at fire time: claim due timers atomically, re-check consent against the
 * visitor's latest state, and emit the event as a record through the outbox (only to the trigger's destinations).
 */
import type { Logger, SqlDb, SqlStatement } from '../ports.js';
import type { ConsentValue } from '../consent/purposes.js';
import type { EventRecord, RecordRow } from '../delivery/record.js';
import { allGranted } from '../consent/purposes.js';
import { readRecord } from '../delivery/record.js';
import { triggerEventId, type CompiledTrigger, type TriggerSnapshot } from './triggers.js';

/** What firing needs. */
export interface TriggerFirerDeps {
  db: SqlDb;
  triggers: readonly CompiledTrigger[];
  /** The outbox's append: the emitted record and the timer's `fired` state commit together. */
  append(records: readonly EventRecord[], extra: readonly SqlStatement[]): Promise<boolean[]>;
  now(): number;
  log: Logger;
  configVersion(): string;
}

/** Fires due timers; runs from the delivery worker's poll and drain. */
export interface TriggerFirer {
  /** Fire (or cancel) every timer due now; resolves with the number of events emitted. Runs one at a time. */
  fire(): Promise<number>;
}

/** A claimed timer as firing reads it. */
export interface TimerRow {
  trigger_id: string;
  key: string;
  armed_at: number;
  started_at: number;
  starts: number;
  source_event_id: string;
  client_key: string | null;
  snapshot: string;
}

/** The emitted event: the source record's identity, consent and context; the params as they stood at the last start. */
export function emittedRecord(t: CompiledTrigger, row: Pick<TimerRow, 'key' | 'armed_at' | 'snapshot'>, source: EventRecord, now: number, configVersion: string): EventRecord {
  const snapshot = JSON.parse(row.snapshot) as TriggerSnapshot;
  const record: EventRecord = {
    event_id: triggerEventId(t.id, row.key, row.armed_at),
    name: t.emit.name,
    time: now,
    received_at: now,
    params: { ...snapshot.params, ...t.emit.params?.set },
    page: source.page,
    client: source.client,
    consent_state: source.consent_state,
    source: source.source,
    removed: { headers: false, cookies: false },
    identity: source.identity,
    notes: [`trigger.fired:${t.id}`],
    config_version: configVersion,
    derived_from: { event_id: source.event_id, rule_id: t.id },
    only_destinations: [...t.destinations],
  };
  if (snapshot.items) record.items = snapshot.items;
  if (source.device) record.device = source.device;
  if (source.geo) record.geo = source.geo;
  if (source.campaign) record.campaign = source.campaign;
  if (source.accept_language !== undefined) record.accept_language = source.accept_language;
  return record;
}

/** A claim older than this is taken over (its instance died between claim and commit). */
export const FIRE_LEASE_MS = 30_000;
/** Timers handled per round. */
const ROUND = 200;

const SELECT_DUE =
  'SELECT trigger_id, key, armed_at, started_at, starts, source_event_id, client_key, snapshot FROM trigger_timers ' +
  "WHERE (state = 'armed' AND fire_at <= ?) OR (state = 'firing' AND claimed_at <= ?) ORDER BY fire_at LIMIT ?";
/** The claim: only one caller sees a change (another instance, or a restart, sees 0 and moves on). */
const CLAIM =
  "UPDATE trigger_timers SET state = 'firing', claimed_at = ?, updated_at = ? WHERE trigger_id = ? AND key = ? AND armed_at = ? " +
  "AND ((state = 'armed' AND fire_at <= ?) OR (state = 'firing' AND claimed_at <= ?))";
const SETTLE = "UPDATE trigger_timers SET state = ?, reason = ?, updated_at = ? WHERE trigger_id = ? AND key = ? AND armed_at = ? AND state = 'firing'";
const SOURCE = 'SELECT seq, event_id, ip, user_agent, data FROM records WHERE event_id = ?';
const LATEST = { client: 'SELECT data FROM records WHERE client_key = ? ORDER BY seq DESC LIMIT 1', user: 'SELECT data FROM records WHERE user_key = ? ORDER BY seq DESC LIMIT 1' };
const AUDIT = 'SELECT state FROM consent_audit WHERE client_id = ? AND time >= ? ORDER BY time, id';

/**
 * @example
 * const firer = createTriggerFirer({ db, triggers, append: outbox.append, now, log, configVersion: () => version })
 * await firer.fire()
 */
export function createTriggerFirer(deps: TriggerFirerDeps): TriggerFirer {
  const { db, log } = deps;
  const byId = new Map(deps.triggers.map((t) => [t.id, t]));

  const settle = (row: TimerRow, state: string, reason: string | null, now: number): SqlStatement => ({
    sql: SETTLE,
    params: [state, reason, now, row.trigger_id, row.key, row.armed_at],
  });

  /**
   * The visitor's latest consent still grants what the trigger requires: the newest record of the key,
   * and the choices sent to POST /v1/consent since the last start (each names only the purposes decided).
   */
  async function stillGranted(t: CompiledTrigger, row: TimerRow): Promise<boolean> {
    if (t.requires.length === 0) return true;
    const latest = await db.get<{ data: string }>(LATEST[t.per], [row.key]);
    if (latest && !allGranted((JSON.parse(latest.data) as EventRecord).consent_state, t.requires)) return false;
    if (!row.client_key) return true;
    const choices = await db.all<{ state: string }>(AUDIT, [row.client_key, row.started_at]);
    const now: Partial<Record<string, ConsentValue>> = {};
    for (const c of choices) Object.assign(now, JSON.parse(c.state) as Record<string, ConsentValue>);
    return t.requires.every((p) => now[p] !== 'denied');
  }

  /** One claimed timer: emitted, or settled without an event and with the reason. */
  async function fireOne(row: TimerRow, now: number): Promise<boolean> {
    const t = byId.get(row.trigger_id);
    let reason: string | undefined;
    let source: (RecordRow & { event_id: string }) | undefined;
    if (!t) reason = 'trigger.removed';
    else if (t.count !== undefined && row.starts < t.count) reason = 'trigger.count_not_reached';
    else if (!(source = await db.get<RecordRow & { event_id: string }>(SOURCE, [row.source_event_id]))) reason = 'trigger.source_missing';
    else if (!(await stillGranted(t, row))) reason = 'trigger.consent_withdrawn';
    if (reason !== undefined || !t || !source) {
      const state = reason === 'trigger.count_not_reached' ? 'expired' : 'cancelled';
      await db.batch([settle(row, state, reason ?? null, now)]);
      log.info('trigger settled without firing', { trigger: row.trigger_id, reason });
      return false;
    }
    const record = emittedRecord(t, row, readRecord(source), now, deps.configVersion());
    await deps.append([record], [settle(row, 'fired', null, now)]);
    log.info('trigger fired', { trigger: t.id, event_id: record.event_id });
    return true;
  }

  async function fireDue(): Promise<number> {
    let fired = 0;
    for (;;) {
      const now = deps.now();
      const rows = await db.all<TimerRow>(SELECT_DUE, [now, now - FIRE_LEASE_MS, ROUND]);
      for (const row of rows) {
        const { changes } = await db.run(CLAIM, [now, now, row.trigger_id, row.key, row.armed_at, now, now - FIRE_LEASE_MS]);
        if (changes !== 1) continue;
        try {
          if (await fireOne(row, now)) fired++;
        } catch (err) {
          // Left claimed: taken over once the lease ends; the emitted id is the same, so never twice.
          log.warn('trigger fire failed', { trigger: row.trigger_id, error: (err instanceof Error ? err.message : String(err)).slice(0, 200) });
        }
      }
      if (rows.length < ROUND) return fired;
    }
  }

  return serialFirer(fireDue);
}

/**
 * A firer that runs `fireDue` one round at a time: a call while a round runs queues one more round
 * (shared by every caller meanwhile), so timers due during a round are not missed.
 */
export function serialFirer(fireDue: () => Promise<number>): TriggerFirer {
  let queued: Promise<number> | undefined;
  let tail: Promise<unknown> = Promise.resolve();
  return {
    fire() {
      if (queued) return queued;
      const run = tail.then(() => {
        queued = undefined;
        return fireDue();
      });
      queued = run;
      tail = run.catch(() => 0);
      return run;
    },
  };
}
