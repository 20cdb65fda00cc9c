/**
 * @module What a traced request and its deliveries tell a debug session: the input as received, the
 * accept outcome, consent per purpose, identity and enrichment (accept side, {@link traceRequest}), then per
 * destination the decision, the vendor request and its answer (delivery side, {@link debugObserver}).
 * Everything is masked (mask.ts); only requests carrying a valid debug token get here.
 */
import type { Event } from '../event.js';
import type { FetchLike } from '../ports.js';
import type { Rejection } from '../ingest/types.js';
import type { Processed } from '../pipeline.js';
import type { EventRecord } from '../delivery/record.js';
import type { DeliveryObserver } from '../delivery/observer.js';
import type { DeliveryItem } from '../delivery/settle.js';
import type { DebugHub, DebugDraft, DebugSession, Traced } from './hub.js';
import { maskDeep, maskHeaders, maskString, maskText, sensitiveStrings } from './mask.js';

/** The request a traced batch came in on. */
export interface TracedRequest {
  method: string;
  path: string;
}

/** The accept-side trace of one request: call {@link AcceptTrace.accepted} once the pipeline ran. */
export interface AcceptTrace {
  accepted(processed: Processed, adapterRejected: readonly Rejection[]): void;
}

const BODY_EXCERPT = 2000;

/** The canonical event as received, masked (nothing the pipeline adds). */
function inputOf(event: Event): Record<string, unknown> {
  const { request: _request, consent_state: _state, ...rest } = event;
  return maskDeep(rest) as Record<string, unknown>;
}

function identityOf(record: EventRecord): Omit<Extract<DebugDraft, { stage: 'identity' }>, 'stage' | 'event_id' | 'name'> {
  const hashed: Record<string, string[]> = {};
  for (const [rule, h] of Object.entries(record.identity.hashed)) hashed[rule] = Object.keys(h);
  return {
    client: maskDeep(record.client) as Record<string, unknown>,
    hashed,
    pseudonyms: Object.keys(record.identity.pseudo).filter((k) => record.identity.pseudo[k as keyof typeof record.identity.pseudo]),
    ...(record.device ? { device: maskDeep(record.device) as Record<string, unknown> } : {}),
    ...(record.geo ? { geo: maskDeep(record.geo) as Record<string, unknown> } : {}),
    ...(record.campaign ? { campaign: maskDeep(record.campaign) as Record<string, unknown> } : {}),
    reasons: [...record.notes, ...record.identity.notes],
  };
}

/**
 * Start tracing one request's events: publishes their input now (before any stage changes them) and
 * marks their ids so delivery reports their decisions.
 */
export function traceRequest(hub: DebugHub, session: DebugSession, events: readonly Event[], request: TracedRequest): AcceptTrace {
  for (const event of events) {
    hub.trace(event.event_id, event.name, session);
    session.events++;
    hub.publish(session, {
      stage: 'input',
      event_id: event.event_id,
      name: event.name,
      request: { source: event.request.source, method: request.method, path: request.path, headers: maskHeaders(event.request.headers) },
      event: inputOf(event),
    });
  }
  return {
    accepted(processed, adapterRejected) {
      for (const r of adapterRejected) {
        hub.publish(session, { stage: 'accept', event_id: `#${r.index}`, name: '', status: 'rejected', reasons: [`${r.code}:${r.field ?? ''}`] });
      }
      for (const outcome of processed.outcomes) {
        const ref = { event_id: outcome.event_id, name: outcome.name };
        const record = outcome.record;
        if (record?.derived_from) {
          hub.trace(outcome.event_id, outcome.name, session);
          session.events++;
        }
        hub.publish(session, { stage: 'accept', ...ref, status: outcome.status, reasons: [...outcome.reasons], ...(record?.derived_from ? { derived_from: record.derived_from } : {}) });
        const state = outcome.consent;
        if (state && outcome.status === 'accepted') {
          hub.publish(session, {
            stage: 'consent',
            ...ref,
            region: state.region,
            policy: state.policy,
            ...(state.policy_key ? { policy_key: state.policy_key } : {}),
            policy_version: state.policy_version,
            limited_data_use: state.limited_data_use,
            purposes: Object.fromEntries(Object.entries(state.purposes).map(([p, d]) => [p, { value: d.value, source: d.source, reason: d.reason }])),
            notes: [...state.notes],
          });
        }
        if (record && outcome.status === 'accepted') hub.publish(session, { stage: 'identity', ...ref, ...identityOf(record) });
      }
    },
  };
}

/** One vendor call made for a traced batch. */
interface Call {
  method: string;
  url: string;
  body?: string;
  status?: number;
  text?: string;
  error?: string;
}

