/**
 * @module Native ingest: `POST /v1/events` bodies (one event, or `{context, events}`) → canonical Events.
 */
import { EVENT_NAME_PATTERN, type Event, type Item, type RequestContext, type Scalar } from '../event.js';
import type { ErrorCode } from '../errors.js';
import type { Config } from '../config/schema.js';

/**
 * A key as an error may name it: a site-chosen key can itself be personal data (an email used as a
 * param name), and error bodies never echo input values — such keys are masked.
 */
function safeKey(key: string): string {
  return /^[A-Za-z][A-Za-z0-9_]{0,39}$/.test(key) ? key : '****';
}
import { uuidv7 } from '../ids.js';

import type { IngestEnv, IngestResult, Rejection } from './types.js';

export type { IngestEnv, IngestResult, Rejection } from './types.js';

type Obj = Record<string, unknown>;

const USER_FIELDS = [
  'user_id',
  'email',
  'phone',
  'first_name',
  'last_name',
  'city',
  'region',
  'postal_code',
  'country',
  'date_of_birth',
  'gender',
  'external_id',
] as const;
const PAGE_FIELDS = ['url', 'referrer', 'title'] as const;
const CLIENT_FIELDS = ['client_id', 'session_id'] as const;
/** Event ids a client may send: 1–128 of `[A-Za-z0-9._:-]` (derived events' ids follow it too). */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** An event-level problem; thrown inside this module only and turned into a {@link Rejection}. */
class Invalid {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly field: string,
  ) {}
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function str(v: unknown, field: string, max: number): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
  if (typeof v !== 'string') throw new Invalid('ERR_INVALID_TYPE', `${field} must be a string`, field);
  if (v.length > max) throw new Invalid('ERR_VALUE_TOO_LONG', `${field} exceeds ${max} characters`, field);
  return v;
}

function scalar(v: unknown, field: string, max: number): Scalar {
  if (typeof v === 'string') {
    if (v.length > max) throw new Invalid('ERR_VALUE_TOO_LONG', `${field} exceeds ${max} characters`, field);
    return v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'boolean') return v;
  throw new Invalid('ERR_INVALID_TYPE', `${field} must be a string, a finite number or a boolean`, field);
}

/** Pick known string fields of a section; the event's own values win over the batch context's. */
function section<K extends string>(
  keys: readonly K[],
  name: string,
  own: unknown,
  shared: unknown,
  max: number,
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const src of [shared, own]) {
    if (src === undefined || src === null) continue;
    if (!isObj(src)) throw new Invalid('ERR_INVALID_TYPE', `${name} must be an object`, name);
    for (const k of keys) {
      const v = str(src[k], `${name}.${k}`, max);
      if (v !== undefined) out[k] = v;
    }
  }
  return out;
}

function params(v: unknown, limits: Config['limits']): { params: Record<string, Scalar>; items?: Item[] } {
  if (v === undefined || v === null) return { params: {} };
  if (!isObj(v)) throw new Invalid('ERR_INVALID_TYPE', 'params must be an object', 'params');
  const out: Record<string, Scalar> = {};
  let items: Item[] | undefined;
  let count = 0;
  for (const key in v) {
    const value = v[key];
    if (key === 'items') {
      items = parseItems(value, limits);
      continue;
    }
    if (++count > limits.max_params) {
      throw new Invalid('ERR_TOO_MANY_PARAMS', `params has more than ${limits.max_params} entries`, 'params');
    }
    if (key.length > 100) throw new Invalid('ERR_VALUE_TOO_LONG', 'a param name exceeds 100 characters', 'params');
    if (value === null || value === undefined) continue;
    out[key] = scalar(value, `params.${safeKey(key)}`, limits.max_string_length);
  }
  return items ? { params: out, items } : { params: out };
}

function parseItems(v: unknown, limits: Config['limits']): Item[] {
  if (!Array.isArray(v)) throw new Invalid('ERR_INVALID_TYPE', 'params.items must be an array', 'params.items');
  if (v.length > limits.max_items) {
    throw new Invalid('ERR_TOO_MANY_PARAMS', `params.items has more than ${limits.max_items} entries`, 'params.items');
  }
  return v.map((item, i) => {
    const field = `params.items[${i}]`;
    if (!isObj(item)) throw new Invalid('ERR_INVALID_TYPE', `${field} must be an object`, field);
    const out: Item = {};
    let count = 0;
    for (const key in item) {
      if (++count > limits.max_params) throw new Invalid('ERR_TOO_MANY_PARAMS', `${field} has too many fields`, field);
      const value = item[key];
      if (value === null || value === undefined) continue;
      out[key] = scalar(value, `${field}.${safeKey(key)}`, limits.max_string_length);
    }
    for (const key of ['price', 'quantity'] as const) {
      if (out[key] !== undefined && typeof out[key] !== 'number') {
        const n = Number(out[key]);
        if (!Number.isFinite(n)) throw new Invalid('ERR_INVALID_TYPE', `${field}.${safeKey(key)} must be a number`, `${field}.${safeKey(key)}`);
        out[key] = n;
      }
    }
    return out;
  });
}

