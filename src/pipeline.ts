/**
 * @module The path of one event after ingest: dedupe → identify → consent → enrich → rules → route.
 *
 * Each stage is a call into its module; a stage that decides against an event returns a reason
 * instead of throwing. The result is a set of outbox rows and decision records, written by the caller.
 */
import type { Event } from './event.js';
import type { Config } from './config/schema.js';
import type { Deduper } from './rules/dedupe.js';
import type { ActiveDestination } from './delivery/worker.js';
import type { DecisionRow, OutboxRow } from './delivery/outbox.js';
import { resolveConsent } from './consent/resolve.js';
import { gate } from './consent/gate.js';

/** What the stages need besides the event. */
export interface PipelineDeps {
  config: Config;
  deduper: Deduper;
  destinations: ActiveDestination[];
}

/** What one batch of events produced. */
export interface Routed {
  rows: OutboxRow[];
  decisions: DecisionRow[];
  duplicates: number;
}

/** Foundation minimization: destinations never see clear personal data. */
function withoutClearPii(event: Event): Event {
  const { user_id } = event.user;
  return { ...event, user: user_id === undefined ? {} : { user_id } };
}

/** Run the stages for each event of a batch. */
export async function routeEvents(events: Event[], deps: PipelineDeps): Promise<Routed> {
  const out: Routed = { rows: [], decisions: [], duplicates: 0 };
  for (const event of events) {
    // 1. dedupe: a duplicate is acknowledged, not processed again
    if (deps.deduper.seen(event.event_id)) {
      out.duplicates++;
      continue;
    }
    // 2. consent: signals → state with reasons
    event.consent_state = resolveConsent({ signals: event.consent, headers: event.request.headers }, deps.config.consent);
    // 3. route: per destination gate → minimize → map
    for (const dest of deps.destinations) {
      const { config, kind } = dest;
      const verdict = gate(event.consent_state, {
        requires: config.requires ?? kind.requires,
        whenDenied: config.when_denied ?? kind.whenDenied,
        tcfVendorId: config.tcf_vendor_id,
      });
      const base = { destination_id: config.id, event_id: event.event_id, at: event.received_at };
      if (verdict.mode === 'drop') {
        out.decisions.push({ ...base, status: 'dropped', reasons: verdict.reasons });
        continue;
      }
      const mapped = kind.map(withoutClearPii(event), config, { mode: verdict.mode, reasons: verdict.reasons });
      if ('skip' in mapped) {
        out.decisions.push({ ...base, status: 'skipped', reasons: [...verdict.reasons, mapped.skip] });
        continue;
      }
      out.rows.push({ destination_id: config.id, event_id: event.event_id, payload: mapped.payload, created_at: event.received_at });
      // Fixes made to fit the vendor's limits (truncations) are recorded with the decision.
      if (mapped.notes && mapped.notes.length > 0) out.decisions.push({ ...base, status: 'queued', reasons: [...verdict.reasons, ...mapped.notes] });
    }
  }
  return out;
}