/** Longest answer body read for an excerpt. */
const MAX_READ = 64 * 1024;

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * The delivery side: decisions of traced events, and, for a batch holding one, its vendor calls (the
 * fetch is wrapped only then) and the answer. Untraced items cost one map lookup, and nothing at all
 * while no session is open. `secrets` are each destination's configured credentials, masked wherever
 * they appear.
 */
export function debugObserver(hub: DebugHub, destinations: ReadonlyMap<string, { type: string; secrets: readonly string[] }>): DeliveryObserver {
  const calls = new WeakMap<readonly DeliveryItem[], Call[]>();
  const tracedIn = (items: readonly DeliveryItem[]) => {
    if (hub.size === 0) return undefined;
    let out: { item: DeliveryItem; traced: Traced }[] | undefined;
    for (const item of items) {
      const traced = hub.tracing(item.event_id);
      if (traced) (out ??= []).push({ item, traced });
    }
    return out;
  };
  return {
    decided(destinationId, item) {
      if (hub.size === 0) return;
      const traced = hub.tracing(item.event_id);
      if (!traced) return;
      const { decision } = item;
      hub.publish(traced.session, {
        stage: 'decision',
        event_id: item.event_id,
        name: traced.name,
        destination_id: destinationId,
        destination_type: destinations.get(destinationId)?.type ?? '',
        action: decision.action,
        reasons: [...decision.reasons],
        ...(decision.payload !== undefined ? { payload: maskDeep(decision.payload) } : {}),
        attempt: item.attempts,
      });
    },
    fetchFor(_destinationId, items, fetch): FetchLike | undefined {
      if (!tracedIn(items)) return undefined;
      const list: Call[] = [];
      calls.set(items, list);
      const wrapped: FetchLike = async (input, init) => {
        const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
        const call: Call = { method: init?.method ?? 'GET', url, body: typeof init?.body === 'string' ? init.body : undefined };
        list.push(call);
        try {
          const res = await fetch(input, init);
          call.status = res.status;
          call.text = (await res.clone().text()).slice(0, MAX_READ);
          return res;
        } catch (err) {
          call.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          throw err;
        }
      };
      // The runtime's cheaper POST path (Node: undici request), observed the same way.
      const post = fetch.post;
      if (post) {
        wrapped.post = async (url, body, timeoutMs, headers) => {
          const call: Call = { method: 'POST', url, body };
          list.push(call);
          const out = await post(url, body, timeoutMs, headers);
          if (out.ok) {
            call.status = out.status;
            call.text = out.text.slice(0, MAX_READ);
          } else call.error = out.error;
          return out;
        };
      }
      return wrapped;
    },
    sent(destinationId, items, result, ms) {
      const tracedItems = tracedIn(items);
      if (!tracedItems) return;
      const made = calls.get(items) ?? [];
      calls.delete(items);
      const retry = new Map(result.retry.map((r) => [r.id, r.error]));
      const failed = new Map(result.failed.map((f) => [f.id, f.error]));
      // Every id and credential of the batch: an answer or an error may echo any of them.
      const known = new Set(destinations.get(destinationId)?.secrets ?? []);
      for (const item of items) sensitiveStrings(item.decision.payload, known);
      const alone = tracedItems.length === items.length;
      for (const { item, traced } of tracedItems) {
        const ref = { event_id: item.event_id, name: traced.name };
        // A call belongs to the item when it carries its id; a one-item batch owns all its calls.
        const carrying = items.length === 1 ? made : made.filter((c) => c.body?.includes(item.event_id));
        const own = carrying.length > 0 ? carrying : made;
        for (const call of own) {
          hub.publish(traced.session, {
            stage: 'request',
            ...ref,
            destination_id: destinationId,
            method: call.method,
            url: maskText(maskString(call.url), known),
            ...(alone && call.body !== undefined ? { body: maskDeep(parsed(call.body)) } : { body_omitted: true }),
            batch_size: items.length,
          });
        }
        const last = own.at(-1);
        const error = retry.get(item.seq) ?? failed.get(item.seq) ?? last?.error;
        hub.publish(traced.session, {
          stage: 'answer',
          ...ref,
          destination_id: destinationId,
          ...(last?.status !== undefined ? { status: last.status } : {}),
          ...(last?.text !== undefined ? { body_excerpt: maskText(last.text, known) } : {}),
          outcome: retry.has(item.seq) ? 'retry' : failed.has(item.seq) ? 'failed' : 'delivered',
          ...(error ? { error: maskText(error, known) } : {}),
          latency_ms: Math.round(ms * 10) / 10,
        });
      }
    },
    settled() {},
  };
}
