/**
 * @module gtag ingest: GA4 browser hits (`/g/collect`, GET or batched POST) → canonical Events.
 */
import { EVENT_NAME_PATTERN, type ClientData, type Event, type Item, type PageData, type Scalar } from '../event.js';
import { uuidv7 } from '../ids.js';
import type { IngestEnv, IngestResult, Rejection } from './types.js';
import { ITEM_PARAM, InvalidHit, limited, parseItem, parseNumber, setOwn } from './gtag-items.js';
import { clientHintHeaders } from './gtag-hints.js';

/** One `/g/collect` request: the query string, and for POST the body (one event per line). */
export interface GtagInput {
  query: URLSearchParams | string;
  body?: string;
  env: IngestEnv;
}

type Fields = Map<string, string>;

/** Page URLs are allowed longer than other values, as in native ingest. */
const PAGE_MAX = 8192;
const INTEGER = /^[0-9]{1,15}$/;
/** What `ep.event_id` must look like to become the event id (a site's order or event id). */
const SANE_EVENT_ID = /^[A-Za-z0-9._:-]{1,100}$/;

/** Query-string fields, first occurrence wins (as `URLSearchParams.get`). */
function fieldsOf(params: URLSearchParams): Fields {
  const out: Fields = new Map();
  for (const [k, v] of params) if (!out.has(k)) out.set(k, v);
  return out;
}

function integer(raw: string, field: string): number {
  if (!INTEGER.test(raw)) throw new InvalidHit('ERR_INVALID_TYPE', `${field} must be a non-negative integer`, field);
  return Number(raw);
}

/** gtag flags are sent as `_ss=1`, `_fv=1` (sometimes `_fv=2`); absent or `0` means not set. */
const flag = (raw: string | undefined): boolean => raw !== undefined && raw !== '0';

/** `ep.*`/`epn.*`/`up.*`/`upn.*` → a name → value record; numbers from the `n` forms. */
function custom(f: Fields, prefix: 'ep' | 'up', max: number, maxParams: number): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  let count = 0;
  for (const [key, value] of f) {
    const numeric = key.startsWith(`${prefix}n.`);
    if (!numeric && !key.startsWith(`${prefix}.`)) continue;
    const name = key.slice(numeric ? prefix.length + 2 : prefix.length + 1);
    if (name.length === 0) throw new InvalidHit('ERR_INVALID_NAME', `${key} has no parameter name`, key);
    if (name.length > 100) throw new InvalidHit('ERR_VALUE_TOO_LONG', `a ${prefix} parameter name exceeds 100 characters`, prefix);
    if (!Object.hasOwn(out, name) && ++count > maxParams) {
      throw new InvalidHit('ERR_TOO_MANY_PARAMS', `${prefix} has more than ${maxParams} entries`, prefix);
    }
    setOwn(out, name, numeric ? parseNumber(value, key) : limited(value, key, max));
  }
  return out;
}

function items(f: Fields, env: IngestEnv): Item[] | undefined {
  const found: [number, string, string][] = [];
  for (const [key, value] of f) {
    const m = ITEM_PARAM.exec(key);
    if (m) found.push([Number(m[1]), key, value]);
  }
  if (found.length === 0) return undefined;
  if (found.length > env.limits.max_items) {
    throw new InvalidHit('ERR_TOO_MANY_PARAMS', `more than ${env.limits.max_items} items`, 'pr');
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, key, value]) => parseItem(value, key, env.limits));
}

function page(f: Fields): PageData {
  const out: PageData = {};
  for (const [param, key] of [['dl', 'url'], ['dr', 'referrer'], ['dt', 'title']] as const) {
    const v = f.get(param);
    if (v) out[key] = limited(v, param, PAGE_MAX);
  }
  return out;
}

function client(f: Fields, max: number): ClientData {
  const out: ClientData = {};
  const cid = f.get('cid');
  const sid = f.get('sid');
  const sct = f.get('sct');
  const seg = f.get('seg');
  const et = f.get('_et');
  if (cid) out.client_id = limited(cid, 'cid', max);
  if (sid) out.session_id = limited(sid, 'sid', max);
  if (sct) out.session_number = integer(sct, 'sct');
  if (flag(f.get('_ss'))) out.session_start = true;
  if (flag(f.get('_fv'))) out.first_visit = true;
  if (seg === '0' || seg === '1') out.engaged = seg === '1';
  else if (seg) throw new InvalidHit('ERR_INVALID_TYPE', 'seg must be 0 or 1', 'seg');
  if (et) out.engagement_time_msec = integer(et, '_et');
  return out;
}

/** Copy present fields under readable names (values are length-limited like any other). */
function pick(f: Fields, names: Record<string, string>, max: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [param, name] of Object.entries(names)) {
    const v = f.get(param);
    if (v !== undefined) out[name] = limited(v, param, max);
  }
  return out;
}

const CONSENT = { gcs: 'gcs', gcd: 'gcd', npa: 'npa', dma: 'dma', dma_cps: 'dma_cps' };
const PROTOCOL = {
  tid: 'measurement_id',
  gtm: 'gtm',
  _p: 'page_load_id',
  _s: 'hit_sequence',
  ul: 'language',
  sr: 'screen_resolution',
  _nsi: 'new_session',
};

/**
 * A 64-bit non-cryptographic digest (two multiply–xorshift lanes over UTF-16 units) as 16 hex
 * characters: enough to tell hits apart in a dedupe window, and the client id does not appear in
 * the event id in the clear.
 */
