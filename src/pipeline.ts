/**
 * @module The accept path of tagrelay, top to bottom, numbered once:
 *
 *  1. parse      the body (route, `app.ts`)
 *  2. validate   wire protocol → canonical events, one bad event never drops its neighbours (`ingest/`)
 *  3. plan       the tracking plan: pass, warn (noted), drop (rejected with its path) or quarantine
 *  4. dedupe     a repeat of an id already stored (or committing) is acknowledged, not processed again
 *  5. bots       dropped and counted before any identity or consent work
 *  6. consent    signals → the state per purpose with its source and reason, decided once, kept
 *  7. identity   first-party ids and cookies, only what consent allows
 *  8. enrich     device (cached), geo, campaign
 *  9. rules      conversion rules derive micro- and macro-conversions (deterministic ids, same consent)
 * 10. privacy    PII hashed once per hashing rule, clear values dropped, common redaction
 * 11. record     one durable record per event, in the group commit → 202 + cookies; journey-trigger
 *                timers armed or cancelled by the records commit with them (rules/triggers.ts)
 *
 * Everything per destination happens after, in delivery, through `decide()` (delivery/decide.ts).
 * A stage that decides against an event records a reason; none throws for control flow.
 */
import type { Event } from './event.js';
import type { Config } from './config/schema.js';
import type { Hasher } from './ports.js';
import type { Deduper } from './rules/dedupe.js';
import type { Outbox } from './delivery/outbox.js';
import type { ConsentState, ConsentValue, Purpose } from './consent/purposes.js';
import type { DeviceParser } from './enrich/device.js';
import { resolveConsent } from './consent/resolve.js';
import { storageAllowed } from './consent/gate.js';
import { identify } from './identity/resolve.js';
import { detectBot } from './enrich/bots.js';
import { geoFromHeaders } from './enrich/geo.js';
import { campaignFrom } from './enrich/campaign.js';
import { prepareIdentity } from './privacy/identity.js';
import { VENDOR_ID_KEYS } from './privacy/hashing.js';
import { hashingRulesOf } from './destinations/index.js';
import { scrubForRecord } from './privacy/minimize.js';
import { toRecord, type EventRecord } from './delivery/record.js';
import { checkEvent, decidePlan, planRejection, quarantineReason, type Plan } from './rules/plan.js';
import type { PlanCounter } from './rules/plan-counter.js';
import { deriveEvents, type CompiledRule } from './rules/conversions.js';
import { triggerStatements, type CompiledTrigger } from './rules/triggers.js';
import type { SqlStatement } from './ports.js';
import type { Rejection } from './ingest/types.js';
import { gate } from './consent/gate.js';
import type { ActiveDestination } from './delivery/decide.js';

/** What the stages need besides the events. */
export interface PipelineDeps {
  config: Config;
  deduper: Deduper;
  hasher: Hasher;
  device: DeviceParser;
  randomHex(bytes: number): string;
  /** Yield to pending I/O between slices of a large batch. */
  defer(fn: () => void): void;
  /** A hash of the configuration the events are accepted under. */
  configVersion: string;
  /** The configured destinations: the record keeps only the identity some of them may receive. */
  destinations: readonly ActiveDestination[];
  /** The compiled tracking plan (absent: no plan) and its counter. */
  plan?: Plan;
  planCounter?: PlanCounter;
  /** Compiled conversion rules. */
  rules?: readonly CompiledRule[];
  /** Compiled journey triggers. */
  triggers?: readonly CompiledTrigger[];
  /** Consent resolution (memoized by the services; default: resolveConsent with `config.consent`). */
  resolveConsent?: (input: Parameters<typeof resolveConsent>[0]) => ConsentState;
}

/** Facts of the request all its events share. */
export interface RequestFacts {
  /** The Host the request was sent to (cookie domain). */
  host: string;
  /** Purposes recorded in a valid consent receipt cookie. */
  receipt?: Partial<Record<Purpose, ConsentValue>>;
  /** A receipt cookie was present but forged or expired (ignored, and noted on every event). */
  receiptInvalid?: boolean;
  /** Explain mode: dedupe is neither consulted nor fed. */
  explain?: boolean;
}

/** What the accept path decided about one event. */
export interface EventOutcome {
  event_id: string;
  name: string;
  status: 'accepted' | 'duplicate' | 'bot' | 'rejected';
  consent?: ConsentState;
  /** Event-level reasons (identity, bot, privacy at accept). */
  reasons: string[];
  /** The record (accepted events). */
  record?: EventRecord;
}

/** What one batch produced. */
export interface Processed {
  outcomes: EventOutcome[];
  /** Events the tracking plan dropped; `index` is the event's position in the list processed. */
  rejected: Rejection[];
  records: EventRecord[];
  /** Statements committed with the records (journey-trigger timers armed or cancelled). */
  statements: SqlStatement[];
  /** One `Set-Cookie` value per cookie name (the last event's value wins). */
  setCookies: string[];
  duplicates: number;
  bots: number;
}

const CONVERSIONS = new Set(['purchase', 'sign_up', 'generate_lead', 'subscribe', 'begin_checkout', 'add_payment_info']);