/** Client time → effective time: kept within [now − max_past, now + max_future], else server time. */
export function normalizeTime(
  raw: unknown,
  now: number,
  window: Config['time'],
): { time: number; adjusted: boolean } {
  if (raw === undefined || raw === null) return { time: now, adjusted: false };
  let t: number;
  if (typeof raw === 'number' && Number.isFinite(raw)) t = raw;
  else if (typeof raw === 'string' && raw.length <= 64) t = Date.parse(raw);
  else throw new Invalid('ERR_INVALID_TYPE', 'time must be an ISO-8601 string or epoch milliseconds', 'time');
  if (Number.isNaN(t)) throw new Invalid('ERR_INVALID_TYPE', 'time is not a valid ISO-8601 date', 'time');
  if (t < now - window.max_past || t > now + window.max_future) return { time: now, adjusted: true };
  return { time: Math.floor(t), adjusted: false };
}

function consent(own: unknown, shared: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const src of [shared, own]) {
    if (src === undefined || src === null) continue;
    if (!isObj(src)) throw new Invalid('ERR_INVALID_TYPE', 'consent must be an object', 'consent');
    for (const k in src) {
      const v = src[k];
      if (typeof v === 'boolean') out[k] = v ? 'granted' : 'denied';
      else if (typeof v === 'string' && v.length <= 4096) out[k] = v;
      else throw new Invalid('ERR_INVALID_TYPE', `consent.${safeKey(k)} must be a string`, `consent.${safeKey(k)}`);
    }
  }
  return out;
}

/** Build one canonical event from a raw object, or throw {@link Invalid}. */
function toEvent(raw: unknown, ctx: Obj, env: IngestEnv): Event {
  if (!isObj(raw)) throw new Invalid('ERR_INVALID_EVENT', 'an event must be a JSON object', '');
  const name = raw.name;
  if (typeof name !== 'string' || !EVENT_NAME_PATTERN.test(name)) {
    throw new Invalid('ERR_INVALID_NAME', 'name must match ^[a-zA-Z][a-zA-Z0-9_]{0,39}$', 'name');
  }
  let eventId = raw.event_id;
  if (eventId === undefined || eventId === null) eventId = uuidv7(env.now, env.randomHex(10));
  else if (typeof eventId !== 'string' || !EVENT_ID_PATTERN.test(eventId)) {
    throw new Invalid('ERR_INVALID_TYPE', 'event_id must be 1–128 characters of [A-Za-z0-9._:-]', 'event_id');
  }
  const max = env.limits.max_string_length;
  const { time, adjusted } = normalizeTime(raw.time, env.now, env.time);
  const p = params(raw.params, env.limits);
  const client = section(CLIENT_FIELDS, 'client', raw.client, ctx.client, max);
  const userProps = raw.user_properties === undefined ? undefined : params(raw.user_properties, env.limits).params;
  const event: Event = {
    event_id: eventId as string,
    name,
    time,
    received_at: env.now,
    params: p.params,
    user: section(USER_FIELDS, 'user', raw.user, ctx.user, max),
    page: section(PAGE_FIELDS, 'page', raw.page, ctx.page, 8192),
    client,
    consent: consent(raw.consent, ctx.consent),
    request: env.request,
  };
  if (p.items) event.items = p.items;
  if (userProps) event.user_properties = userProps;
  if (adjusted) event.time_adjusted = true;
  return event;
}

/**
 * Parse a native body. Body-level problems throw a `TagrelayError`-shaped rejection via the caller;
 * event-level problems become {@link Rejection}s so one bad event never drops its neighbours.
 */
export function ingestNative(body: unknown, env: IngestEnv): IngestResult | { error: Rejection } {
  let list: unknown[];
  let ctx: Obj = {};
  if (Array.isArray(body)) list = body;
  else if (isObj(body) && 'events' in body) {
    if (!Array.isArray(body.events)) return { error: { index: -1, code: 'ERR_INVALID_BODY', message: 'events must be an array', field: 'events' } };
    if (body.context !== undefined && !isObj(body.context)) {
      return { error: { index: -1, code: 'ERR_INVALID_BODY', message: 'context must be an object', field: 'context' } };
    }
    list = body.events;
    ctx = (body.context as Obj | undefined) ?? {};
  } else if (isObj(body)) list = [body];
  else return { error: { index: -1, code: 'ERR_INVALID_BODY', message: 'body must be an event object or {context, events}' } };
  if (list.length > env.limits.max_events) {
    return { error: { index: -1, code: 'ERR_TOO_MANY_EVENTS', message: `a batch holds at most ${env.limits.max_events} events` } };
  }
  const events: Event[] = [];
  const rejected: Rejection[] = [];
  list.forEach((raw, index) => {
    try {
      events.push(toEvent(raw, ctx, env));
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      rejected.push({ index, code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) });
    }
  });
  return { events, rejected };
}
