import { describe, expect, it } from 'vitest';
import { freshness } from '../../src/scripts/cache.js';
import { resolveScriptRequest } from '../../src/scripts/request.js';
import { scriptsConfigSchema } from '../../src/scripts/config.js';
import { configSchema } from '../../src/config/schema.js';

const config = scriptsConfigSchema.parse({});

describe('freshness', () => {
  it.each([
    [0, 'fresh'],
    [15 * 60_000 - 1, 'fresh'],
    [15 * 60_000, 'stale'],
    [75 * 60_000 - 1, 'stale'],
    [75 * 60_000, 'expired'],
  ] as const)('age %d ms → %s', (age, expected) => {
    expect(freshness(1_000, 1_000 + age, 15 * 60_000, 60 * 60_000)).toBe(expected);
  });
});

describe('resolveScriptRequest', () => {
  it.each([
    ['gtag', 'id=G-ABC1234', 'https://www.googletagmanager.com/gtag/js?id=G-ABC1234', 'gtag:G-ABC1234:'],
    ['gtag', 'id=AW-123456789', 'https://www.googletagmanager.com/gtag/js?id=AW-123456789', 'gtag:AW-123456789:'],
    ['gtag', 'id=DC-1234567&l=dl', 'https://www.googletagmanager.com/gtag/js?id=DC-1234567&l=dl', 'gtag:DC-1234567:dl'],
    ['gtm', 'id=GTM-N4X9KQ&cx=c', 'https://www.googletagmanager.com/gtm.js?id=GTM-N4X9KQ', 'gtm:GTM-N4X9KQ:'],
  ] as const)('%s %s → %s', (kind, query, url, key) => {
    expect(resolveScriptRequest(kind, new URLSearchParams(query), config)).toEqual({ ok: true, url, key });
  });

  it.each([
    ['gtag', 'id=G-AB', 'scripts.invalid_id'],
    ['gtag', 'id=UA-12345-1', 'scripts.invalid_id'],
    ['gtm', 'id=GTM-ABCD12&l=1abc', 'scripts.invalid_data_layer'],
    ['gtm', 'id=GTM-', 'scripts.invalid_id'],
  ] as const)('%s %s → %s', (kind, query, reason) => {
    const out = resolveScriptRequest(kind, new URLSearchParams(query), config);
    expect(out).toMatchObject({ ok: false, code: 'ERR_INVALID_QUERY', reason });
  });

  it('refuses ids outside a non-empty allow-list', () => {
    const limited = scriptsConfigSchema.parse({ allowed_ids: ['GTM-N4X9KQ'] });
    expect(resolveScriptRequest('gtm', new URLSearchParams('id=GTM-OTHER1'), limited)).toMatchObject({ ok: false, code: 'ERR_FORBIDDEN', reason: 'scripts.id_not_allowed' });
    expect(resolveScriptRequest('gtm', new URLSearchParams('id=GTM-N4X9KQ'), limited)).toMatchObject({ ok: true });
  });

  it('keeps an upstream path prefix out of the way (absolute script paths)', () => {
    const other = scriptsConfigSchema.parse({ upstream: 'http://127.0.0.1:9/mirror/' });
    expect(resolveScriptRequest('gtag', new URLSearchParams('id=G-ABC1234'), other)).toMatchObject({ url: 'http://127.0.0.1:9/gtag/js?id=G-ABC1234' });
  });
});

describe('scripts config', () => {
  it('defaults: Google upstream, 15m TTL, 1h stale window, any id', () => {
    expect(configSchema.parse({}).scripts).toMatchObject({ upstream: 'https://www.googletagmanager.com', ttl: 900_000, stale_while_revalidate: 3_600_000, allowed_ids: [] });
  });

  it('rejects a malformed allowed id and a non-URL upstream', () => {
    const bad = configSchema.safeParse({ scripts: { upstream: 'nope', allowed_ids: ['G-ok', 'GTM-ABCD12'] } });
    expect(bad.success).toBe(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['scripts.allowed_ids.0', 'scripts.upstream']);
  });
});
