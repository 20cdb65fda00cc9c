/**
 * @module decide(record, destination): the one pure function that says what one event becomes at one
 * destination — gate by purposes → minimize → map, with every reason. Delivery sends what it returns;
 * `/v1/explain` and `tagrelay explain` show what it returns: so what explain shows is what is sent.
 */
import type { Destination, RouteAction } from '../destinations/types.js';
import type { DestinationConfig } from '../destinations/index.js';
import type { EventRecord } from './record.js';
import { gate } from '../consent/gate.js';
import { minimize } from '../privacy/minimize.js';
import { recordEvent } from './record.js';

/** A configured destination with its kind. */
export interface ActiveDestination {
  config: DestinationConfig;
  kind: Destination<any, any>;
}

/** What happens to one event at one destination, and why. `payload` is set when something is sent. */
export interface Decision {
  destination_id: string;
  action: RouteAction;
  reasons: string[];
  payload?: unknown;
}

/**
 * Decide one record for one destination. Pure: the same record and configuration always give the
 * same decision (the record carries the consent decided at accept; it is never re-decided).
 *
 * @example
 * const d = decide(record, { config, kind: registry[config.type] })
 * if (d.payload !== undefined) queue(d.payload)
 */
export function decide(record: EventRecord, dest: ActiveDestination): Decision {
  const { config, kind } = dest;
  if (record.only_destinations && !record.only_destinations.includes(config.id)) return { destination_id: config.id, action: 'skip', reasons: ['trigger.not_a_target'] };
  const verdict = gate(record.consent_state, {
    requires: config.requires ?? kind.requires,
    whenDenied: config.when_denied ?? kind.whenDenied,
    tcfVendorId: config.tcf_vendor_id,
  });
  if (verdict.action === 'drop') return { destination_id: config.id, action: 'drop', reasons: verdict.reasons };
  const minimized = minimize(recordEvent(record), {
    hashing: kind.privacy.hashing,
    vendorIds: kind.privacy.vendorIds,
    action: verdict.action,
    privacy: config.privacy,
    prepared: record.identity,
    defaultIp: kind.privacy.ip,
    removed: record.removed,
  });
  const reasons = [...verdict.reasons, ...record.notes, ...record.identity.notes, ...minimized.reasons];
  const mapped = kind.map(minimized.event, config, { action: verdict.action, reasons: verdict.reasons });
  if ('skip' in mapped) return { destination_id: config.id, action: 'skip', reasons: [...reasons, mapped.skip] };
  if (mapped.notes) reasons.push(...mapped.notes);
  return { destination_id: config.id, action: verdict.action, reasons, payload: mapped.payload };
}
