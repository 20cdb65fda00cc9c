/**
 * @module Consent endpoints: record a CMP choice as an audited, signed receipt; explain routing decisions.
 */
import { z } from 'zod';
import type { Services } from '../services.js';
import type { Event } from '../event.js';
import { PURPOSES, type ConsentValue, type Purpose } from './purposes.js';
import { resolveConsent } from './resolve.js';
import { storageAllowed } from './gate.js';
import { signReceipt } from './receipts.js';
import { describeReason } from './explain.js';
import { identify } from '../identity/resolve.js';
import { cookieDomain, serializeCookie } from '../identity/cookies.js';
import { processEvents, type EventOutcome, type RequestFacts } from '../pipeline.js';
import { decide } from '../delivery/decide.js';

/** `POST /v1/consent` body: the visitor's choice per purpose, from the site's CMP. */
export const consentChoiceSchema = z
  .object({
    consent: z.partialRecord(z.enum(PURPOSES), z.enum(['granted', 'denied'])).refine((c) => Object.keys(c).length > 0, 'name at least one purpose'),
    client_id: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/).optional(),
    source: z.string().regex(/^[a-z0-9_.-]{1,40}$/).default('cmp'),
  })
  .strict();
export type ConsentChoice = z.infer<typeof consentChoiceSchema>;

/** What `POST /v1/consent` answers. */
export interface ConsentRecorded {
  receipt?: string;
  state: Record<Purpose, ConsentValue>;
  region: string;
  policy_version: string;
  expires_at?: number;
  setCookies: string[];
}

/**
 * Record a choice: resolve it against the region's policy, write the audit row (pseudonymous client
 * id only), sign a receipt and build the cookies (receipt HttpOnly; identity cookies as now allowed).
 */
export async function recordConsent(
  choice: ConsentChoice,
  request: { headers: Record<string, string>; cookies: Record<string, string>; host: string },
  services: Services,
): Promise<ConsentRecorded> {
  const { config, runtime } = services;
  const now = runtime.now();
  const state = resolveConsent({ signals: {}, headers: request.headers, receipt: choice.consent }, config.consent);
  const values = Object.fromEntries(PURPOSES.map((p) => [p, state.purposes[p].value])) as Record<Purpose, ConsentValue>;
  const storage = storageAllowed(state);
  const id = identify(
    { cookies: request.cookies, host: request.host, client: choice.client_id ? { client_id: choice.client_id } : {}, now, storage, randomHex: runtime.randomHex },
    config.identity,
  );
  const clientId = id.client.client_id ?? choice.client_id;
  const salt = config.privacy.pseudonymization.salt;
  const pseudonym = clientId ? await runtime.hash.hmacSha256Hex(salt, clientId) : null;
  await services.ready;
  await runtime.db.run(
    'INSERT INTO consent_audit (time, client_id, state, source, policy_version, region) VALUES (?, ?, ?, ?, ?, ?)',
    [now, pseudonym, JSON.stringify(choice.consent), choice.source, state.policy_version, state.region],
  );
  const key = await services.receipts.key();
  const result: ConsentRecorded = { state: values, region: state.region, policy_version: state.policy_version, setCookies: [...id.setCookies] };
  if (key) {
    const ttl = config.consent.receipts.ttl;
    result.receipt = await signReceipt(
      { client_id: pseudonym ?? 'anonymous', state: choice.consent, source: choice.source, policy_version: state.policy_version, region: state.region },
      key,
      { now, ttlMs: ttl },
    );
    result.expires_at = now + ttl;
    result.setCookies.push(
      serializeCookie(config.consent.receipts.cookie_name, result.receipt, {
        domain: cookieDomain(request.host, config.identity.cookie_domain, config.identity.cookie_domains),
        maxAgeSec: Math.floor(ttl / 1000),
        httpOnly: true,
        secure: config.identity.secure,
        sameSite: 'Lax',
      }),
    );
  }
  return result;
}

/** A decision with each reason in words. */
export interface Explanation {
  event_id: string;
  name: string;
  status: EventOutcome['status'];
  region?: string;
  policy?: string;
  policy_version?: string;
  purposes?: Record<string, { value: ConsentValue; source: string; reason: string; explanation: string }>;
  notes: { code: string; explanation: string }[];
  destinations: {
    destination_id: string;
    action: string;
    reasons: { code: string; explanation: string }[];
    payload?: unknown;
  }[];
}

const words = (code: string) => ({ code, explanation: describeReason(code) });

/**
 * Run the accept path on events without storing anything, and say per destination what would happen
 * and why — through the same `decide()` delivery uses, so the payload shown is the payload sent.
 */
export async function explainEvents(events: Event[], facts: Omit<RequestFacts, 'explain'>, services: Services): Promise<Explanation[]> {
  await services.ready;
  const processed = await processEvents(events, { ...facts, explain: true }, services.pipeline);
  return processed.outcomes.map((o) => ({
    event_id: o.event_id,
    name: o.name,
    status: o.status,
    region: o.consent?.region,
    policy: o.consent?.policy,
    policy_version: o.consent?.policy_version,
    purposes: o.consent
      ? Object.fromEntries(Object.entries(o.consent.purposes).map(([p, d]) => [p, { ...d, explanation: describeReason(d.reason) }]))
      : undefined,
    notes: [...(o.consent?.notes ?? []), ...o.reasons].map(words),
    destinations: o.record
      ? services.destinations.map((dest) => {
          const d = decide(o.record!, dest);
          return { destination_id: d.destination_id, action: d.action, reasons: d.reasons.map(words), payload: d.payload };
        })
      : [],
  }));
}
