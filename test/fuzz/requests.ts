/**
 * @module Per-endpoint request arbitraries: every public route, and the admin API without a valid token.
 */
import fc from 'fast-check';
import { gtagBody, gtagQuery, hostileHeaders, jsonBody, nastyString, validEvent, weirdValue, type FuzzRequest } from './arbitraries.js';

/** Stay under the default 256 KiB body limit with the huge strings, so the handlers (not the limit) see them. */
const HUGE = 200_000;

const consentChoice = fc.record(
  {
    consent: fc.oneof(
      fc.dictionary(fc.constantFrom('analytics_storage', 'ad_storage', 'ad_user_data', 'ad_personalization', 'functionality_storage', 'personalization_storage', 'security_storage', '__proto__', 'constructor', 'x'), fc.constantFrom('granted', 'denied', 'maybe', ''), { maxKeys: 8 }),
      weirdValue,
    ),
    client_id: fc.oneof(fc.constantFrom('123456789.1700000000', 'a\r\nb', '../x'), nastyString),
    source: fc.oneof(fc.constantFrom('cmp', 'banner', 'CMP!'), nastyString),
  },
  { requiredKeys: ['consent'] },
);

const explainSeed = fc.record(
  { event: validEvent, events: fc.array(validEvent, { maxLength: 3 }), headers: fc.dictionary(fc.oneof(nastyString, fc.constantFrom('cookie', 'sec-gpc', 'cf-ipcountry', 'user-agent', 'host', '__proto__')), nastyString, { maxKeys: 8 }) },
  { requiredKeys: [] },
);

const eventsSeed = fc.oneof(validEvent, fc.record({ context: fc.record({ page: fc.record({ url: fc.webUrl() }), consent: validEvent.map((e) => e.consent) }, { requiredKeys: [] }), events: fc.array(validEvent, { maxLength: 5 }) }));

/** A random path suffix: traversal, encoded bytes, very long segments. */
const pathTail = fc.oneof(
  fc.constantFrom('', '/', '/..', '/%2e%2e/%2e%2e', '//', '/%00', '/%ZZ', '?a=%E0%A4%A', '/dead-letter/1e3', '/dead-letter/99999999999999999999999', '/deliveries/%F0%9F%98%80', '/deliveries/' + 'x'.repeat(5000)),
  fc.webSegment().map((s) => `/${s}`),
  fc.webPath(),
);

/** Authorization headers that must never open the admin API. */
const badAuthorization = fc.oneof(
  nastyString,
  fc.constantFrom('Bearer', 'Bearer ', 'Bearer  ', 'bearer x.y.z', 'Basic YWRtaW46YWRtaW4=', 'Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6ImRscTpyZWFkIn0.', 'Bearer a.b.c', 'Bearer ....'),
  fc.integer({ min: 1_000, max: 60_000 }).map((n) => `Bearer ${'A'.repeat(n)}.${'B'.repeat(10)}.${'C'.repeat(10)}`),
  fc.string({ unit: fc.constantFrom('A', 'z', '0', '-', '_', '.', '+', '/', '='), maxLength: 400 }).map((t) => `Bearer ${t}`),
);

const withHeaders = (base: Record<string, string>) => hostileHeaders.map((h) => ({ ...base, ...h }));

/** The endpoints and how to build requests for them. */
export const ENDPOINTS = {
  'POST /v1/events': fc.record({ body: jsonBody(eventsSeed, HUGE), headers: withHeaders({ 'content-type': 'application/json' }) }).map(
    ({ body, headers }): FuzzRequest => ({ method: 'POST', path: '/v1/events', headers, body }),
  ),
  'GET /g/collect': fc.record({ query: gtagQuery, headers: hostileHeaders }).map(({ query, headers }): FuzzRequest => ({ method: 'GET', path: `/g/collect?${query}`, headers })),
  'POST /g/collect': fc.record({ query: gtagQuery, body: gtagBody, headers: withHeaders({ 'content-type': 'text/plain;charset=UTF-8' }) }).map(
    ({ query, body, headers }): FuzzRequest => ({ method: 'POST', path: `/g/collect?${query}`, headers, body }),
  ),
  'POST /v1/consent': fc.record({ body: jsonBody(consentChoice, HUGE), headers: withHeaders({ 'content-type': 'application/json' }) }).map(
    ({ body, headers }): FuzzRequest => ({ method: 'POST', path: '/v1/consent', headers, body }),
  ),
  'POST /v1/explain': fc.record({ body: jsonBody(explainSeed, HUGE), headers: withHeaders({ 'content-type': 'application/json' }) }).map(
    ({ body, headers }): FuzzRequest => ({ method: 'POST', path: '/v1/explain', headers, body }),
  ),
  'GET /healthz /readyz': fc.record({ path: fc.constantFrom('/healthz', '/readyz'), query: fc.webQueryParameters(), method: fc.constantFrom('GET', 'HEAD'), headers: hostileHeaders }).map(
    ({ path, query, method, headers }): FuzzRequest => ({ method, path: `${path}?${query}`, headers }),
  ),
  'GET /gtag/js /gtm.js /t.js': fc
    .record({
      path: fc.constantFrom('/gtag/js', '/gtm.js', '/t.js'),
      id: fc.oneof(fc.constantFrom('G-ABC1234', 'GTM-ABCD12', 'AW-123456789', 'G-abc', 'GTM-', 'G-ABC1234&l=x', ''), nastyString),
      layer: fc.option(fc.oneof(fc.constantFrom('dataLayer', 'dl2', '$x', '_', 'a-b', 'alert(1)', '</script>'), nastyString)),
      extra: fc.webQueryParameters(),
      etag: fc.option(fc.oneof(fc.constantFrom('*', 'W/"x"', '"a", "b"', ',,,'), nastyString)),
      headers: hostileHeaders,
    })
    .map(({ path, id, layer, extra, etag, headers }): FuzzRequest => {
      const query = new URLSearchParams(extra);
      query.set('id', id);
      if (layer !== null) query.set('l', layer);
      return { method: 'GET', path: `${path}?${query}`, headers: etag === null ? headers : { ...headers, 'if-none-match': etag } };
    }),
  'admin without a valid token': fc
    .record({
      path: fc.constantFrom('/admin/v1/dead-letter', '/admin/v1/dead-letter/1', '/admin/v1/dead-letter/replay', '/admin/v1/deliveries/e1', '/admin/v1/retention/purge', '/admin/v1'),
      tail: fc.oneof({ weight: 4, arbitrary: fc.constant('') }, { weight: 1, arbitrary: pathTail }),
      method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'),
      auth: fc.option(badAuthorization, { freq: 8 }),
      body: fc.option(jsonBody(fc.record({ ids: fc.array(fc.integer()), destination: nastyString }, { requiredKeys: [] }), 10_000)),
      headers: hostileHeaders,
    })
    .map(({ path, tail, method, auth, body, headers }): FuzzRequest => ({
      method,
      path: path + tail,
      headers: auth === null ? headers : { ...headers, authorization: auth },
      body: method === 'GET' || method === 'OPTIONS' ? undefined : (body ?? undefined),
    })),
  'any path': fc.record({ path: fc.oneof(fc.webPath(), pathTail), method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH'), headers: hostileHeaders }).map(
    ({ path, method, headers }): FuzzRequest => ({ method, path: path.startsWith('/') ? path : `/${path}`, headers }),
  ),
} satisfies Record<string, fc.Arbitrary<FuzzRequest>>;

/** Endpoint names, for tallies. */
export type EndpointName = keyof typeof ENDPOINTS;
