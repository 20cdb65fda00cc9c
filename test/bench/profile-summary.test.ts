import { describe, expect, it } from 'vitest';
import { summarize, groupOf, shortLocation, type CpuProfile } from '../../bench/profile-summary.js';
import { percentile, median } from '../../bench/lib/report.js';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber, columnNumber: 0 });

/** root → handler (app.js) → parse (hono) ; root → (idle) ; root → (garbage collector) */
function profile(samples: number[], deltasUs: number[]): CpuProfile {
  return {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 4, 5] },
      { id: 2, callFrame: frame('handler', 'file:///x/dist/app.js', 9), children: [3] },
      { id: 3, callFrame: frame('parse', 'file:///x/node_modules/hono/dist/index.js', 0) },
      { id: 4, callFrame: frame('(idle)') },
      { id: 5, callFrame: frame('(garbage collector)') },
    ],
    samples,
    timeDeltas: deltasUs,
    startTime: 0,
    endTime: deltasUs.reduce((a, b) => a + b, 0) + 1000,
  };
}

describe('summarize', () => {
  // Each sample lasts until the next one: durations 1 ms, 2 ms, 3 ms, 4 ms, then 1 ms for the last.
  const p = profile([3, 2, 4, 5, 3], [0, 1000, 2000, 3000, 4000, 1000]);

  it('splits self and inclusive time and leaves idle out of busy time', () => {
    const { functions, busyMs } = summarize(p);
    const by = (n: string) => functions.find((f) => f.name === n)!;
    expect(busyMs).toBe(1 + 2 + 4 + 1);
    expect(by('parse').selfMs).toBe(1 + 1);
    expect(by('handler').selfMs).toBe(2);
    expect(by('handler').totalMs).toBe(2 + 2);
    expect(by('(garbage collector)').selfMs).toBe(4);
    expect(functions.some((f) => f.name === '(idle)')).toBe(false);
  });

  it('groups self time by package', () => {
    const { groups } = summarize(p);
    expect(groups.get('hono')).toBe(2);
    expect(groups.get('tagrelay')).toBe(2);
  });

  it('keeps only the last window when asked', () => {
    // Sample times: 0, 1, 3, 6, 10 ms; end 12 ms. The last 6 ms keep the samples at 6 and 10 ms.
    const { busyMs, functions } = summarize(p, 6);
    expect(busyMs).toBe(4 + 1);
    expect(functions.find((f) => f.name === 'handler')?.selfMs ?? 0).toBe(0);
  });
});

describe('locations and packages', () => {
  it.each([
    ['file:///w/wt/bench/src/app.ts', 'tagrelay', 'src/app.ts:3'],
    ['file:///tmp/d/dist/runtime/node/db.js', 'tagrelay', 'dist/runtime/node/db.js:3'],
    ['file:///r/node_modules/@hono/node-server/dist/index.mjs', '@hono/node-server', '@hono/node-server/dist/index.mjs:3'],
    ['node:internal/url', 'node core', 'node:internal/url:3'],
  ])('%s', (url, group, short) => {
    expect(groupOf(url, 'f')).toBe(group);
    expect(shortLocation(url, 2)).toBe(short);
  });
});

describe('percentile and median', () => {
  it('uses the nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });
  it('averages the middle pair', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
