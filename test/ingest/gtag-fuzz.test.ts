import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ingestGtag } from '../../src/ingest/gtag.js';
import { EVENT_NAME_PATTERN } from '../../src/event.js';
import type { IngestResult } from '../../src/ingest/native.js';
import { FIXTURES, fixture, gtagEnv } from './gtag-helpers.js';

const RUNS = 500;
const env = gtagEnv({ limits: { max_events: 20, max_params: 25, max_items: 10, max_string_length: 200 } });

/** What must hold for any input: no throw (checked by calling), well-formed output. */
function check(result: IngestResult): void {
  for (const e of result.events) {
    expect(e.name).toMatch(EVENT_NAME_PATTERN);
    expect(e.request.source).toBe('gtag');
    expect(Object.keys(e.params).length).toBeLessThanOrEqual(25);
    expect(e.items?.length ?? 0).toBeLessThanOrEqual(10);
  }
  for (const r of result.rejected) expect(r.code).toMatch(/^ERR_[A-Z_]+$/);
}

/** Edits that damage a recorded hit the way truncation, proxies and attackers do. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom('~', '&', '=', '%', '%E0%A4%A', '\r\n', '|', ';', 'pr1=', 'epn.', 'k0', 'v0', '\u0000', '\uD800')) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 40 }) }),
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

function mutate(s: string, edits: Mutation[]): string {
  let out = s;
  for (const m of edits) {
    const at = out.length === 0 ? 0 : m.at % (out.length + 1);
    if (m.kind === 'delete') out = out.slice(0, at) + out.slice(at + m.len);
    else if (m.kind === 'insert') out = out.slice(0, at) + m.text + out.slice(at);
    else if (m.kind === 'truncate') out = out.slice(0, at);
    else out = out.slice(0, at) + out.slice(at, at + m.len) + out.slice(at);
  }
  return out;
}

describe('ingestGtag never throws', () => {
  it('on random strings as query and body', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.option(fc.string({ unit: 'binary' })), (query, body) => {
        check(ingestGtag({ query, body: body ?? undefined, env }));
        check(ingestGtag({ query: `v=2&${query}`, body: body ?? undefined, env }));
      }),
      { numRuns: RUNS },
    );
  });

  it('on mutated real hits', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.array(mutation, { maxLength: 4 }), (name, qEdits, bEdits) => {
        const { query, body } = fixture(name);
        check(ingestGtag({ query: mutate(query, qEdits), body: body === undefined ? undefined : mutate(body, bEdits), env }));
      }),
      { numRuns: RUNS },
    );
  });

  it('on hits built from known parameter names with arbitrary values', () => {
    const key = fc.constantFrom('en', 'cid', 'sid', 'sct', 'seg', '_et', '_s', '_p', 'cu', 'dl', 'dr', 'dt', 'gcs', 'gcd', 'uid',
      'uafvl', 'uamb', 'uaw', 'uaa', 'ep.a', 'ep.__proto__', 'epn.b', 'up.c', 'upn.d', 'pr1', 'pr2', 'pr200', 'pr999', 'ep.', 'epn.');
    const value = fc.oneof(fc.string({ unit: 'binary', maxLength: 300 }), fc.constantFrom('1', '0', 'page_view', 'idA~pr1~qt2~k0a~v0b', '-1', '1e999', 'NaN'));
    const line = fc.array(fc.tuple(key, value), { maxLength: 12 }).map((pairs) => new URLSearchParams(pairs).toString());
    fc.assert(
      fc.property(line, fc.array(line, { maxLength: 25 }), (q, lines) => {
        check(ingestGtag({ query: `v=2&${q}`, body: lines.join('\n'), env }));
      }),
      { numRuns: RUNS },
    );
  });
});