/** Events processed between two yields to pending I/O (a 500-event body must not stall other requests). */
const SLICE = 64;

/**
 * Stages 6–7: first-party identity (only what consent allows) and enrichment. `jar` holds the cookies
 * earlier events of the same request set: one request is one browser, so a batch shares one new
 * client id, session and `_fbp` instead of minting one per event.
 */
function identifyAndEnrich(event: Event, facts: RequestFacts, deps: PipelineDeps, reasons: string[], jar: Map<string, string>): void {
  const { config } = deps;
  const storage = storageAllowed(event.consent_state!);
  const cookies = jar.size === 0 ? event.request.cookies : { ...event.request.cookies, ...Object.fromEntries([...jar].map(([k, v]) => [k, cookieValue(v)])) };
  const id = identify(
    {
      cookies,
      host: facts.host,
      pageUrl: event.page.url,
      client: event.client,
      now: event.received_at,
      storage: { analytics: storage.analytics, ads: storage.ads },
      randomHex: deps.randomHex,
      pageView: event.name === 'page_view',
      conversion: CONVERSIONS.has(event.name),
    },
    config.identity,
  );
  event.client = id.client;
  for (const r of id.reasons) reasons.push(r);
  for (const c of id.setCookies) jar.set(c.slice(0, c.indexOf('=')), c);
  const headers = event.request.headers;
  if (config.enrich.device.enabled && event.request.user_agent) event.device = { ...event.device, ...deps.device.parse(event.request.user_agent, headers) };
  if (config.enrich.geo.enabled) {
    const geo = geoFromHeaders(headers, config.consent.geo_headers);
    if (geo.country) event.geo = geo;
  }
  if (config.enrich.campaign.enabled && (event.page.url || event.page.referrer)) {
    event.campaign = campaignFrom({ pageUrl: event.page.url, referrer: event.page.referrer }, config.enrich.campaign);
  }
}

/**
 * Keep in the record only the identity some destination may receive under the event's consent
 * (GDPR Art. 5(1)(c), data minimisation): a hash or id no destination can be sent is not stored.
 * Consent is decided at accept and never re-decided, so what no destination may receive now, none
 * ever will for this event.
 */
function retainIdentity(record: EventRecord, destinations: readonly ActiveDestination[]): void {
  const need = { hashed: new Set<string>(), pseudo: false, warehouse: false, clearIds: false, vendorIds: new Set<string>() };
  for (const { config, kind } of destinations) {
    const { action } = gate(record.consent_state, { requires: config.requires ?? kind.requires, whenDenied: config.when_denied ?? kind.whenDenied, tcfVendorId: config.tcf_vendor_id });
    if (action === 'drop' || action === 'cookieless') continue;
    const { hashing, vendorIds = [] } = kind.privacy;
    if (hashing.pseudonymize) {
      need.pseudo = true;
      if (action === 'send') {
        need.hashed.add(hashing.id);
        need.warehouse = true;
      }
    } else if (action === 'send') {
      need.hashed.add(hashing.id);
      need.clearIds = true;
      for (const k of vendorIds) need.vendorIds.add(k);
    }
  }
  const identity = { ...record.identity, hashed: Object.fromEntries(Object.entries(record.identity.hashed).filter(([id]) => need.hashed.has(id))) };
  if (!need.clearIds) delete identity.user_id;
  if (!need.pseudo) identity.pseudo = {};
  record.identity = identity;
  const client = { ...record.client };
  if (!need.clearIds) {
    delete client.client_id;
    // The warehouse keeps the session id in clear when it gets the event in full (a session number, not a person).
    if (!need.warehouse) delete client.session_id;
  }
  for (const k of VENDOR_ID_KEYS) if (!need.vendorIds.has(k)) delete client[k];
  record.client = client;
}

/** The value of a `Set-Cookie` header (`name=value; …` → `value`). */
function cookieValue(setCookie: string): string {
  const pair = setCookie.split(';', 1)[0]!;
  return pair.slice(pair.indexOf('=') + 1);
}

/**
 * Stages 3–8 for the events of one request: nothing is written. Duplicates and bots get an outcome
 * and no record.
 */
