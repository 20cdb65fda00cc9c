import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';

describe('identity and enrich config', () => {
  it('has working defaults in the full config', () => {
    const c = configSchema.parse({});
    expect(c.identity).toMatchObject({
      cookie_domain: 'auto',
      client_id_cookie: '_ga',
      server_id_cookie: '_tr_id',
      session_cookie: '_tr_s',
      client_id_ttl: 400 * 86_400_000,
      session_timeout: 30 * 60_000,
      engagement_threshold: 10_000,
      meta: { enabled: true, ttl: 90 * 86_400_000 },
    });
    expect(c.enrich.device).toEqual({ enabled: true, cache_size: 10_000, client_hints: true });
    expect(c.enrich.bots.extra_patterns).toEqual([]);
  });

  it.each([
    [{ identity: { session_cookie: 'bad name' } }],
    [{ identity: { session_timeout: 'soon' } }],
    [{ enrich: { device: { cache_size: -1 } } }],
    [{ enrich: { bots: { extra_patterns: ['[a-'] } } }],
  ])('rejects %j', (input) => {
    expect(configSchema.safeParse(input).success).toBe(false);
  });
});
