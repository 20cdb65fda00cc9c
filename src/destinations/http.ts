/**
 * @module HTTP helpers shared by vendor destinations: timed POST, Retry-After, secret redaction.
 */
import type { FetchLike, HttpOutcome } from '../ports.js';
import type { SendResult } from './types.js';

/** Longest vendor response body kept in an error string. */
export const MAX_ERROR_BODY = 500;

/**
 * POST a JSON body with a timeout. Never throws: transport failures come back as `{ ok: false }`
 * so `send` can classify them as retryable. `headers` are added to `content-type` (credentials,
 * signatures); they are never part of the outcome, so no error string can carry them.
 */
export async function postJson(fetch: FetchLike, url: string, body: string, timeoutMs: number, headers: Record<string, string> = {}): Promise<HttpOutcome> {
  if (fetch.post) return fetch.post(url, body, timeoutMs, { ...headers, 'content-type': 'application/json' });
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return { ok: true, status: res.status, text, retryAfter: res.headers.get('retry-after') };
  } catch (err) {
    const name = err instanceof Error ? err.name : '';
    if (name === 'TimeoutError' || name === 'AbortError') return { ok: false, error: `timeout after ${timeoutMs}ms` };
    return { ok: false, error: `network error: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Retry-After as milliseconds from `now`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * `undefined` when absent or unparseable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** True for statuses worth retrying: 408, 425, 429 and every 5xx. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/** Replace every occurrence of each secret with `****` (defence in depth for error strings). */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length > 0) out = out.split(s).join('****');
  return out;
}

/** Shorten a vendor body for an error string. */
export function truncateText(text: string, max = MAX_ERROR_BODY): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** UTF-8 byte length (vendors count bytes, not UTF-16 units). */
export function byteLength(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** How a group of items ends in one `send`: retried later (with the vendor's hint) or failed for good. */
export type SendOutcome = { kind: 'retry'; error: string; retry_after_ms?: number } | { kind: 'failed'; error: string };

/** Record one outcome for every item of a group. */
export function settleItems(result: SendResult, items: readonly { id: number }[], outcome: SendOutcome): void {
  for (const item of items) {
    if (outcome.kind === 'failed') result.failed.push({ id: item.id, error: outcome.error });
    else result.retry.push({ id: item.id, error: outcome.error, ...(outcome.retry_after_ms !== undefined ? { retry_after_ms: outcome.retry_after_ms } : {}) });
  }
}
