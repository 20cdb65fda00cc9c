/**
 * @module Journey triggers at accept: a start arms (or re-arms) a durable timer per trigger and visitor
 * key, a cancel event or a consent withdrawal cancels it — as SQL statements that commit with the records.
 */
import type { Item, Scalar } from '../event.js';
import type { SqlStatement } from '../ports.js';
import type { Purpose } from '../consent/purposes.js';
import type { EventRecord } from '../delivery/record.js';
import { allGranted } from '../consent/purposes.js';
import { asList } from './conversions-config.js';
import { quickHashHex } from './conversions.js';
import type { Trigger } from './triggers-config.js';

/** A trigger ready to match. */
export interface CompiledTrigger {
  id: string;
  starts: ReadonlySet<string>;
  cancels: ReadonlySet<string>;
  per: 'client' | 'user';
  /** Timed form: ms after the last start. */
  after?: number;
  /** Count form: starts needed within `within` ms of the first. */
  count?: number;
  within?: number;
  emit: Trigger['emit'];
  requires: readonly Purpose[];
  destinations: readonly string[];
}

/** The visitor's pseudonymous keys (HMAC-SHA-256 with the configured salt): never a clear id. */
export interface TriggerKeys {
  client?: string;
  user?: string;
}

/** What a timer keeps for the event it emits, as it stood at the last start (scrubbed like the record). */
export interface TriggerSnapshot {
  params: Record<string, Scalar>;
  items?: Item[];
}

/** @example const triggers = compileTriggers(config.triggers) */
export function compileTriggers(list: readonly Trigger[]): CompiledTrigger[] {
  return list.map((t) => ({
    id: t.id,
    starts: new Set(asList(t.start)),
    cancels: new Set(t.cancel),
    per: t.per,
    after: t.after,
    count: t.count,
    within: t.within,
    emit: t.emit,
    requires: t.requires,
    destinations: t.destinations,
  }));
}

/** The params and items a start leaves for the emitted event (`emit.params.copy`). */
export function snapshotOf(record: EventRecord, trigger: CompiledTrigger): TriggerSnapshot {
  const snapshot: TriggerSnapshot = { params: {} };
  for (const name of trigger.emit.params?.copy ?? []) {
    if (name === 'items') {
      if (record.items) snapshot.items = record.items.map((i) => ({ ...i }));
    } else if (record.params[name] !== undefined) snapshot.params[name] = record.params[name]!;
  }
  return snapshot;
}

/**
 * The id of the event a trigger emits for one arming: the same trigger, key and arming time always
 * give the same id, so a fire repeated after a crash or by a second instance is a duplicate the
 * record log ignores.
 */
export function triggerEventId(triggerId: string, key: string, armedAt: number): string {
  return `t-${quickHashHex(`${triggerId}\n${key}\n${armedAt}`)}`;
}

const COLUMNS =
  'INSERT INTO trigger_timers (trigger_id, key, state, armed_at, started_at, last_time, fire_at, starts, source_event_id, client_key, snapshot, reason, claimed_at, updated_at) ' +
  "VALUES (?, ?, 'armed', ?, ?, ?, ?, 1, ?, ?, ?, NULL, NULL, ?) ON CONFLICT (trigger_id, key) DO UPDATE SET ";
const REFRESH =
  "state = 'armed', started_at = excluded.started_at, last_time = excluded.last_time, source_event_id = excluded.source_event_id, " +
  'client_key = excluded.client_key, snapshot = excluded.snapshot, reason = NULL, claimed_at = NULL, updated_at = excluded.updated_at ' +
  // A replayed or late start (event time not after the last start or cancel) changes nothing.
  "WHERE excluded.last_time > trigger_timers.last_time OR (excluded.last_time = trigger_timers.last_time AND trigger_timers.state = 'armed' AND excluded.source_event_id <> trigger_timers.source_event_id)";
