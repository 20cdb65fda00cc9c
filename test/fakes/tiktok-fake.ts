/**
 * @module A fake TikTok Events API 2.0 endpoint: POST /open_api/{version}/event/track/.
 *
 * Checks what TikTok documents for web events: the `Access-Token` header, `event_source: "web"`,
 * `event_source_id` (the pixel code the token may use), 1–1000 events in `data`, `event` and
 * `event_time` (unix seconds) on each, SHA-256 hex for `email`, `phone` and `external_id`, `ttp` shaped
 * like the pixel's `_ttp` cookie, a request rate per token (`requestsPerSecond`, code 40100 over it),
 * numbers for `value`/`price`/`quantity`, an ISO 4217 `currency`, and `limited_data_use` a boolean.
 * Like TikTok it answers HTTP 200 with `{ code, message, request_id, data }`: code 0 when accepted,
 * 40105 for a missing or wrong token, 40001 for a pixel the token may not use, 40002 for an invalid
 * event — which rejects the whole request, as TikTok does (Hightouch's TikTok docs: "TikTok fails an
 * entire batch if it detects an erroneous row"). Codes as listed for the Business API (40001, 40002,
 * 40100, 40105; see tiktok.ts); the message texts are illustrative.
 */
import { startFake, type VendorFake } from './fake-server.js';

interface TikTokBody {
  event_source?: unknown;
  event_source_id?: unknown;
  test_event_code?: unknown;
  data?: Record<string, unknown>[];
}

/** The TikTok fake: a {@link VendorFake} plus the events it accepted (code 0), in order. */
export interface TikTokFake extends VendorFake<TikTokBody> {
  accepted(): Record<string, unknown>[];
}

const SHA256 = /^[a-f0-9]{64}$/;
const TTP = /^[A-Za-z0-9][A-Za-z0-9._-]{15,99}$/;
const HASHED = ['email', 'phone', 'external_id'];

let seq = 0;
const requestId = (): string => `2024050112000000FAKE${(++seq).toString(16).padStart(6, '0')}`;
const answer = (code: number, message: string): { status: number; body: string } => ({
  status: 200,
  body: JSON.stringify({ code, message, request_id: requestId(), data: {} }),
});

/** Why TikTok would refuse this event (code 40002), or `undefined`. */
export function checkTikTokEvent(e: Record<string, unknown>, i: number): string | undefined {
  if (typeof e.event !== 'string' || e.event === '') return `data[${i}].event: Missing required field`;
  // Seconds, not milliseconds: a 13-digit time is a common mistake TikTok refuses.
  if (typeof e.event_time !== 'number' || !Number.isInteger(e.event_time) || e.event_time > 9_999_999_999)
    return `data[${i}].event_time: Invalid event_time, expected a unix timestamp in seconds`;
  if (e.event_id !== undefined && typeof e.event_id !== 'string') return `data[${i}].event_id: expected a string`;
  const user = e.user as Record<string, unknown> | undefined;
  if (user !== undefined) {
    if (typeof user !== 'object' || user === null) return `data[${i}].user: expected an object`;
    for (const k of HASHED) {
      const v = user[k];
      if (v === undefined) continue;
      const list = Array.isArray(v) ? v : [v];
      if (!list.every((x) => typeof x === 'string' && SHA256.test(x))) return `data[${i}].user.${k}: must be hashed with SHA-256`;
    }
    for (const k of ['ttclid', 'ttp', 'ip', 'user_agent']) if (user[k] !== undefined && typeof user[k] !== 'string') return `data[${i}].user.${k}: expected a string`;
    // `ttp` is the _ttp cookie as the pixel wrote it, not a hash or a made-up id.
    if (typeof user.ttp === 'string' && !TTP.test(user.ttp)) return `data[${i}].user.ttp: Invalid ttp, expected the value of the _ttp cookie`;
  }
  const props = e.properties as Record<string, unknown> | undefined;
  if (props !== undefined) {
    if (props.value !== undefined && typeof props.value !== 'number') return `data[${i}].properties.value: expected a number`;
    if (props.currency !== undefined && (typeof props.currency !== 'string' || !/^[A-Z]{3}$/.test(props.currency)))
      return `data[${i}].properties.currency: Invalid currency code`;
    if (props.contents !== undefined) {
      if (!Array.isArray(props.contents)) return `data[${i}].properties.contents: expected an array`;
      for (const c of props.contents as Record<string, unknown>[]) {
        if (typeof c.content_id !== 'string') return `data[${i}].properties.contents.content_id: expected a string`;
        for (const k of ['price', 'quantity']) if (c[k] !== undefined && typeof c[k] !== 'number') return `data[${i}].properties.contents.${k}: expected a number`;
      }
    }
  }
  if (e.limited_data_use !== undefined && typeof e.limited_data_use !== 'boolean') return `data[${i}].limited_data_use: expected a boolean`;
  return undefined;
}

/**
 * Start the fake for one pixel code and token.
 *
 * @example
 * const fake = await startTikTokFake({ pixelCode: 'C4ABCDEFGH1234567890', accessToken: 'tok' })
 */
export async function startTikTokFake(opts: { pixelCode: string; accessToken: string; requestsPerSecond?: number }): Promise<TikTokFake> {
  const ok: Record<string, unknown>[] = [];
  // TikTok limits requests per access token and second; over it, code 40100 on HTTP 200.
  let window = { second: 0, count: 0 };
  const fake = await startFake<TikTokBody>((req) => {
    if (req.method !== 'POST' || !/^\/open_api\/v\d+\.\d+\/event\/track\/$/.test(req.path)) return { status: 404, body: 'Not Found' };
    if (opts.requestsPerSecond !== undefined) {
      const second = Math.floor(Date.now() / 1000);
      if (window.second !== second) window = { second, count: 0 };
      if (++window.count > opts.requestsPerSecond) return answer(40100, 'Too many requests. Please retry in some time.');
    }
    const token = req.headers['access-token'];
    if (token !== opts.accessToken) return answer(40105, 'Access token is incorrect or has been revoked.');
    const body = req.body;
    if (!body) return answer(40002, 'Invalid JSON body');
    if (body.event_source !== 'web') return answer(40002, 'event_source: must be one of [web, app, offline, crm]');
    if (body.event_source_id !== opts.pixelCode) return answer(40001, `No permission to operate pixel code: ${String(body.event_source_id)}`);
    if (!Array.isArray(body.data) || body.data.length === 0) return answer(40002, 'data: Missing required field');
    if (body.data.length > 1000) return answer(40002, 'data: The number of events in a request cannot exceed 1000');
    for (let i = 0; i < body.data.length; i++) {
      const problem = checkTikTokEvent(body.data[i]!, i);
      if (problem) return answer(40002, problem);
    }
    ok.push(...body.data);
    return answer(0, 'OK');
  });
  return Object.assign(fake, { accepted: () => ok });
}
