/**
 * @module The record of processing (GDPR Art. 30) generated from the live configuration: per destination,
 * which fields it receives and in which form, under which purposes, in which regions, kept how long.
 *
 * Nothing here is written by hand per destination: a probe event carrying every kind of field (with
 * made-up values) goes through the same stages a real event goes through — the accept-time scrub,
 * hashing once per hashing rule, the record, then `decide()` (gate → minimize → map) per destination
 * and per consent outcome — and each probe value is looked for in the payload that would be sent, in
 * each of its possible forms (clear, hashed per rule, pseudonymized, truncated, reduced). So the record
 * follows the code: a mapper that starts sending a field shows up here without anyone editing this file.
 */
import type { Config } from '../config/schema.js';
import type { Hasher } from '../ports.js';
import type { Event, HashedUser } from '../event.js';
import type { ConsentState, Purpose, PurposeDecision } from '../consent/purposes.js';
import type { RouteAction } from '../destinations/types.js';
import type { PreparedIdentity } from '../privacy/identity.js';
import { PURPOSES } from '../consent/purposes.js';
import { resolveConsent } from '../consent/resolve.js';
import { policyFor, REGION_GROUPS } from '../consent/regions.js';
import { gate } from '../consent/gate.js';
import { scrubForRecord } from '../privacy/minimize.js';
import { prepareIdentity } from '../privacy/identity.js';
import { isSha256Hex } from '../privacy/normalize.js';
import { toRecord } from '../delivery/record.js';
import { decide, type ActiveDestination } from '../delivery/decide.js';
import { destinations as registry, hashingRulesOf } from '../destinations/index.js';
import type { HashingRule } from '../privacy/hashing.js';

/** In which form a field reaches a destination. */
export type FieldForm = 'clear' | 'hashed' | 'pseudonymized' | 'truncated' | 'reduced' | 'redacted' | 'dropped';

/** One field at one destination under one consent outcome. */
export interface FieldFlow {
  field: string;
  category: 'contact' | 'identifier' | 'network' | 'page' | 'event' | 'context';
  form: FieldForm;
  /** The rule applied, in words (`SHA-256 of the Meta-normalized value`, `IPv4 /24`). */
  rule: string;
  /** Reason codes the decision carried for this field (`privacy.ip_truncated`, `privacy.field_removed:coupon`). */
  reasons: string[];
}

/** What a destination receives under one consent outcome. */
export interface ModeFlow {
  /** `consented`: every required purpose granted; `not_consented`: at least one missing. */
  consent: 'consented' | 'not_consented';
  action: RouteAction;
  fields: FieldFlow[];
}

/** A region key of the consent config and what the destination does there without any consent signal. */
export interface RegionFlow {
  region: string;
  policy: string;
  /** The action with no consent signal (the region's default) and after the visitor grants everything. */
  without_signal: RouteAction;
  with_consent: RouteAction;
}

/** One destination's entry in the record. */
export interface DestinationFlow {
  id: string;
  type: string;
  recipient: string;
  endpoint?: string;
  purposes: Purpose[];
  when_denied: string;
  tcf_vendor_id?: number;
  regions: RegionFlow[];
  modes: ModeFlow[];
  retention: { what: string; kept: string }[];
}

/** The whole record of processing. */
export interface DataFlowRecord {
  generated_at: string;
  policy_version: string;
  salt_id: string;
  regions: { region: string; policy: string }[];
  /** What tagrelay itself keeps, and how long (the retention rules). */
  store: { what: string; kept: string }[];
  destinations: DestinationFlow[];
}

const RECIPIENTS: Record<string, string> = {
  ga4: 'Google (Google Analytics 4, Measurement Protocol)',
  meta_capi: 'Meta Platforms (Conversions API)',
  tiktok: 'TikTok (Events API)',
  webhook: 'the configured HTTP endpoint (webhook)',
  sqlite: 'the embedded warehouse (events table of this instance)',
  postgres: 'the configured PostgreSQL warehouse',
};