export async function processEvents(events: Event[], facts: RequestFacts, deps: PipelineDeps): Promise<Processed> {
  const out: Processed = { outcomes: [], rejected: [], records: [], statements: [], setCookies: [], duplicates: 0, bots: 0 };
  const { config } = deps;
  const jar = new Map<string, string>();
  const batchIds = new Set<string>();
  for (let i = 0; i < events.length; i++) {
    if (i > 0 && i % SLICE === 0) await new Promise<void>((done) => deps.defer(done));
    const event = events[i]!;
    const outcome: EventOutcome = { event_id: event.event_id, name: event.name, status: 'accepted', reasons: [] };
    out.outcomes.push(outcome);
    // 3. plan
    let quarantine: string | undefined;
    if (deps.plan) {
      const violations = checkEvent(event, deps.plan);
      const verdict = violations.length === 0 ? 'pass' : decidePlan(violations, deps.plan);
      deps.planCounter?.record(event.name, violations, verdict);
      for (const v of violations.slice(0, 10)) outcome.reasons.push(`${v.code}:${v.path}`);
      if (verdict === 'drop') {
        out.rejected.push({ index: i, ...planRejection(violations) });
        outcome.status = 'rejected';
        continue;
      }
      if (verdict === 'quarantine') quarantine = quarantineReason(violations);
    }
    // 4. dedupe: a repeat is acknowledged only once its original is durable
    if (!facts.explain) {
      const seen = deps.deduper.lookup(event.event_id);
      if (batchIds.has(event.event_id) || seen === true || (seen !== undefined && (await seen.catch(() => false)))) {
        out.duplicates++;
        outcome.status = 'duplicate';
        continue;
      }
      batchIds.add(event.event_id);
    }
    // 5. bots
    if (config.enrich.bots.enabled) {
      const bot = detectBot(event.request.user_agent, config.enrich.bots);
      if (bot.bot && config.enrich.bots.action === 'drop') {
        out.bots++;
        outcome.status = 'bot';
        outcome.reasons.push(bot.reason ?? 'enrich.bot');
        continue;
      }
      if (bot.bot) event.device = { ...event.device, is_bot: true };
    }
    // 6. consent
    const input = { signals: event.consent, headers: event.request.headers, receipt: facts.receipt };
    const state = deps.resolveConsent ? deps.resolveConsent(input) : resolveConsent(input, config.consent);
    // The resolved state may be shared with other events: never mutated, copied to add a note.
    event.consent_state = facts.receiptInvalid ? { ...state, notes: [...state.notes, 'consent.receipt_invalid'] } : state;
    outcome.consent = event.consent_state;
    // 7–8. identity + enrich
    identifyAndEnrich(event, facts, deps, outcome.reasons, jar);
    // 9. rules: derived events share the source's consent, identity and context
    const derived = deps.rules && deps.rules.length > 0 ? deriveEvents(event, deps.rules) : [];
    // 10. privacy: common redaction, PII hashed once per hashing rule; the clear user data ends here
    const notes = scrubForRecord(event);
    const identity = await prepareIdentity(event, { global: config.privacy, hasher: deps.hasher, now: event.received_at, rules: hashingRulesOf(deps.destinations) });
    event.user = {};
    // 11. record
    const record = toRecord(event, identity, [...outcome.reasons, ...notes], deps.configVersion);
    if (quarantine) record.quarantine = quarantine;
    // Timers are keyed by the pseudonyms, taken before the record keeps only what destinations may receive.
    const keys = { client: identity.pseudo.client_id, user: identity.pseudo.user_id };
    const triggers = facts.explain ? undefined : deps.triggers;
    if (triggers && triggers.length > 0) out.statements.push(...triggerStatements(record, keys, triggers));
    retainIdentity(record, deps.destinations);
    outcome.record = record;
    out.records.push(record);
    for (const d of derived) {
      // A replay or a repeated source derives the same ids: never twice.
      if (!facts.explain) {
        const seen = deps.deduper.lookup(d.event_id);
        if (batchIds.has(d.event_id) || seen === true || (seen !== undefined && (await seen.catch(() => false)))) continue;
        batchIds.add(d.event_id);
      }
      d.user = {};
      const reasons = [`rules.derived:${d.derived_from.rule_id}`];
      const derivedRecord = toRecord(d, identity, [...reasons, ...scrubForRecord(d)], deps.configVersion);
      derivedRecord.derived_from = d.derived_from;
      derivedRecord.kind = d.kind;
      if (triggers && triggers.length > 0) out.statements.push(...triggerStatements(derivedRecord, keys, triggers));
      retainIdentity(derivedRecord, deps.destinations);
      out.records.push(derivedRecord);
      out.outcomes.push({ event_id: d.event_id, name: d.name, status: 'accepted', consent: event.consent_state, reasons, record: derivedRecord });
    }
  }
  out.setCookies = [...jar.values()];
  return out;
}

/**
 * Run the accept path and commit: resolves once every new record is durable (then the caller answers
 * 202). Events whose id the store already held are counted as duplicates. Rejects when the store
 * cannot take the records: nothing was acknowledged.
 *
 * @example
 * const accepted = await acceptEvents(events, { host: 't.example.com' }, deps, outbox)
 */
export async function acceptEvents(events: Event[], facts: RequestFacts, deps: PipelineDeps, outbox: Outbox): Promise<Processed> {
  const processed = await processEvents(events, facts, deps);
  if (processed.records.length === 0) return processed;
  const committed = outbox.append(processed.records, processed.statements);
  const durable = committed.then(
    () => true,
    () => false,
  );
  for (const r of processed.records) deps.deduper.committing(r.event_id, durable);
  const inserted = await committed;
  inserted.forEach((isNew, i) => {
    if (isNew) return;
    // Already in the store (accepted before a restart, or by another instance on the same store).
    const outcome = processed.outcomes.find((o) => o.record === processed.records[i]);
    if (outcome) outcome.status = 'duplicate';
    if (!processed.records[i]!.derived_from) processed.duplicates++;
  });
  return processed;
}
