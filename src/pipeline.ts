/**
 * @module The path of one event after ingest: dedupe → consent → identify → enrich → route.
 *
 * Each stage is a call into its module; a stage that decides against an event records a reason
 * instead of throwing. The result is outbox rows, decision records and cookies, written by the caller.
 */
import type { Event } from './event.js';
import type { Config } from './config/schema.js';
import type { Hasher, SqlStatement } from './ports.js';
import type { Deduper } from './rules/dedupe.js';
import type { ActiveDestination } from './delivery/worker.js';
import type { DecisionRow, OutboxRow } from './delivery/outbox.js';
import type { ConsentState, ConsentValue, Purpose } from './consent/purposes.js';
import type { DeviceParser } from './enrich/device.js';
import { resolveConsent } from './consent/resolve.js';
import { gate, storageAllowed } from './consent/gate.js';
import { identify } from './identity/resolve.js';
import { parseCookies } from './identity/cookies.js';
import { stitchLink } from './identity/stitch.js';
import { detectBot } from './enrich/bots.js';
import { geoFromHeaders } from './enrich/geo.js';
import { campaignFrom } from './enrich/campaign.js';
import { minimize } from './privacy/minimize.js';

/** What the stages need besides the events. */
export interface PipelineDeps {
  config: Config;
  deduper: Deduper;
  destinations: ActiveDestination[];
  hasher: Hasher;
  device: DeviceParser;
  randomHex(bytes: number): string;
}

/** Facts of the request all its events share. */
export interface RequestFacts {
  /** The Host the request was sent to (cookie domain). */
  host: string;
  /** Purposes recorded in a valid consent receipt cookie. */
  receipt?: Partial<Record<Purpose, ConsentValue>>;
  /** A receipt cookie was present but forged or expired (ignored, and noted on every event). */
  receiptInvalid?: boolean;
  /** Explain mode: nothing is remembered (dedupe) and mapped payloads are returned. */
  explain?: boolean;
}

/** What happens to one event at one destination, and why. */
export interface Decision {
  destination_id: string;
  action: 'send' | 'anonymize' | 'cookieless' | 'drop' | 'skip';
  reasons: string[];
  /** Explain mode only: the payload that would be queued. */
  payload?: unknown;
}

/** Everything decided about one event. */
export interface EventOutcome {
  event_id: string;
  name: string;
  status: 'routed' | 'duplicate' | 'bot';
  consent?: ConsentState;
  /** Event-level reasons (identity, bot). */
  reasons: string[];
  decisions: Decision[];
}

/** What one batch produced. */
export interface Routed {
  rows: OutboxRow[];
  decisions: DecisionRow[];
  /** Extra writes in the same transaction (identity links). */
  statements: SqlStatement[];
  setCookies: string[];
  outcomes: EventOutcome[];
  duplicates: number;
  bots: number;
}

const CONVERSIONS = new Set(['purchase', 'sign_up', 'generate_lead', 'subscribe', 'begin_checkout', 'add_payment_info']);

const UPSERT_LINK =
  'INSERT INTO identity_links (client_key, user_key, first_seen, last_seen) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (client_key, user_key) DO UPDATE SET last_seen = excluded.last_seen';

/**
 * Stages 3–4: first-party identity (only what consent allows) and enrichment. `jar` holds the cookies
 * earlier events of the same request set: one request is one browser, so a batch shares one new
 * client id, session and `_fbp` instead of minting one per event (only the last would reach the browser).
 */