/** What the probe event carries; every value is made up and distinct, so each can be found again. */
const PROBE = {
  email: 'Probe.Person@Example.com',
  phone: '+49 30 901820',
  first_name: 'Probina',
  last_name: 'Probemann',
  city: 'Probestadt',
  postal_code: '10115',
  country: 'DE',
  date_of_birth: '1990-01-31',
  gender: 'f',
  external_id: 'crm-probe-42',
  user_id: 'u-probe-7',
  client_id: '1234567890.1700000000',
  session_id: '1700000123',
  fbp: 'fb.1.1700000000000.4242424242',
  fbc: 'fb.1.1700000000000.PROBEFBCLID',
  ip: '203.0.113.77',
  ip_truncated: '203.0.113.0',
  user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.7339.80 Safari/537.36',
  page_url: 'https://shop.example/checkout/probe',
  referrer: 'https://news.example/probe-article',
  title: 'Probe checkout',
  geo_city: 'Probeburg',
  gclid: 'PROBEGCLID123',
  url_gclid: 'PROBEURLCLICK456',
  utm_source: 'probe-newsletter',
  transaction_id: 'T-PROBE-1',
  custom_param: 'probe-custom-value',
  item_id: 'SKU-PROBE-9',
  language: 'de-DE',
} as const;

function probeEvent(now: number): Event {
  return {
    event_id: 'data-flow-probe',
    name: 'purchase',
    time: now,
    received_at: now,
    params: { value: 42.5, currency: 'EUR', transaction_id: PROBE.transaction_id, probe_param: PROBE.custom_param },
    items: [{ item_id: PROBE.item_id, item_name: 'Probe item', price: 42.5, quantity: 1 }],
    user: {
      user_id: PROBE.user_id,
      email: PROBE.email,
      phone: PROBE.phone,
      first_name: PROBE.first_name,
      last_name: PROBE.last_name,
      city: PROBE.city,
      postal_code: PROBE.postal_code,
      country: PROBE.country,
      date_of_birth: PROBE.date_of_birth,
      gender: PROBE.gender,
      external_id: PROBE.external_id,
    },
    page: { url: `${PROBE.page_url}?step=2&gclid=${PROBE.url_gclid}`, referrer: PROBE.referrer, title: PROBE.title },
    client: { client_id: PROBE.client_id, session_id: PROBE.session_id, fbp: PROBE.fbp, fbc: PROBE.fbc },
    consent: {},
    request: { source: 'native', ip: PROBE.ip, user_agent: PROBE.user_agent, headers: { 'accept-language': PROBE.language }, cookies: {} },
    device: { browser: 'Chrome', browser_version: '140.0.7339.80', os: 'Windows', os_version: '10', device_type: 'desktop' },
    geo: { country: 'DE', city: PROBE.geo_city },
    campaign: { source: PROBE.utm_source, medium: 'email', gclid: PROBE.gclid },
  };
}

/** A consent state where every purpose has the same value (the region and policy do not matter to the gate). */
function uniformConsent(value: 'granted' | 'denied'): ConsentState {
  const decision: PurposeDecision = value === 'granted'
    ? { value, source: 'explicit', reason: 'consent.explicit_granted' }
    : { value, source: 'region_default', reason: 'consent.region_default_opt_in' };
  return {
    purposes: Object.fromEntries(PURPOSES.map((p) => [p, decision])) as Record<Purpose, PurposeDecision>,
    region: 'probe',
    policy: 'opt_in',
    policy_version: 'probe',
    limited_data_use: false,
    notes: [],
  };
}

/** Every string (and number, as text) in a payload; JSON text inside strings (warehouse rows) is opened too. */
function leaves(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') {
    out.push(value);
    if (value.startsWith('{') || value.startsWith('[')) {
      try {
        leaves(JSON.parse(value), out);
      } catch {
        // not JSON: the text itself was kept
      }
    }
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    out.push(String(value));
  } else if (Array.isArray(value)) {
    for (const v of value) leaves(v, out);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) leaves(v, out);
  }
  return out;
}

type Candidate = { value: string | undefined; form: FieldForm; rule: string };


/** Hashing rule ids in words. */
const RULE_NAMES: Record<string, string> = { meta: 'Meta', google: 'Google', tiktok: 'TikTok' };

