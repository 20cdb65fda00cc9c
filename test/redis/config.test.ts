/**
 * Issue 18: `store.kind: redis` in the config — the keys every instance must share are required, and
 * `tagrelay check` warns about what stays per instance (the embedded warehouse).
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, defaultConfig } from '../../src/config/load.js';
import { clusterWarnings } from '../../src/store/redis/check.js';
import { runCli } from '../helpers/process.js';

const KEY = '{"kty":"EC","crv":"P-256","x":"x","y":"y","d":"d"}';

describe('store config', () => {
  it('defaults to the embedded SQLite store', () => {
    expect(defaultConfig().store).toEqual({ kind: 'sqlite' });
  });

  it('redis takes a url and defaults for prefix, claim_idle and command_timeout', () => {
    const config = parseConfig(`store: { kind: redis, url: "redis://127.0.0.1:6379" }\nconsent: { receipts: { signing_key: '${KEY}' } }\n`, 'c.yaml', {});
    expect(config.store).toEqual({ kind: 'redis', url: 'redis://127.0.0.1:6379', prefix: 'tagrelay:', claim_idle: 30_000, command_timeout: 5000 });
  });

  it('redis without a configured receipt signing key is refused: every instance must verify the same receipts', () => {
    expect(() => parseConfig('store: { kind: redis, url: "redis://127.0.0.1:6379" }\n', 'c.yaml', {})).toThrow(/consent\.receipts\.signing_key: store\.kind redis needs a configured signing_key/);
  });

  it('a url that is not redis:// is refused with its path', () => {
    expect(() => parseConfig(`store: { kind: redis, url: "http://x" }\nconsent: { receipts: { signing_key: '${KEY}' } }\n`, 'c.yaml', {})).toThrow(/store\.url: expected a redis:\/\/ or rediss:\/\/ URL/);
  });

  it('warns about the per-instance embedded warehouse and the development salt only with redis', () => {
    const redis = parseConfig(`store: { kind: redis, url: "redis://h:1" }\nconsent: { receipts: { signing_key: '${KEY}' } }\n`, 'c.yaml', {});
    const warnings = clusterWarnings(redis);
    expect(warnings.some((w) => w.startsWith("destination 'lake' (sqlite) is a warehouse local to each instance"))).toBe(true);
    expect(warnings.some((w) => w.includes('public development salt'))).toBe(true);
    expect(clusterWarnings(defaultConfig())).toEqual([]);
  });

  it('`tagrelay check` prints the warnings, and never the Redis URL or its password', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-redis-check-'));
    try {
      const file = join(dir, 't.yaml');
      writeFileSync(file, `store: { kind: redis, url: "\${REDIS_URL}" }\nconsent: { receipts: { signing_key: '${KEY}' } }\n`);
      const r = await runCli(['check', '--config', file], { REDIS_URL: 'redis://:s3cret-pass@127.0.0.1:6390' });
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/warning: destination 'lake' \(sqlite\) is a warehouse local to each instance/);
      expect(r.out + r.err).not.toContain('s3cret-pass');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
