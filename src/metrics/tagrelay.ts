/**
 * @module tagrelay's metrics: what each part records, with label sets resolved up front (per route,
 * per destination, per reason on first sight), so the accept path pays a property increment per event.
 */
import type { Rejection } from '../ingest/types.js';
import type { EventOutcome } from '../pipeline.js';
import type { DeliveryObserver } from '../delivery/observer.js';
import { createRegistry, observe, type CounterFamily, type CounterSeries, type HistogramFamily, type HistogramSeries, type Registry } from './registry.js';

/** Seconds: vendor round trips and accept → delivered. */
export const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/** What the core records. */
export interface TagrelayMetrics {
  registry: Registry;
  /** One HTTP request answered (route pattern as registered, e.g. `/v1/events`; `unmatched` for 404s). */
  request(route: string, status: number): void;
  /** The outcomes of one accepted request and the rejections of its adapter and plan. */
  accept(outcomes: readonly EventOutcome[], rejected: readonly Rejection[]): void;
  /** Rejections of a request with no event left to accept (gtag lines, a refused body). */
  rejected(rejected: readonly Rejection[]): void;
  /** Delivery: decisions, vendor calls, settlements. */
  delivery: DeliveryObserver;
}

/** A one-label lookup whose series are created on first sight (label values are constants: no allocation after). */
function byLabel(family: CounterFamily, ...prefix: string[]): (label: string) => CounterSeries {
  const index = new Map<string, CounterSeries>();
  return (label) => {
    let s = index.get(label);
    if (!s) index.set(label, (s = family.with(...prefix, label)));
    return s;
  };
}

/**
 * @example
 * const metrics = createTagrelayMetrics(['ga4', 'meta'])
 * metrics.request('/v1/events', 202)
 */
export function createTagrelayMetrics(destinationIds: readonly string[]): TagrelayMetrics {
  const registry = createRegistry();
  const requests = registry.counter('tagrelay_http_requests_total', 'HTTP requests answered, by route pattern and status.', ['route', 'status']);
  const events = registry.counter('tagrelay_events_total', 'Events at the door, by outcome (accepted, derived, rejected, duplicate, bot) and reason.', ['outcome', 'reason']);
  const consent = registry.counter('tagrelay_consent_decisions_total', 'Per destination decisions of delivery, by route action and the consent reason that decided it.', ['destination', 'action', 'reason']);
  const deliveries = registry.counter('tagrelay_deliveries_total', 'Settled delivery outcomes per destination: delivered, retrying, dead, dropped, skipped.', ['destination', 'outcome']);
  const retries = registry.counter('tagrelay_delivery_retries_total', 'Retryable failures scheduled for another attempt, per destination.', ['destination']);
  const dead = registry.counter('tagrelay_dead_letters_total', 'Items moved to the dead-letter store, per destination.', ['destination']);
  const calls = registry.counter('tagrelay_vendor_requests_total', 'Vendor calls per destination and result (ok: every item delivered; partial; failed).', ['destination', 'result']);
  const roundTrip = registry.histogram('tagrelay_vendor_request_seconds', 'Round trip of one vendor call (a batch), per destination.', LATENCY_BUCKETS, ['destination']);
  const latency = registry.histogram('tagrelay_delivery_latency_seconds', 'From accept to the delivered outcome recorded, per destination.', LATENCY_BUCKETS, ['destination']);

  // ---- HTTP: route → status → series (route strings are the registered patterns) ----
  const byRoute = new Map<string, Map<number, CounterSeries>>();
  function request(route: string, status: number): void {
    let statuses = byRoute.get(route);
    if (!statuses) byRoute.set(route, (statuses = new Map()));
    let s = statuses.get(status);
    if (!s) statuses.set(status, (s = requests.with(route, String(status))));
    s.value++;
  }

  // ---- the door ----
  const accepted = events.with('accepted', 'none');
  const derived = events.with('derived', 'rules.derived');
  const duplicate = events.with('duplicate', 'dedupe.duplicate');
  const bot = byLabel(events, 'bot');
  const rejectedBy = byLabel(events, 'rejected');
  function rejected(list: readonly Rejection[]): void {
    for (let i = 0; i < list.length; i++) rejectedBy(list[i]!.code).value++;
  }
  function accept(outcomes: readonly EventOutcome[], list: readonly Rejection[]): void {
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      if (o.status === 'accepted') (o.record?.derived_from ? derived : accepted).value++;
      else if (o.status === 'duplicate') duplicate.value++;
      else if (o.status === 'bot') bot(o.reasons[o.reasons.length - 1] ?? 'bot').value++;
    }
    rejected(list);
  }

  // ---- delivery, per destination resolved up front ----
  interface Dest {
    consent: Map<string, (reason: string) => CounterSeries>;
    outcome: Record<'delivered' | 'retrying' | 'dead' | 'dropped' | 'skipped', CounterSeries>;
    retries: CounterSeries;
    dead: CounterSeries;
    ok: CounterSeries;
    partial: CounterSeries;
    failed: CounterSeries;
    roundTrip: HistogramSeries;
    latency: HistogramSeries;
  }
  const dests = new Map<string, Dest>();
  const dest = (id: string): Dest => {
    let d = dests.get(id);
    if (d) return d;
    d = {
      consent: new Map(),
      outcome: {
        delivered: deliveries.with(id, 'delivered'),
        retrying: deliveries.with(id, 'retrying'),
        dead: deliveries.with(id, 'dead'),
        dropped: deliveries.with(id, 'dropped'),
        skipped: deliveries.with(id, 'skipped'),
      },
      retries: retries.with(id),
      dead: dead.with(id),
      ok: calls.with(id, 'ok'),
      partial: calls.with(id, 'partial'),
      failed: calls.with(id, 'failed'),
      roundTrip: roundTrip.with(id),
      latency: latency.with(id),
    };
    dests.set(id, d);
    return d;
  };
  for (const id of destinationIds) dest(id);

  const delivery: DeliveryObserver = {
    decided(id, item) {
      // A retry is decided again; the event's decision was counted at its first claim.
      if (item.retrying) return;
      const d = dest(id);
      const { action, reasons } = item.decision;
      // `granted`: no consent rule limited the decision (not a reason code: nothing was withheld).
      let reason = 'granted';
      for (const r of reasons) {
        if (r.startsWith('consent.') || r === 'trigger.not_a_target') {
          reason = r;
          break;
        }
      }
      let forAction = d.consent.get(action);
      if (!forAction) d.consent.set(action, (forAction = byLabel(consent, id, action)));
      forAction(reason).value++;
    },
    sent(id, items, result, ms) {
      const d = dest(id);
      const all = result.delivered.length === items.length;
      (all ? d.ok : result.delivered.length > 0 ? d.partial : d.failed).value++;
      observe(d.roundTrip, LATENCY_BUCKETS, ms / 1000);
    },
    settled(id, delta, done, now) {
      const d = dest(id);
      d.outcome.delivered.value += delta.delivered;
      d.outcome.retrying.value += delta.retried;
      d.outcome.dead.value += delta.dead;
      d.retries.value += delta.retried;
      d.dead.value += delta.dead;
      for (const { item, outcome } of done) {
        if (outcome.kind === 'decided') (item.decision.action === 'drop' ? d.outcome.dropped : d.outcome.skipped).value++;
        else if (outcome.kind === 'delivered') observe(d.latency, LATENCY_BUCKETS, Math.max(0, now - item.received_at) / 1000);
      }
    },
  };

  return { registry, request, accept, rejected, delivery };
}