function digest(s: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/**
 * A hit without a usable `ep.event_id` has no event id of its own. A retried hit repeats its URL and body byte for byte, so an id derived
 * from what identifies the hit dedupes the retry: measurement id, client id, session id, page load
 * (`_p`: `_s` restarts at 1 on every page load, so without it two pages of one session collide),
 * hit sequence `_s`, the event's position among the body's lines, and its name. Hits missing any
 * of cid, sid, `_p`, `_s` get a random UUIDv7 and are not deduplicated.
 */
export function gtagEventId(f: ReadonlyMap<string, string>, ordinal: number, name: string): string | undefined {
  const parts = ['tid', 'cid', 'sid', '_p', '_s'].map((k) => f.get(k));
  if (parts.slice(1).some((p) => !p)) return undefined;
  return `g-${digest([...parts, String(ordinal), name].join('\u0000'))}`;
}

/**
 * @param ownEventId the hit's own `ep.event_id` (its line's, or the query's for a single hit), never
 * one shared by every line of a batch, which would name no single event.
 */
function toEvent(f: Fields, ordinal: number, env: IngestEnv, ownEventId: string | undefined): Event {
  const name = f.get('en');
  if (name === undefined || !EVENT_NAME_PATTERN.test(name)) {
    throw new InvalidHit('ERR_INVALID_NAME', 'en must match ^[a-zA-Z][a-zA-Z0-9_]{0,39}$', 'en');
  }
  const { max_string_length: max, max_params: maxParams } = env.limits;
  const params = custom(f, 'ep', max, maxParams);
  const cu = f.get('cu');
  if (cu && !Object.hasOwn(params, 'currency')) params.currency = limited(cu, 'cu', max);
  const pg = page(f);
  // gtag's page_view carries the page as parameters; GA4's Measurement Protocol reads them from there.
  if (name === 'page_view') {
    const fromPage = { page_location: pg.url, page_referrer: pg.referrer, page_title: pg.title };
    for (const [key, value] of Object.entries(fromPage)) {
      if (value !== undefined && !Object.hasOwn(params, key)) params[key] = value;
    }
  }
  if (Object.keys(params).length > maxParams) {
    throw new InvalidHit('ERR_TOO_MANY_PARAMS', `params has more than ${maxParams} entries`, 'ep');
  }
  // gtag('event', name, { event_id }) — the id a site also gives the same event from its back end (GA4
  // and Meta dedupe by it): it becomes the event id, so /v1/events with that id is a duplicate here too.
  const siteEventId = ownEventId !== undefined && SANE_EVENT_ID.test(ownEventId) ? ownEventId : undefined;
  if (siteEventId !== undefined) delete params.event_id;
  const list = items(f, env);
  const userProps = custom(f, 'up', max, maxParams);
  const uid = f.get('uid');
  const event: Event = {
    event_id: siteEventId ?? gtagEventId(f, ordinal, name) ?? uuidv7(env.now, env.randomHex(10)),
    name,
    // The hit has no absolute time (`_et`, `tfd` are relative): the receive time is the event time.
    time: env.now,
    received_at: env.now,
    params,
    user: uid ? { user_id: limited(uid, 'uid', max) } : {},
    page: pg,
    client: client(f, max),
    consent: pick(f, CONSENT, max),
    request: {
      ...env.request,
      source: 'gtag',
      headers: { ...env.request.headers, ...clientHintHeaders(f, env.request.headers, max) },
      protocol: pick(f, PROTOCOL, max),
    },
  };
  if (list) event.items = list;
  if (Object.keys(userProps).length > 0) event.user_properties = userProps;
  return event;
}

const requestError = (code: Rejection['code'], message: string, field?: string): IngestResult => ({
  events: [],
  rejected: [{ index: -1, code, message, ...(field ? { field } : {}) }],
});

/**
 * Parse one GA4 gtag hit. GET (or POST without a body): one event from the query. POST with a body:
 * one event per non-empty line (`\n` or `\r\n`), each line's parameters added to, and overriding,
 * the shared query parameters. A request-level problem (`v` not 2, more lines than `max_events`)
 * rejects the whole request with `index: -1`; a bad line is rejected alone, by its position among
 * the non-empty lines. Never throws.
 *
 * @example
 * const url = new URL(c.req.url)
 * const body = c.req.method === 'POST' ? await c.req.text() : undefined
 * const { events, rejected } = ingestGtag({ query: url.searchParams, body, env })
 */
export function ingestGtag(input: GtagInput): IngestResult {
  const { env } = input;
  const query = typeof input.query === 'string' ? new URLSearchParams(input.query) : input.query;
  const shared = fieldsOf(query);
  if (shared.get('v') !== '2') return requestError('ERR_INVALID_BODY', 'not a GA4 hit: v must be 2', 'v');
  const lines = (input.body ?? '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length > env.limits.max_events) {
    return requestError('ERR_TOO_MANY_EVENTS', `a hit holds at most ${env.limits.max_events} events`);
  }
  const own = lines.length === 0 ? [shared] : lines.map((l) => fieldsOf(new URLSearchParams(l)));
  const hits = lines.length === 0 ? [shared] : own.map((line) => new Map([...shared, ...line]));
  const events: Event[] = [];
  const rejected: Rejection[] = [];
  hits.forEach((f, index) => {
    try {
      events.push(toEvent(f, index, env, own[index]!.get('ep.event_id')));
    } catch (err) {
      if (!(err instanceof InvalidHit)) throw err;
      rejected.push({ index, code: err.code, message: err.message, field: err.field });
    }
  });
  return { events, rejected };
}