/** The forms a user-data field can take, in the order they are tested (the destination's own rule first). */
function userCandidates(key: keyof HashedUser, clear: string, identity: PreparedIdentity, own: string, rules: readonly HashingRule[], saltId: string): Candidate[] {
  const out: Candidate[] = [];
  const ordered = [...rules].sort((a, b) => (a.id === own ? -1 : b.id === own ? 1 : 0));
  for (const rule of ordered) {
    const v = identity.hashed[rule.id]?.[key];
    if (v === undefined) continue;
    const name = RULE_NAMES[rule.id] ?? rule.id;
    if (rule.pseudonymize) out.push({ value: v, form: 'pseudonymized', rule: `HMAC-SHA-256 (salt ${saltId}) of the Meta-normalized SHA-256` });
    else if (isSha256Hex(v)) out.push({ value: v, form: 'hashed', rule: `SHA-256 of the ${name}-normalized value` });
    else out.push({ value: v, form: 'clear', rule: `normalized (${name} rule), not hashed` });
  }
  out.push({ value: clear, form: 'clear', rule: 'as received' });
  return out;
}

/** Look for each candidate form in the payload's leaves: the first found decides the field's form. */
function classify(found: string[], candidates: Candidate[], exact: boolean): Omit<FieldFlow, 'field' | 'category' | 'reasons'> {
  for (const c of candidates) {
    if (!c.value) continue;
    const hit = exact ? found.includes(c.value) : found.some((leaf) => leaf.includes(c.value!));
    if (hit) return { form: c.form, rule: c.rule };
  }
  return { form: 'dropped', rule: 'not sent' };
}

