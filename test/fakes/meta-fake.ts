/**
 * @module A fake Meta Conversions API endpoint: POST /{version}/{pixel_id}/events.
 *
 * Answers `{ events_received, messages: [], fbtrace_id }` on success and Graph error bodies otherwise:
 * a wrong token gets code 190 (OAuthException); any invalid event rejects the whole request with
 * code 100 "Invalid parameter" (as Meta does). Error shape and the 2804016 "not hashed" body follow a
 * real response (facebook/facebook-java-business-sdk#421); the other subcodes are illustrative.
 */
import { startFake, type VendorFake } from './fake-server.js';

interface MetaBody {
  data?: Record<string, unknown>[];
  access_token?: string;
  test_event_code?: string;
}

/** The Meta fake: a {@link VendorFake} plus the events it accepted. */
export interface MetaFake extends VendorFake<MetaBody> {
  /** Every event of every accepted request, in order. */
  accepted(): Record<string, unknown>[];
}

const HASHED = ['em', 'ph', 'fn', 'ln', 'ge', 'db', 'ct', 'st', 'zp', 'country'];
const CUSTOMER = [...HASHED, 'external_id', 'client_ip_address', 'client_user_agent', 'fbc', 'fbp', 'madid'];
const ACTION_SOURCES = new Set(['website', 'app', 'email', 'phone_call', 'chat', 'physical_store', 'system_generated', 'business_messaging', 'other']);
const SEVEN_DAYS_S = 7 * 86_400;

let trace = 0;
const fbtrace = (): string => `AfakeTrace${(++trace).toString(36)}`;

function graphError(code: number, message: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: fbtrace() } });
}

function invalid(subcode: number, title: string, msg: string): string {
  return graphError(100, 'Invalid parameter', { error_subcode: subcode, is_transient: false, error_user_title: title, error_user_msg: msg });
}

/** Why Meta would reject this event, as a Graph error body; `undefined` when it is fine. */
export function checkMetaEvent(e: Record<string, unknown>, nowSec: number): string | undefined {
  if (typeof e.event_name !== 'string' || e.event_name === '') return invalid(2804008, 'Missing Event Name', 'The event_name parameter is required.');
  if (typeof e.event_time !== 'number' || !Number.isInteger(e.event_time)) return invalid(2804007, 'Invalid Event Time', 'The event_time parameter must be a Unix timestamp in seconds.');
  if (e.event_time < nowSec - SEVEN_DAYS_S)
    return invalid(2804003, 'Event Timestamp Too Old', 'The timestamp for this event is too far in the past. Events need to be sent from your server within 7 days of when they occurred.');
  if (e.event_time > nowSec + 60) return invalid(2804004, 'Event Timestamp In Future', 'The timestamp for this event is in the future.');
  if (typeof e.action_source !== 'string' || !ACTION_SOURCES.has(e.action_source)) return invalid(2804019, 'Invalid Action Source', 'The action_source parameter is missing or invalid.');
  const cd = e.custom_data as Record<string, unknown> | undefined;
  if (e.event_name === 'Purchase' && (typeof cd?.value !== 'number' || typeof cd.currency !== 'string'))
    return invalid(2804020, 'Missing Purchase Value', 'Purchase events require value and currency in custom_data.');
  const ud = e.user_data as Record<string, unknown> | undefined;
  if (!ud || typeof ud !== 'object' || !CUSTOMER.some((k) => ud[k] !== undefined && ud[k] !== ''))
    return invalid(2804050, 'Insufficient Customer Information', 'At least one customer information parameter is required in user_data.');
  for (const k of HASHED) {
    const v = ud[k];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [v];
    if (!list.every((x) => typeof x === 'string' && /^[a-f0-9]{64}$/.test(x)))
      return invalid(2804016, 'User Parameter Not Hashed', `The ${k} parameter isn’t hashed. Hash all user parameters as SHA256, except for client user agent, click ID, and browser ID.`);
  }
  // Website events: event_source_url and client_user_agent are required (server event parameters).
  if (e.action_source === 'website' && (typeof e.event_source_url !== 'string' || e.event_source_url === ''))
    return invalid(2804042, 'Missing Event Source URL', 'The event_source_url parameter is required for website events.');
  if (e.action_source === 'website' && (typeof ud.client_user_agent !== 'string' || ud.client_user_agent === ''))
    return invalid(2804043, 'Missing User Agent', 'The client_user_agent parameter is required for website events.');
  if (e.data_processing_options !== undefined) {
    const okCountry = e.data_processing_options_country === undefined || [0, 1].includes(e.data_processing_options_country as number);
    const okState = e.data_processing_options_state === undefined || [0, 1000].includes(e.data_processing_options_state as number);
    if (!Array.isArray(e.data_processing_options) || !okCountry || !okState)
      return invalid(2804046, 'Invalid Data Processing Options', 'data_processing_options must be a list; country 1 (US) or 0, state 1000 (California) or 0.');
  }
  return undefined;
}

/**
 * Start the fake for one pixel and token.
 *
 * @example
 * const fake = await startMetaFake({ accessToken: 'tok' }); fake.failNext({ status: 500 })
 */
export async function startMetaFake(opts: { pixelId?: string; accessToken?: string; now?: () => number; port?: number } = {}): Promise<MetaFake> {
  const pixelId = opts.pixelId ?? '123456789012345';
  const token = opts.accessToken ?? 'test-access-token';
  const now = opts.now ?? Date.now;
  const fake = await startFake<MetaBody>((req) => {
    const m = /^\/v\d+\.\d+\/(\d+)\/events$/.exec(req.path);
    if (req.method !== 'POST' || !m) return { status: 404, body: graphError(803, 'Unknown path components') };
    const given = req.body?.access_token ?? req.query.access_token;
    if (given !== token) return { status: 400, body: graphError(190, 'Invalid OAuth access token - Cannot parse access token') };
    if (m[1] !== pixelId) return { status: 400, body: graphError(100, `Unsupported post request. Object with ID '${m[1]}' does not exist`, { error_subcode: 33 }) };
    const data = req.body?.data;
    if (!Array.isArray(data) || data.length === 0) return { status: 400, body: graphError(100, '(#100) The parameter data is required') };
    if (data.length > 1000) return { status: 400, body: invalid(2804025, 'Too Many Events', 'A request can contain at most 1000 events.') };
    const nowSec = Math.floor(now() / 1000);
    for (const e of data) {
      const problem = checkMetaEvent(e, nowSec);
      if (problem) return { status: 400, body: problem };
    }
    return { status: 200, body: JSON.stringify({ events_received: data.length, messages: [], fbtrace_id: fbtrace() }) };
  }, { port: opts.port });
  return Object.assign(fake, {
    accepted: () => fake.received.filter((r) => r.status === 200).flatMap((r) => r.body?.data ?? []),
  });
}