function identifyAndEnrich(event: Event, facts: RequestFacts, deps: PipelineDeps, reasons: string[], jar: Record<string, string>): string[] {
  const { config } = deps;
  const consent = event.consent_state!;
  const storage = storageAllowed(consent);
  const id = identify(
    {
      cookies: { ...event.request.cookies, ...jar },
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
  reasons.push(...id.reasons);
  const headers = event.request.headers;
  if (config.enrich.device.enabled && event.request.user_agent) event.device = deps.device.parse(event.request.user_agent, headers);
  if (config.enrich.geo.enabled) {
    const geo = geoFromHeaders(headers, config.consent.geo_headers);
    if (geo.country) event.geo = geo;
  }
  if (config.enrich.campaign.enabled && (event.page.url || event.page.referrer)) {
    event.campaign = campaignFrom({ pageUrl: event.page.url, referrer: event.page.referrer }, config.enrich.campaign);
  }
  return id.setCookies;
}

/** Stage 5: per destination, gate by purposes → minimize → map. */
async function route(event: Event, deps: PipelineDeps, explain: boolean, out: Routed, outcome: EventOutcome): Promise<void> {
  for (const { config, kind } of deps.destinations) {
    const verdict = gate(event.consent_state!, {
      requires: config.requires ?? kind.requires,
      whenDenied: config.when_denied ?? kind.whenDenied,
      tcfVendorId: config.tcf_vendor_id,
    });
    const base = { destination_id: config.id, event_id: event.event_id, at: event.received_at };
    if (verdict.mode === 'drop') {
      outcome.decisions.push({ destination_id: config.id, action: 'drop', reasons: verdict.reasons });
      out.decisions.push({ ...base, status: 'dropped', reasons: verdict.reasons });
      continue;
    }
    const minimized = await minimize(event, {
      flavor: kind.privacy.flavor,
      mode: verdict.mode,
      privacy: config.privacy,
      global: deps.config.privacy,
      hasher: deps.hasher,
      defaultIp: kind.privacy.ip,
      now: event.received_at,
    });
    const reasons = [...verdict.reasons, ...minimized.reasons];
    const mapped = kind.map(minimized.event, config, { mode: verdict.mode, reasons: verdict.reasons });
    if ('skip' in mapped) {
      reasons.push(mapped.skip);
      outcome.decisions.push({ destination_id: config.id, action: 'skip', reasons });
      out.decisions.push({ ...base, status: 'skipped', reasons });
      continue;
    }
    if (mapped.notes) reasons.push(...mapped.notes);
    const action = verdict.mode === 'full' ? 'send' : verdict.mode;
    outcome.decisions.push({ destination_id: config.id, action, reasons, ...(explain ? { payload: mapped.payload } : {}) });
    if (kind.local) {
      // The embedded store: written in the commit that acknowledges the event.
      out.statements.push(...kind.local(mapped.payload, config));
      out.decisions.push({ ...base, status: 'delivered', reasons });
      continue;
    }
    out.rows.push({ destination_id: config.id, event_id: event.event_id, payload: mapped.payload, created_at: event.received_at });
    out.decisions.push({ ...base, status: 'queued', reasons });
  }
}

/**
 * Run the stages for each event of a batch.
 *
 * @example
 * const routed = await routeEvents(events, { host: 't.example.com' }, deps)
 * await outbox.enqueue(routed.rows, routed.decisions, routed.statements)
 */
export async function routeEvents(events: Event[], facts: RequestFacts, deps: PipelineDeps): Promise<Routed> {
  const out: Routed = { rows: [], decisions: [], statements: [], setCookies: [], outcomes: [], duplicates: 0, bots: 0 };
  const explain = facts.explain === true;
  const { config } = deps;
  const jar: Record<string, string> = {};
  for (const event of events) {
    const outcome: EventOutcome = { event_id: event.event_id, name: event.name, status: 'routed', reasons: [], decisions: [] };
    out.outcomes.push(outcome);
    // 1. dedupe: a duplicate is acknowledged, not processed again
    if (!explain && (await deps.deduper.seen(event.event_id))) {
      out.duplicates++;
      outcome.status = 'duplicate';
      continue;
    }
    // 2. bots: dropped (and counted) before any identity or consent work
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
    // 3. consent: signals → state, every purpose with its source and reason
    event.consent_state = resolveConsent({ signals: event.consent, headers: event.request.headers, receipt: facts.receipt }, config.consent);
    if (facts.receiptInvalid) event.consent_state.notes.push('consent.receipt_invalid');
    outcome.consent = event.consent_state;
    // 4. identify + enrich (identity cookies only where storage consent allows)
    const cookies = identifyAndEnrich(event, facts, deps, outcome.reasons, jar);
    if (cookies.length > 0) out.setCookies = cookies;
    Object.assign(jar, parseCookies(cookies.map((c) => c.split(';', 1)[0]).join('; ')));
    // 5. route: per destination
    await route(event, deps, explain, out, outcome);
    // 6. stitching: client ↔ user link, pseudonymized as the warehouse stores them
    if (!explain && event.user.user_id && storageAllowed(event.consent_state).analytics) {
      const link = await stitchLink(event.client.client_id ? { client_id: event.client.client_id, user_id: event.user.user_id } : {}, config.privacy.pseudonymization.salt, deps.hasher.hmacSha256Hex);
      if (link.link) {
        out.statements.push({ sql: UPSERT_LINK, params: [link.link.client_key, link.link.user_key, event.received_at, event.received_at] });
      }
    }
  }
  return out;
}