/** The field rows for one decision's payload. */
function fieldsOf(payload: unknown, reasons: string[], identity: PreparedIdentity, own: string, rules: readonly HashingRule[], saltId: string): FieldFlow[] {
  const found = payload === undefined ? [] : leaves(payload);
  const rows: FieldFlow[] = [];
  const mentions = (...words: string[]) => reasons.filter((r) => words.some((w) => r.includes(w)));
  const add = (field: string, category: FieldFlow['category'], result: Omit<FieldFlow, 'field' | 'category' | 'reasons'>, related: string[]) =>
    rows.push({ field, category, ...result, reasons: [...new Set(related)] });

  const userFields: [string, keyof HashedUser, string][] = [
    ['user.email', 'em', PROBE.email],
    ['user.phone', 'ph', PROBE.phone],
    ['user.first_name', 'fn', PROBE.first_name],
    ['user.last_name', 'ln', PROBE.last_name],
    ['user.city', 'ct', PROBE.city],
    ['user.postal_code', 'zp', PROBE.postal_code],
    ['user.country', 'country', PROBE.country],
    ['user.date_of_birth', 'db', PROBE.date_of_birth],
    ['user.gender', 'ge', PROBE.gender],
    ['user.external_id', 'external_id', PROBE.external_id],
  ];
  for (const [field, key, clear] of userFields) {
    // The country's clear form (`DE`) also appears as the geo country: only its hashed forms say anything.
    const candidates = userCandidates(key, clear, identity, own, rules, saltId).filter((c) => !(key === 'country' && c.form === 'clear'));
    add(field, 'contact', classify(found, candidates, true), mentions('user_data', `:${field.slice(5)}`));
  }
  add('user.user_id', 'identifier', classify(found, [
    { value: identity.pseudo.user_id, form: 'pseudonymized', rule: `HMAC-SHA-256 (salt ${saltId})` },
    { value: PROBE.user_id, form: 'clear', rule: 'as received' },
  ], true), mentions('user_id', 'user_data_removed'));
  add('client.client_id', 'identifier', classify(found, [
    { value: identity.pseudo.client_id, form: 'pseudonymized', rule: `HMAC-SHA-256 (salt ${saltId})` },
    { value: PROBE.client_id, form: 'clear', rule: 'as received (first-party cookie)' },
  ], false), mentions('client_id', 'ids_pseudonymized'));
  add('client.session_id', 'identifier', classify(found, [
    { value: identity.pseudo.session_id, form: 'pseudonymized', rule: `HMAC-SHA-256 (salt ${saltId})` },
    { value: PROBE.session_id, form: 'clear', rule: 'as received' },
  ], false), mentions('client_id', 'session'));
  add('client.fbp / fbc (Meta browser and click ids)', 'identifier', classify(found, [{ value: PROBE.fbp, form: 'clear', rule: 'as received (_fbp/_fbc cookies)' }], false), mentions('vendor_ids'));
  add('campaign click ids (gclid, fbclid, …)', 'identifier', classify(found, [{ value: PROBE.gclid, form: 'clear', rule: 'as received' }], false), mentions('click_id', 'gclid'));
  add('request.ip', 'network', classify(found, [
    { value: PROBE.ip, form: 'clear', rule: 'full address' },
    { value: PROBE.ip_truncated, form: 'truncated', rule: 'IPv4 /24, IPv6 /48' },
  ], false), mentions('.ip_'));
  add('request.user_agent', 'network', classify(found, [
    { value: PROBE.user_agent, form: 'clear', rule: 'full User-Agent' },
    { value: 'Chrome/140 (Windows)', form: 'reduced', rule: 'browser/major (OS) only' },
  ], false), mentions('user_agent'));
  add('request.accept_language', 'network', classify(found, [{ value: PROBE.language, form: 'clear', rule: 'as received' }], false), []);
  add('page.url', 'page', classify(found, [
    { value: `${PROBE.page_url}?step=2&gclid=${PROBE.url_gclid}`, form: 'clear', rule: 'as received' },
    { value: PROBE.page_url, form: 'redacted', rule: 'query parameters carrying personal data or click ids removed or masked' },
  ], false), mentions('.url_', 'redact'));
  add('page.referrer', 'page', classify(found, [{ value: PROBE.referrer, form: 'clear', rule: 'redacted like the page URL' }], false), []);
  add('page.title', 'page', classify(found, [{ value: PROBE.title, form: 'clear', rule: 'emails removed' }], false), mentions('title'));
  add('geo.city', 'context', classify(found, [{ value: PROBE.geo_city, form: 'clear', rule: 'from the trusted CDN header' }], true), mentions('geo_city'));
  add('device (browser, OS)', 'context', classify(found, [
    { value: '140.0.7339.80', form: 'clear', rule: 'browser version, OS version' },
    { value: 'Chrome', form: 'reduced', rule: 'browser family and major version only' },
  ], true), mentions('device', 'user_agent_reduced'));
  add('campaign (utm_*)', 'context', classify(found, [{ value: PROBE.utm_source, form: 'clear', rule: 'as received' }], false), mentions('campaign'));
  add('event params (value, currency, transaction_id)', 'event', classify(found, [{ value: PROBE.transaction_id, form: 'clear', rule: 'as received' }], false), mentions('field_removed:transaction_id'));
  add('custom event params', 'event', classify(found, [{ value: PROBE.custom_param, form: 'clear', rule: 'as received; fields.allow/deny applied' }], false), mentions('field_removed:probe_param'));
  add('items', 'event', classify(found, [{ value: PROBE.item_id, form: 'clear', rule: 'as received' }], false), mentions('item_'));
  return rows;
}

