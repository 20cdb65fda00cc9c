/**
 * The minimal counterexamples the endpoint fuzz found, kept as plain cases so they stay fixed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { check, fuzzApp } from './oracle.js';
import type { FuzzRequest } from './arbitraries.js';

const app = fuzzApp();
afterAll(() => app.services.close());

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted' };

const cases: [string, FuzzRequest][] = [
  // Client-hint names were looked up in object literals: `constructor` resolved to Object, then failed to clone (500).
  ['Sec-CH-UA-Platform: hasOwnProperty', { method: 'GET', path: '/g/collect?v=2&en=page_view', headers: { 'user-agent': CHROME, 'sec-ch-ua-platform': 'hasOwnProperty' } }],
  ['Sec-CH-UA-Platform: "constructor" (explain)', { method: 'POST', path: '/v1/explain', headers: { 'content-type': 'application/json', 'sec-ch-ua-platform': '"constructor"' }, body: '{"name":"page_view"}' }],
  ['Sec-CH-UA-Full-Version-List: toString', { method: 'POST', path: '/g/collect?v=2&en=page_view', headers: { 'user-agent': CHROME, 'sec-ch-ua-full-version-list': 'toString' } }],
  ['Sec-CH-UA: "valueOf";v="1"', { method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/json', 'user-agent': CHROME, 'sec-ch-ua': '"valueOf";v="1"' }, body: '{"name":"page_view"}' }],
  // A Host whose registrable domain is not a valid cookie domain made serializeCookie throw ERR_CONFIG (500).
  ['Host: exa_mple.com', { method: 'POST', path: '/v1/events', headers: { 'content-type': 'application/json', host: 'exa_mple.com' }, body: JSON.stringify({ name: 'page_view', consent: GRANTED }) }],
  ['Host: exa_mple.com on /v1/consent', { method: 'POST', path: '/v1/consent', headers: { 'content-type': 'application/json', host: 'a.exa_mple.com' }, body: JSON.stringify({ consent: GRANTED }) }],
];

describe('fuzz regressions', () => {
  for (const [name, req] of cases) {
    it(`${name}: no 5xx, invariants hold`, async () => {
      const verdict = await check(app, req);
      expect(verdict.status).toBeLessThan(500);
      expect(verdict.problems).toEqual([]);
    });
  }
});
