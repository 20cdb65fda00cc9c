import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENDPOINTS } from './requests.js';
import { check, fuzzApp } from './oracle.js';

/** A few hundred runs per endpoint in CI; `npm run fuzz` runs the same properties for as long as wanted. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 250);
/** Generous: the whole file, with its in-memory store, stays far below it; a leak per request would not. */
const HEAP_BOUND = 768 * 2 ** 20;

const app = fuzzApp();
afterAll(() => app.services.close());

describe('every public endpoint survives hostile input', () => {
  for (const [name, arbitrary] of Object.entries(ENDPOINTS)) {
    it(`${name}: never a 5xx or a throw; 4xx carry a JSON error code; cookies well-formed`, async () => {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (req) => {
          const verdict = await check(app, req);
          expect(verdict.problems).toEqual([]);
        }),
        { numRuns: RUNS },
      );
    });
  }

  it('keeps the heap bounded after all of it', () => {
    expect(process.memoryUsage().heapUsed).toBeLessThan(HEAP_BOUND);
  });
});
