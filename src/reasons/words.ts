/**
 * @module Words shared by the reason tables of several destinations (HTTP statuses).
 */

/** The completion of an `<area>.http_` code: three digits. */
export const HTTP_STATUS = /^\d{3}$/;

/**
 * Words for an HTTP status a vendor answered. Retryable statuses (408, 425, 429, 5xx) are retried
 * with backoff; other 4xx are permanent.
 *
 * @example
 * httpWords('TikTok', '429') // 'TikTok answered HTTP 429 (too many requests): …'
 */
export function httpWords(vendor: string, status: string): string {
  const n = Number(status);
  if (n === 429) return `${vendor} answered HTTP 429 (too many requests): the delivery is retried later, respecting Retry-After.`;
  if (n === 408 || n === 425 || n >= 500) return `${vendor} answered HTTP ${n}, a temporary failure: the delivery is retried with backoff.`;
  return `${vendor} refused the request with HTTP ${status}, a permanent error: it is not retried and is kept in the dead-letter store with ${vendor}'s answer.`;
}
