/**
 * @module The fuzz oracle: the app under fuzz, and what must hold for every response whatever the request.
 */
import { testApp } from '../helpers/runtime.js';
import { ADMIN_SECRET } from '../helpers/tokens.js';
import type { TagrelayApp } from '../../src/app.js';
import type { FetchLike, Logger } from '../../src/ports.js';
import { hostnameOf } from '../../src/identity/cookies.js';
import { sendable, type FuzzRequest } from './arbitraries.js';

/** Vendors that always accept: delivery runs in the background during the fuzz without leaving the machine. */
const acceptingFetch: FetchLike = (async (input: string | URL | Request) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (url.includes('googletagmanager')) return new Response('/* upstream script */', { status: 200, headers: { 'content-type': 'application/javascript' } });
  return new Response('{"events_received":1}', { status: 200, headers: { 'content-type': 'application/json' } });
}) as unknown as FetchLike;

/** The app under fuzz: every destination kind, CORS on, admin keyed, a bounded dedupe memory. */
export function fuzzApp(opts: { file?: string; log?: Logger } = {}): TagrelayApp {
  return testApp(
    {
      server: { cors_origins: ['https://www.example.com'] },
      admin: { jwt: { secret: ADMIN_SECRET } },
      dedupe: { max_ids: 20_000 },
      destinations: [
        { id: 'lake', type: 'sqlite' },
        { id: 'ga', type: 'ga4', measurement_id: 'G-FUZZ1234', api_secret: 'fuzz-secret' },
        { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'fuzz-token' },
      ],
    },
    { file: opts.file, runtime: { fetch: acceptingFetch, ...(opts.log ? { log: opts.log } : {}) } },
  ).app;
}

/** The outcome of one request. */
export interface Verdict {
  status: number;
  /** Broken invariants; empty when the response is acceptable. */
  problems: string[];
}

const COOKIE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+=[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*(; [A-Za-z-]+(=[\x20-\x3A\x3C-\x7E]*)?)*$/;
const CODE = /^ERR_[A-Z_]+$/;

/** RFC 6265 §5.1.3 domain-match: the cookie's Domain must be the request host or a parent of it. */
export function domainMatches(domain: string, host: string): boolean {
  const d = domain.replace(/^\./, '').toLowerCase();
  const h = hostnameOf(host);
  return h === d || h.endsWith(`.${d}`);
}

/** Problems with the `Set-Cookie` headers of a response to a request sent to `host`. */
export function cookieProblems(res: Response, host: string): string[] {
  const problems: string[] = [];
  for (const cookie of res.headers.getSetCookie()) {
    if (!COOKIE.test(cookie)) problems.push(`malformed set-cookie ${JSON.stringify(cookie.slice(0, 120))}`);
    const domain = /; Domain=([^;]*)/i.exec(cookie)?.[1];
    if (domain !== undefined && !domainMatches(domain, host)) problems.push(`cookie domain ${domain} does not match host ${JSON.stringify(host)}`);
  }
  return problems;
}

/** Send a fuzz request in-process and check every invariant. Never throws. */
export async function check(app: TagrelayApp, req: FuzzRequest): Promise<Verdict> {
  const headers = sendable(req.headers);
  let res: Response;
  let text: string;
  try {
    res = await app.request(req.path, { method: req.method, headers, body: req.body });
    text = await res.text();
  } catch (err) {
    return { status: -1, problems: [`threw ${(err as Error).name}: ${(err as Error).message?.slice(0, 200)}`] };
  }
  const problems: string[] = [];
  const { status } = res;
  if (status >= 500) problems.push(`status ${status}: ${text.slice(0, 200)}`);
  const gtag = req.path.startsWith('/g/collect');
  if (status >= 400) {
    if (!(res.headers.get('content-type') ?? '').includes('application/json')) problems.push(`${status} without a JSON content type`);
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      if (typeof body.error?.code !== 'string' || !CODE.test(body.error.code)) problems.push(`${status} without a machine-readable code: ${text.slice(0, 120)}`);
      if (typeof body.error?.message !== 'string' || body.error.message.length > 300) problems.push(`${status} with a missing or oversized message`);
    } catch {
      problems.push(`${status} with a non-JSON body: ${text.slice(0, 120)}`);
    }
  } else if (gtag && status !== 204 && req.method !== 'OPTIONS') {
    problems.push(`gtag hit answered ${status}, not 204`);
  } else if (text !== '' && req.method !== 'HEAD' && (res.headers.get('content-type') ?? '').includes('json')) {
    try {
      JSON.parse(text);
    } catch {
      problems.push(`${status} with a non-JSON body`);
    }
  }
  if (req.path.startsWith('/admin') && status >= 200 && status < 300) problems.push(`admin answered ${status} without a valid token`);
  problems.push(...cookieProblems(res, headers.host ?? 'localhost'));
  const rejected = res.headers.get('x-tagrelay-rejected');
  if (rejected !== null && !/^\d+$/.test(rejected)) problems.push('x-tagrelay-rejected is not a count');
  return { status, problems };
}
