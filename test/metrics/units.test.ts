/** Pure parts of metrics and the debug stream: the exposition text, debug tokens, session expiry, masking. */
import { describe, expect, it } from 'vitest';
import { createRegistry, observe, MAX_SERIES } from '../../src/metrics/registry.js';
import { exposition, renderFamily } from '../../src/metrics/exposition.js';
import { signDebugToken, verifyDebugToken } from '../../src/debug/token.js';
import { createDebugHub } from '../../src/debug/hub.js';
import { debugConfigSchema } from '../../src/debug/config.js';
import { maskDeep, maskText, MASK } from '../../src/debug/mask.js';
import { nodeCryptoHasher, randomHex } from '../../src/runtime/shared/node-compat.js';
import type { DebugMessage } from '../../src/debug/types.js';
import { parseExposition } from './helpers.js';

describe('exposition', () => {
  it('escapes label values and help text, and renders histograms with cumulative buckets', async () => {
    const reg = createRegistry();
    reg.counter('t_total', 'a \\ help\nline', ['reason']).with('a "quoted" \\ value\nnext').value += 2;
    const h = reg.histogram('t_seconds', 'h', [0.1, 1], ['d']).with('x');
    for (const v of [0.05, 0.1, 0.5, 3]) observe(h, [0.1, 1], v);
    const text = await exposition(reg);
    expect(text).toContain('# HELP t_total a \\\\ help\\nline');
    expect(text).toContain('t_total{reason="a \\"quoted\\" \\\\ value\\nnext"} 2');
    expect(text).toContain('t_seconds_bucket{d="x",le="0.1"} 2\nt_seconds_bucket{d="x",le="1"} 3\nt_seconds_bucket{d="x",le="+Inf"} 4\nt_seconds_sum{d="x"} 3.65\nt_seconds_count{d="x"} 4');
    const parsed = parseExposition(text);
    expect(parsed.samples.find((s) => s.name === 't_total')!.labels.reason).toBe('a "quoted" \\ value\nnext');
  });

  it('folds series past the bound into one "other" series', () => {
    const reg = createRegistry();
    const fam = reg.counter('many_total', 'm', ['k']);
    for (let i = 0; i < MAX_SERIES + 50; i++) fam.with(`v${i}`).value++;
    expect(fam.series).toHaveLength(MAX_SERIES + 1);
    expect(renderFamily(fam)).toContain('many_total{k="other"} 50');
  });
});

describe('debug tokens', () => {
  const key = 'k'.repeat(32);
  it('verify what was signed, until it expires; refuse tampering and other keys', async () => {
    const token = await signDebugToken(nodeCryptoHasher, key, 'a'.repeat(24), 2_000_000_000_000);
    expect(await verifyDebugToken(nodeCryptoHasher, key, token, 1_900_000_000_000)).toEqual({ sessionId: 'a'.repeat(24), expiresAt: 2_000_000_000_000 });
    expect(await verifyDebugToken(nodeCryptoHasher, key, token, 2_000_000_000_000)).toBeUndefined();
    expect(await verifyDebugToken(nodeCryptoHasher, 'o'.repeat(32), token, 0)).toBeUndefined();
    const [v, sid, exp, mac] = token.split('.');
    expect(await verifyDebugToken(nodeCryptoHasher, key, [v, 'b'.repeat(24), exp, mac].join('.'), 0)).toBeUndefined();
    expect(await verifyDebugToken(nodeCryptoHasher, key, [v, sid, String(Number(exp) + 1), mac].join('.'), 0)).toBeUndefined();
    expect(await verifyDebugToken(nodeCryptoHasher, key, `${token}x`, 0)).toBeUndefined();
  });

  it('a session ends (with its reason) when it expires, and its token no longer traces', async () => {
    let now = 1_800_000_000_000;
    const hub = createDebugHub({ config: debugConfigSchema.parse({ session_ttl: '1m' }), hasher: nodeCryptoHasher, now: () => now, randomHex, secret: async () => key });
    const { session, token } = await hub.open({});
    const got: DebugMessage[] = [];
    hub.subscribe(session, (m) => got.push(m));
    const request = { cookies: { _tr_debug: token }, headers: {} };
    expect(hub.carries(request)).toBe(true);
    expect(await hub.sessionOf(request)).toBe(session);
    hub.trace('e1', 'page_view', session);
    expect(hub.tracing('e1')?.session).toBe(session);
    now += 60_000;
    hub.sweep();
    expect(got.map((m) => m.stage)).toEqual(['end']);
    expect(got[0]).toMatchObject({ reason: 'debug.session_expired', seq: 1 });
    expect(await hub.sessionOf(request)).toBeUndefined();
    expect(hub.tracing('e1')).toBeUndefined();
    expect(hub.carries({ cookies: {}, headers: {} })).toBe(false);
  });
});

describe('masking', () => {
  const hash = 'ab'.repeat(32);
  it.each([
    [{ user: { email: 'a@b.co', city: 'Berlin' } }, { user: { email: MASK, city: MASK } }],
    [{ api_secret: 'xyz', access_token: 'tok', password: '', nested: { Authorization: 'Bearer x' } }, { api_secret: MASK, access_token: MASK, password: '', nested: { Authorization: MASK } }],
    [{ user_data: { em: [hash], client_ip_address: '1.2.3.4' } }, { user_data: { em: [`${hash.slice(0, 12)}…`], client_ip_address: MASK } }],
    [{ client_id: '123.456', session_id: '1700000000', name: 'purchase' }, { client_id: MASK, session_id: '1700000000', name: 'purchase' }],
    [{ note: 'write to jane@example.org now', tel: '+49 30 1234567', phone_like: '+49 30 1234567' }, { note: 'write to [redacted] now', tel: MASK, phone_like: MASK }],
    [{ url: 'https://s.example/p?email=a%40b.co&q=shoes&gclid=abc' }, { url: 'https://s.example/p?email=[redacted]&q=shoes&gclid=[redacted]' }],
  ])('%j', (input, expected) => {
    expect(maskDeep(input)).toEqual(expected);
  });

  it('masks known values in free text and JSON bodies', () => {
    expect(maskText('ga4 400: {"received":"cid=1122.3344&uid=u-77"}', ['1122.3344', 'u-77x'])).toBe('ga4 400: {"received":"cid=****&uid=u-77"}');
    expect(JSON.parse(maskText('{"client_id":"1122.3344","ok":true}', []))).toEqual({ client_id: MASK, ok: true });
  });
});
