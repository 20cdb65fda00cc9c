/**
 * Shared setup for the gtag ingest tests: a fixed environment and the recorded fixtures.
 */
import { readFileSync } from 'node:fs';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import type { IngestEnv } from '../../src/ingest/native.js';

export const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);

/** Headers the route would copy from a browser request that carries no client hints. */
export const BASE_HEADERS = { 'user-agent': 'Mozilla/5.0 (Macintosh) Chrome/136.0.0.0', 'content-type': 'text/plain;charset=UTF-8' };

export function gtagEnv(input: ConfigInput = {}, headers: Record<string, string> = BASE_HEADERS): IngestEnv {
  const config = configSchema.parse(input);
  return {
    now: NOW,
    request: { source: 'native', ip: '203.0.113.7', user_agent: headers['user-agent'], headers: { ...headers }, cookies: {} },
    randomHex: (bytes) => '5a'.repeat(bytes),
    limits: config.limits,
    time: config.time,
  };
}

/** A recorded hit: the query of its `.url` file and, when there is one, its `.body`. */
export function fixture(name: string): { query: string; body?: string } {
  const dir = new URL('../fixtures/gtag/', import.meta.url);
  const url = readFileSync(new URL(`${name}.url`, dir), 'utf8').trim();
  let body: string | undefined;
  try {
    body = readFileSync(new URL(`${name}.body`, dir), 'utf8');
  } catch {
    body = undefined;
  }
  return { query: url.slice(url.indexOf('?') + 1), ...(body === undefined ? {} : { body }) };
}

export const FIXTURES = ['page-view', 'add-to-cart', 'form-start', 'purchase', 'consent-denied', 'batch-post'] as const;