/** Timed: a start while armed pushes the fire time back (the visitor is still active); after a fire or cancel it arms a new cycle. */
const ARM_TIMED =
  COLUMNS +
  "armed_at = CASE WHEN state = 'armed' THEN armed_at ELSE excluded.armed_at END, starts = CASE WHEN state = 'armed' THEN starts + 1 ELSE 1 END, fire_at = excluded.fire_at, " +
  REFRESH;
/** Count: a start inside the open window counts; otherwise it opens a new window. */
const OPEN = "(state = 'armed' AND fire_at > excluded.started_at)";
const ARM_COUNT =
  COLUMNS +
  `armed_at = CASE WHEN ${OPEN} THEN armed_at ELSE excluded.armed_at END, starts = CASE WHEN ${OPEN} THEN starts + 1 ELSE 1 END, ` +
  `fire_at = CASE WHEN ${OPEN} THEN fire_at ELSE excluded.fire_at END, ` +
  REFRESH;
const CANCEL =
  "UPDATE trigger_timers SET state = 'cancelled', reason = ?, last_time = ?, updated_at = ? WHERE trigger_id = ? AND key = ? AND state = 'armed' AND last_time <= ?";

/** A timer statement's operation, for a store that is not SQL (src/store/redis): the same semantics as the statement. */
export type TimerOp =
  | { op: 'arm'; form: 'timed' | 'count'; trigger_id: string; key: string; now: number; time: number; fire_at: number; source_event_id: string; client_key: string | null; snapshot: string }
  | { op: 'cancel'; trigger_id: string; key: string; now: number; time: number; reason: string };

/** The operation of a statement {@link triggerStatements} made, or undefined for any other statement. */
export function timerOpOf(s: SqlStatement): TimerOp | undefined {
  const p = s.params ?? [];
  if (s.sql === ARM_TIMED || s.sql === ARM_COUNT) {
    return {
      op: 'arm',
      form: s.sql === ARM_TIMED ? 'timed' : 'count',
      trigger_id: p[0] as string,
      key: p[1] as string,
      now: p[2] as number,
      time: p[4] as number,
      fire_at: p[5] as number,
      source_event_id: p[6] as string,
      client_key: p[7] as string | null,
      snapshot: p[8] as string,
    };
  }
  if (s.sql === CANCEL) return { op: 'cancel', reason: p[0] as string, time: p[1] as number, now: p[2] as number, trigger_id: p[3] as string, key: p[4] as string };
  return undefined;
}

/**
 * The timer statements one accepted record produces, for the group commit that stores it (durable
 * together): per trigger whose key the record has, a start arms, a cancel event cancels, and an event
 * whose consent lacks a purpose the trigger requires cancels with `trigger.consent_withdrawn` (and
 * arms nothing). Pure.
 *
 * @example
 * outbox.append(records, records.flatMap((r) => triggerStatements(r, keysOf(r), triggers)))
 */
export function triggerStatements(record: EventRecord, keys: TriggerKeys, triggers: readonly CompiledTrigger[]): SqlStatement[] {
  const out: SqlStatement[] = [];
  if (record.quarantine) return out;
  const now = record.received_at;
  const cancel = (t: CompiledTrigger, key: string, reason: string) =>
    out.push({ sql: CANCEL, params: [reason, record.time, now, t.id, key, record.time] });
  for (const t of triggers) {
    const key = t.per === 'user' ? keys.user : keys.client;
    if (!key) continue;
    // GDPR Art. 7(3): a withdrawal stops what the earlier consent allowed, from now on.
    if (!allGranted(record.consent_state, t.requires)) {
      cancel(t, key, 'trigger.consent_withdrawn');
      continue;
    }
    if (t.starts.has(record.name)) {
      const fireAt = now + (t.count !== undefined ? t.within! : t.after!);
      out.push({
        sql: t.count !== undefined ? ARM_COUNT : ARM_TIMED,
        params: [t.id, key, now, now, record.time, fireAt, record.event_id, keys.client ?? null, JSON.stringify(snapshotOf(record, t)), now],
      });
    } else if (t.cancels.has(record.name)) {
      cancel(t, key, `trigger.cancelled:${record.name}`);
    }
  }
  return out;
}