/** Durations as config writes them (`7d`, `30d`, `3y`). */
export function formatDuration(ms: number): string {
  const units: [number, string][] = [[365 * 86_400_000, 'y'], [86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/** A country that the region key covers (for resolving its policy); `default`: a country no other key covers. */
function representative(key: string, config: Config): string | undefined {
  if (key === 'default') {
    for (const c of ['BR', 'JP', 'AU', 'IN', 'ZA', 'AR', 'MX', 'KR', 'SG', 'NZ']) if (policyFor(c, config.consent).matched === 'default') return c;
    return undefined;
  }
  return REGION_GROUPS[key]?.[0] ?? key;
}

/** The consent state a visitor from `country` gets with no consent signal at all. */
function defaultState(country: string | undefined, config: Config): ConsentState {
  const header = config.consent.geo_headers.find((h) => !h.includes('region')) ?? config.consent.geo_headers[0];
  const [cc, sub] = (country ?? '').split('-');
  const headers: Record<string, string> = {};
  if (header && cc) headers[header] = cc;
  const regionHeader = config.consent.geo_headers.find((h) => h.includes('region'));
  if (regionHeader && sub) headers[regionHeader] = sub;
  return resolveConsent({ signals: {}, headers, receipt: undefined }, config.consent);
}

function retentionOf(config: Config, type: string): { what: string; kept: string }[] {
  const rules = config.retention.rules;
  const rule = (key: string) => (rules[key] !== undefined ? formatDuration(rules[key]!) : 'no rule (kept until deleted)');
  const out = [
    { what: 'record of the event in tagrelay (hashes and pseudonyms, no clear personal data)', kept: `${rule('records')} after every destination settled it` },
    { what: 'IP address and User-Agent in the record', kept: 'until the last destination allowed to receive them settles' },
    { what: 'delivery decision (status, reasons, vendor answer)', kept: rule('delivery_log') },
    { what: 'undeliverable payload (dead letter)', kept: rule('dead_letter') },
  ];
  if (type === 'sqlite') {
    out.push({ what: 'rows of the embedded warehouse (events table)', kept: rule('events') });
    for (const [key, ttl] of Object.entries(rules)) if (key.startsWith('events.')) out.push({ what: `events.${key.slice(7)} in the warehouse`, kept: `${formatDuration(ttl)}, then removed from the row` });
  } else if (type === 'postgres') {
    out.push({ what: 'rows of the PostgreSQL warehouse', kept: 'set in the warehouse (no tagrelay retention rule applies there)' });
  } else {
    out.push({ what: `data received by ${RECIPIENTS[type] ?? type}`, kept: "the recipient's own retention (outside tagrelay; see the vendor's data processing terms)" });
  }
  return out;
}

/**
 * Generate the record of processing for a configuration. `hasher` is the runtime's Hasher port (the
 * probe's hashes are computed exactly as at accept).
 *
 * @example
 * const record = await generateDataFlow(config, runtime.hash, Date.now())
 * const markdown = dataFlowMarkdown(record)
 */
export async function generateDataFlow(config: Config, hasher: Hasher, now: number): Promise<DataFlowRecord> {
  const event = probeEvent(now);
  const notes = scrubForRecord(event);
  const active: ActiveDestination[] = config.destinations.filter((d) => d.enabled).map((d) => ({ config: d, kind: registry[d.type] }));
  const rules = hashingRulesOf(active);
  const identity = await prepareIdentity(event, { global: config.privacy, hasher, now, rules });
  event.user = {};
  const saltId = config.privacy.pseudonymization.salt_id;
  const granted = uniformConsent('granted');
  const denied = uniformConsent('denied');
  const regionKeys = [...Object.keys(config.consent.regions), 'unknown'];
  const regionStates = regionKeys.map((key) => ({
    key,
    state: key === 'unknown' ? defaultState(undefined, config) : defaultState(representative(key, config), config),
  }));

  const destinations: DestinationFlow[] = active
    .map((dest) => {
      const d = dest.config;
      const requires = [...(d.requires ?? dest.kind.requires)];
      const whenDenied = d.when_denied ?? dest.kind.whenDenied;
      const modes: ModeFlow[] = [];
      for (const [label, consent] of [['consented', granted], ['not_consented', denied]] as const) {
        if (label === 'not_consented' && requires.length === 0) continue;
        const record = toRecord({ ...event, consent_state: consent }, identity, [...notes], 'data-flow');
        const decision = decide(record, dest);
        modes.push({ consent: label, action: decision.action, fields: fieldsOf(decision.payload, decision.reasons, identity, dest.kind.privacy.hashing.id, rules, saltId) });
      }
      const rule = { requires, whenDenied, tcfVendorId: d.tcf_vendor_id };
      const regions: RegionFlow[] = regionStates.map(({ key, state }) => ({
        region: key,
        policy: key === 'unknown' ? `${state.policy} (strictest)` : config.consent.regions[key]!,
        without_signal: gate(state, rule).action,
        with_consent: gate(granted, rule).action,
      }));
      return {
        id: d.id,
        type: d.type,
        recipient: RECIPIENTS[d.type] ?? d.type,
        ...(d.endpoint ? { endpoint: d.endpoint } : {}),
        purposes: requires,
        when_denied: whenDenied,
        ...(d.tcf_vendor_id !== undefined ? { tcf_vendor_id: d.tcf_vendor_id } : {}),
        regions,
        modes,
        retention: retentionOf(config, d.type),
      };
    });

  const retention = config.retention.rules;
  const store = Object.entries(retention).map(([what, ttl]) => ({ what, kept: formatDuration(ttl) }));
  return {
    generated_at: new Date(now).toISOString(),
    policy_version: config.consent.policy_version,
    salt_id: saltId,
    regions: Object.entries(config.consent.regions).map(([region, policy]) => ({ region, policy })),
    store,
    destinations,
  };
}

/** CSV: one row per destination, consent outcome and field. */
export function dataFlowCsv(record: DataFlowRecord): string {
  const cell = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  const lines = [['destination', 'type', 'recipient', 'purposes', 'regions', 'consent', 'action', 'field', 'category', 'form', 'rule', 'reasons', 'retention'].join(',')];
  for (const d of record.destinations) {
    const regions = d.regions.map((r) => `${r.region}:${r.policy}:${r.without_signal}`).join(' ');
    const retention = d.retention.map((r) => `${r.what}: ${r.kept}`).join('; ');
    for (const m of d.modes) {
      for (const f of m.fields) {
        lines.push([d.id, d.type, d.recipient, d.purposes.join(' '), regions, m.consent, m.action, f.field, f.category, f.form, f.rule, f.reasons.join(' '), retention].map(cell).join(','));
      }
    }
  }
  return lines.join('\n') + '\n';
}

/** Markdown: one section per destination, a field table per consent outcome. */
export function dataFlowMarkdown(record: DataFlowRecord): string {
  const esc = (v: string) => v.replace(/\|/g, '\\|');
  const out: string[] = [
    '# Record of processing (GDPR Art. 30)',
    '',
    `Generated ${record.generated_at} from the live configuration (consent policy v${record.policy_version}, pseudonymization salt id \`${record.salt_id}\`).`,
    '',
    '## Consent policy per region',
    '',
    '| region | policy |',
    '|---|---|',
    ...record.regions.map((r) => `| ${r.region} | ${r.policy} |`),
    '',
    '## Kept by tagrelay',
    '',
    '| store | kept |',
    '|---|---|',
    ...record.store.map((s) => `| ${s.what} | ${s.kept} |`),
  ];
  for (const d of record.destinations) {
    out.push('', `## ${d.id} — ${d.recipient}`, '');
    out.push(`- type: \`${d.type}\`${d.endpoint ? `, endpoint ${d.endpoint}` : ''}`);
    out.push(`- purposes required: ${d.purposes.length > 0 ? d.purposes.map((p) => `\`${p}\``).join(', ') : 'none'}; without them: \`${d.when_denied}\``);
    if (d.tcf_vendor_id !== undefined) out.push(`- IAB TCF vendor id: ${d.tcf_vendor_id}`);
    out.push('', '| region | policy | no consent signal | consent granted |', '|---|---|---|---|');
    for (const r of d.regions) out.push(`| ${r.region} | ${r.policy} | ${r.without_signal} | ${r.with_consent} |`);
    for (const m of d.modes) {
      out.push('', `### ${m.consent === 'consented' ? 'With consent' : 'Without consent'}: ${m.action}`, '');
      out.push('| field | form | rule | reasons |', '|---|---|---|---|');
      for (const f of m.fields) out.push(`| ${esc(f.field)} | ${f.form} | ${esc(f.rule)} | ${f.reasons.map((r) => `\`${esc(r)}\``).join(' ')} |`);
    }
    out.push('', '| kept | for |', '|---|---|');
    for (const r of d.retention) out.push(`| ${esc(r.what)} | ${esc(r.kept)} |`);
  }
  return out.join('\n') + '\n';
}
