/**
 * @module A fake GA4 Measurement Protocol endpoint (/mp/collect and /debug/mp/collect).
 *
 * Like the real service, /mp/collect answers 204 with an empty body whatever it receives; the
 * problems it finds are recorded (see {@link Ga4Fake.problems}) so tests can assert there are none.
 * /debug/mp/collect answers `{ validationMessages: [...] }` shaped like Google's (fieldPath,
 * description, validationCode); the descriptions follow the documented examples, e.g.
 * "Event at index: [0] has invalid name [_badEventName]. Names must start with an alphabetic character."
 */
import { startFake, type ReceivedRequest, type VendorFake } from './fake-server.js';

/** A validation message as Google's debug endpoint returns it. */
export interface ValidationMessage {
  fieldPath: string;
  description: string;
  validationCode: 'VALUE_INVALID' | 'VALUE_REQUIRED' | 'NAME_INVALID' | 'NAME_RESERVED' | 'VALUE_OUT_OF_BOUNDS' | 'EXCEEDED_MAX_ENTITIES' | 'NAME_DUPLICATED';
}

interface Ga4Body {
  client_id?: unknown;
  events?: { name?: unknown; params?: Record<string, unknown> }[];
  user_properties?: Record<string, { value?: unknown }>;
}

/** The GA4 fake: a {@link VendorFake} plus the problems found per request. */
export interface Ga4Fake extends VendorFake<Ga4Body> {
  /** Validation messages for each received request (same order as `received`). */
  problems(): ValidationMessage[][];
  /** Only the requests that reached /mp/collect (not the debug endpoint). */
  collected(): ReceivedRequest<Ga4Body>[];
}

const RESERVED = new Set(['session_start', 'first_visit', 'first_open', 'user_engagement', 'error', 'app_remove', 'in_app_purchase', 'screen_view', 'ad_click']);
const LONG: Record<string, number> = { page_location: 1000, page_referrer: 420, page_title: 300 };

/** Check one request body the way Google documents its limits. */
export function validateGa4(query: Record<string, string>, bytes: number, body: Ga4Body | undefined): ValidationMessage[] {
  const out: ValidationMessage[] = [];
  if (!query.measurement_id) out.push({ fieldPath: 'measurement_id', description: 'Unable to find measurement_id.', validationCode: 'VALUE_REQUIRED' });
  if (!query.api_secret) out.push({ fieldPath: 'api_secret', description: 'Unable to find api_secret.', validationCode: 'VALUE_REQUIRED' });
  if (bytes >= 130_000) out.push({ fieldPath: '', description: `Request body is ${bytes} bytes; the limit is 130kB.`, validationCode: 'VALUE_OUT_OF_BOUNDS' });
  if (!body) return [...out, { fieldPath: '', description: 'Unable to parse the request body as JSON.', validationCode: 'VALUE_INVALID' }];
  if (typeof body.client_id !== 'string' || body.client_id === '') out.push({ fieldPath: 'client_id', description: 'Measurement requires a client_id.', validationCode: 'VALUE_REQUIRED' });
  const events = Array.isArray(body.events) ? body.events : [];
  if (events.length === 0) out.push({ fieldPath: 'events', description: 'Measurement requires at least one event.', validationCode: 'VALUE_REQUIRED' });
  if (events.length > 25) out.push({ fieldPath: 'events', description: `Measurement has too many events [${events.length}]. The maximum is 25.`, validationCode: 'EXCEEDED_MAX_ENTITIES' });
  events.forEach((e, i) => {
    const name = typeof e.name === 'string' ? e.name : '';
    if (!/^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(name))
      out.push({ fieldPath: 'events', description: `Event at index: [${i}] has invalid name [${name}]. Names must start with an alphabetic character and be at most 40 characters.`, validationCode: 'NAME_INVALID' });
    else if (RESERVED.has(name) || /^(google_|ga_|firebase_)/.test(name))
      out.push({ fieldPath: 'events', description: `Event at index: [${i}] has name [${name}] which is reserved.`, validationCode: 'NAME_RESERVED' });
    const params = e.params ?? {};
    const names = Object.keys(params);
    if (names.length > 25) out.push({ fieldPath: 'events.params', description: `Event at index: [${i}] has too many params [${names.length}]. The maximum is 25.`, validationCode: 'EXCEEDED_MAX_ENTITIES' });
    for (const p of names) {
      if (p.length > 40 || /^(google_|ga_|firebase_|gtag\.)/.test(p))
        out.push({ fieldPath: 'events.params', description: `Event at index: [${i}] has invalid param name [${p}].`, validationCode: 'NAME_INVALID' });
      const v = params[p];
      if (typeof v === 'string' && v.length > (LONG[p] ?? 100))
        out.push({ fieldPath: 'events.params', description: `Event at index: [${i}] has param [${p}] with value exceeding the maximum length.`, validationCode: 'VALUE_OUT_OF_BOUNDS' });
      if (p === 'items' && Array.isArray(v) && v.length > 200)
        out.push({ fieldPath: 'events.params.items', description: `Event at index: [${i}] has too many items [${v.length}].`, validationCode: 'EXCEEDED_MAX_ENTITIES' });
    }
  });
  const props = Object.entries(body.user_properties ?? {});
  if (props.length > 25) out.push({ fieldPath: 'user_properties', description: `Too many user properties [${props.length}].`, validationCode: 'EXCEEDED_MAX_ENTITIES' });
  for (const [k, v] of props) {
    if (k.length > 24) out.push({ fieldPath: 'user_properties', description: `User property [${k}] name is too long.`, validationCode: 'NAME_INVALID' });
    if (typeof v?.value === 'string' && v.value.length > 36)
      out.push({ fieldPath: 'user_properties', description: `User property [${k}] value is too long.`, validationCode: 'VALUE_OUT_OF_BOUNDS' });
  }
  return out;
}

/**
 * Start the fake. Requests with a different `api_secret` than `opts.apiSecret` get a problem
 * recorded (the real service drops them silently with a 204).
 *
 * @example
 * const fake = await startGa4Fake(); const config = { ..., endpoint: fake.url }
 */
export async function startGa4Fake(opts: { apiSecret?: string; port?: number } = {}): Promise<Ga4Fake> {
  const check = (req: Pick<ReceivedRequest<Ga4Body>, 'query' | 'bytes' | 'body'>): ValidationMessage[] => {
    const messages = validateGa4(req.query, req.bytes, req.body);
    if (opts.apiSecret !== undefined && req.query.api_secret !== undefined && req.query.api_secret !== opts.apiSecret)
      messages.push({ fieldPath: 'api_secret', description: 'api_secret does not match the stream.', validationCode: 'VALUE_INVALID' });
    return messages;
  };
  const fake = await startFake<Ga4Body>((req) => {
    if (req.method !== 'POST') return { status: 405 };
    if (req.path === '/debug/mp/collect') return { status: 200, body: JSON.stringify({ validationMessages: check(req) }) };
    if (req.path === '/mp/collect') return { status: 204 };
    return { status: 404, body: 'Not Found' };
  }, { port: opts.port });
  return Object.assign(fake, {
    problems: () => fake.received.map(check),
    collected: () => fake.received.filter((r) => r.path === '/mp/collect' && r.status === 204),
  });
}
