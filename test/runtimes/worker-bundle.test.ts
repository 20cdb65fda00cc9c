import { describe, expect, it } from 'vitest';
import { bundleWorker } from '../../src/runtime/worker/bundle-size.js';

describe('the Cloudflare Worker bundle', () => {
  it('stays under 1 MB gzipped and resolves every import without Node', async () => {
    const bundle = await bundleWorker();
    expect(bundle.gzipBytes).toBeGreaterThan(10_000);
    expect(bundle.gzipBytes).toBeLessThan(1024 * 1024);
    expect(bundle.externals).toEqual([]);
  }, 60_000);

  it('contains none of the Node runtime’s packages', async () => {
    const { inputs, code } = await bundleWorker();
    const paths = inputs.map((i) => i.path);
    expect(paths.some((p) => p.includes('src/runtime/worker/main.ts'))).toBe(true);
    for (const forbidden of ['better-sqlite3', 'undici', '@hono/node-server', 'src/runtime/node/', 'src/runtime/bun/', 'src/runtime/deno/']) {
      expect(paths.filter((p) => p.includes(forbidden))).toEqual([]);
    }
    expect(code).not.toMatch(/from\s*["']node:/);
  }, 60_000);
});
