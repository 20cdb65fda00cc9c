/**
 * Issue 18, for real: one redis-server (Debian's, AOF with `appendfsync always`, on 127.0.0.1 in a temp
 * dir) and three tagrelay processes on it, talking real HTTP to GA4 and Meta fakes that answer in
 * 20–50 ms. Events sent round-robin with browser retries of the same id at another instance are
 * delivered once each; a SIGKILLed instance's claimed deliveries are taken over by the others within a
 * bounded time (instance 0 reaches the vendors through a gate that keeps their answers from it before
 * the kill, so it dies with deliveries pending for certain); a Redis SIGKILL and restart loses nothing answered 202 (503 while it is down, /readyz
 * 503, recovery without restarting tagrelay); a cart-abandonment trigger armed on one instance fires
 * once from another.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { startMetaFake, type MetaFake } from '../fakes/meta-fake.js';
import { generateSigningKey } from '../../src/consent/receipts.js';
import { META_PIXEL, META_TOKEN, copies, event, ga4Destination, ga4EventIds, kill, metaDestination, metaEventIds, readStore, report, startProxy, writeConfig, type ProxyProcess } from '../reliability/harness.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { startAnswerGate, type AnswerGate } from './answer-gate.js';

/** Items one destination claims at most per instance (`delivery.claim_batch`): what a kill can send twice. */
const BATCH = 20;
/** A claim untouched this long is taken over (`store.claim_idle`). */
const CLAIM_IDLE_MS = 3000;

interface Answer {
  status: number | 'no answer';
  duplicates?: number;
}

/** POST one event (optionally a different event name); the status and the `duplicates` count of the answer. */
async function post(base: string, id: string, opts: { name?: string; cookie?: string; params?: Record<string, unknown> } = {}): Promise<Answer & { cookies: string[] }> {
  try {
    const body = event(id, opts.name);
    if (opts.params) Object.assign(body.params, opts.params);
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(opts.cookie ? { cookie: opts.cookie } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await res.json().catch(() => ({}))) as { duplicates?: number };
    return { status: res.status, duplicates: json.duplicates, cookies: res.headers.getSetCookie() };
  } catch {
    return { status: 'no answer', cookies: [] };
  }
}

async function readyz(base: string): Promise<number> {
  try {
    const res = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

describe('three instances on one Redis', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-cluster-'));
  let redis: TestRedis;
  let ga: Ga4Fake;
  let meta: MetaFake;
  let configFile: string;
  /** Instance 0's config: the same but for its vendor endpoints, which go through {@link gate}. */
  let victimConfigFile: string;
  /** Instance 0 reaches the fakes through this gate, which can keep the vendors' answers from it. */
  let gate: AnswerGate;
  const proxies: (ProxyProcess | undefined)[] = [];
  let started = 0;
  const gaIds = () => ga4EventIds(ga.collected().filter((r) => r.status >= 200 && r.status < 300).map((r) => r.body));
  const metaIds = () => metaEventIds(meta.received.filter((r) => r.status === 200).map((r) => r.body as { data?: { event_id?: unknown }[] }));
  /** Names of the events GA4 received with their `eid`. */
  const gaNamed = (name: string) => ga.collected().flatMap((r) => (r.body?.events ?? []).filter((e) => e.name === name));
  const startInstance = async (file = configFile) => startProxy(file, join(dir, `data-${started++}`));

  beforeAll(async () => {
    redis = await startRedis({ appendfsync: 'always' });
    ga = await startGa4Fake({ apiSecret: 'test-secret' });
    meta = await startMetaFake({ pixelId: META_PIXEL, accessToken: META_TOKEN });
    gate = await startAnswerGate((path) => (path.startsWith('/mp/') || path.startsWith('/debug/mp/') ? ga.url : meta.url));
    const batch = { max_events: BATCH, max_wait_ms: 5 };
    const signingKey = JSON.stringify((await generateSigningKey()).privateJwk);
    const config = (gaUrl: string, metaUrl: string) => ({
      dev_mode: false,
      store: { kind: 'redis', url: redis.url, claim_idle: `${CLAIM_IDLE_MS}ms` },
      consent: { receipts: { signing_key: signingKey } },
      privacy: { pseudonymization: { salt: 'cluster-test-salt-0123456789abcdef' } },
      destinations: [ga4Destination('ga', gaUrl, { batch }), metaDestination('meta', metaUrl, { batch, server_action_source: 'other' })],
      delivery: { poll_interval: '100ms', backoff_base: '50ms', backoff_max: '500ms', claim_batch: BATCH },
      triggers: [
        { id: 'cart_abandon', start: 'add_to_cart', cancel: ['purchase'], after: '2s', emit: { name: 'cart_abandoned', params: { copy: ['eid'] } }, destinations: ['ga'] },
      ],
    });
    configFile = writeConfig(dir, config(ga.url, meta.url));
    victimConfigFile = writeConfig(dir, config(gate.url, gate.url), 'victim.yaml');
    proxies.push(await startInstance(victimConfigFile));
    for (let i = 1; i < 3; i++) proxies.push(await startInstance());
  }, 60_000);

  afterAll(async () => {
    for (const p of proxies) await kill(p);
    await ga?.close();
    await meta?.close();
    await gate?.close();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('events sent round-robin, retried by the browser at another instance, are delivered once each', async ({ annotate }) => {
    const TOTAL = 300;
    const answers: { id: string; first: Answer; retry: Answer }[] = [];
    // 6 clients; each event goes to instance i % 3 and its retry to the next one — half at once (racing
    // the original's commit), half after the first answer.
    let next = 0;
    const client = async () => {
      while (next < TOTAL) {
        const i = next++;
        const id = `rr-${i}`;
        const a = proxies[i % 3]!.base;
        const b = proxies[(i + 1) % 3]!.base;
        if (i % 2 === 0) {
          const [first, retry] = await Promise.all([post(a, id), post(b, id)]);
          answers.push({ id, first, retry });
        } else {
          const first = await post(a, id);
          answers.push({ id, first, retry: await post(b, id) });
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, client));
    const errors = proxies.flatMap((p) => p!.stderr().split('\n').filter((l) => l.includes('"level":"error"')));
    expect(errors.slice(0, 5)).toEqual([]);
    expect(answers.filter((x) => x.first.status !== 202 || x.retry.status !== 202)).toEqual([]);
    // Of each pair exactly one was accepted and the other acknowledged as a duplicate.
    expect(answers.filter((x) => (x.first.duplicates ?? 0) + (x.retry.duplicates ?? 0) !== 1).map((x) => x.id)).toEqual([]);
    const ids = answers.map((x) => x.id);
    await vi.waitFor(
      () => {
        const g = new Set(gaIds());
        const m = new Set(metaIds());
        expect(ids.filter((id) => !g.has(id) || !m.has(id))).toEqual([]);
      },
      { timeout: 30_000, interval: 100 },
    );
    // Nothing more arrives: give every instance a few polls, then count copies.
    await new Promise((r) => setTimeout(r, 1000));
    const gaCopies = copies(gaIds().filter((id) => id.startsWith('rr-')));
    const metaCopies = copies(metaIds().filter((id) => id.startsWith('rr-')));
    expect([...gaCopies].filter(([, n]) => n !== 1)).toEqual([]);
    expect([...metaCopies].filter(([, n]) => n !== 1)).toEqual([]);
    expect(gaCopies.size).toBe(TOTAL);
    expect(metaCopies.size).toBe(TOTAL);
    expect(ga.problems().flat()).toEqual([]);
    // The work was shared: each instance recorded deliveries, and no event was delivered by two.
    const byInstance = [0, 1, 2].map((i) =>
      readStore(join(dir, `data-${i}`), (db) => new Set((db.prepare("SELECT event_id FROM delivery_log WHERE destination_id = 'ga' AND status = 'delivered' AND event_id LIKE 'rr-%'").all() as { event_id: string }[]).map((r) => r.event_id))),
    );
    for (const s of byInstance) expect(s.size).toBeGreaterThan(0);
    expect(byInstance.reduce((n, s) => n + s.size, 0)).toBe(TOTAL);
    await report(annotate, 'redis round-robin with cross-instance retries', {
      accepted: TOTAL,
      retries_answered_duplicate: TOTAL,
      ga: Object.fromEntries([...gaCopies.values()].reduce((m, n) => m.set(`copies_${n}`, (m.get(`copies_${n}`) ?? 0) + 1), new Map<string, number>())),
      delivered_by_instance: Object.fromEntries(byInstance.map((s, i) => [`instance_${i}`, s.size])),
    });
  }, 90_000);

  it("a SIGKILLed instance's claimed deliveries are taken over by the others within a bounded time; nothing is lost", async ({ annotate }) => {
    const TOTAL = 400;
    const status = new Map<string, number | 'no answer'>();
    let next = 0;
    let answered = 0;
    let killedAt = 0;
    const victim = proxies[0]!;
    let kill0: Promise<void> | undefined;
    let givenUp = false;
    // Instance 0 dies with deliveries it sent but never saw answered: once a third of the events are
    // accepted, the gate keeps the vendors' answers from it (the vendors did receive the requests), and
    // the kill waits for at least one such request per destination. Those entries are pending under
    // instance 0's consumer in both groups for certain — no race with how fast it settles.
    const heldFor = () => {
      const h = gate.held();
      return {
        ga: ga4EventIds(h.filter((r) => r.path.endsWith('/mp/collect')).map((r) => r.body as { events?: { params?: Record<string, unknown> }[] })),
        meta: metaEventIds(h.filter((r) => !r.path.endsWith('/mp/collect')).map((r) => r.body as { data?: { event_id?: unknown }[] })),
      };
    };
    const client = async () => {
      // Sends until all TOTAL are out and instance 0 is dead (bounded by the wait below).
      while (next < TOTAL || (!kill0 && !givenUp)) {
        const i = next++;
        const id = `kill-${i}`;
        // Round-robin; a request the dead instance cannot answer is retried by the browser at the next one.
        let s = (await post(proxies[i % 3]!.base, id)).status;
        if (s === 'no answer') s = (await post(proxies[(i % 3) + 1]!.base, id)).status;
        status.set(id, s);
        if (s === 202) answered++;
        if (answered >= TOTAL / 3) gate.hold();
        const held = heldFor();
        if (!kill0 && held.ga.length > 0 && held.meta.length > 0) {
          kill0 = kill(victim).then(() => void (killedAt = Date.now()));
        }
        await new Promise((r) => setTimeout(r, 3));
      }
    };
    const clients = Promise.all(Array.from({ length: 6 }, client));
    try {
      await vi.waitFor(() => expect(kill0).toBeDefined(), { timeout: 60_000, interval: 20 });
    } finally {
      givenUp = true;
      await clients;
    }
    await kill0;
    expect(victim.child.signalCode).toBe('SIGKILL');
    const held = heldFor();
    const acked = [...status].filter(([, s]) => s === 202).map(([id]) => id);
    expect([...status].filter(([, s]) => s !== 202)).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(TOTAL);
    await vi.waitFor(
      () => {
        const g = new Set(gaIds());
        const m = new Set(metaIds());
        expect(acked.filter((id) => !g.has(id) || !m.has(id))).toEqual([]);
        // The held deliveries were sent again by another instance (the vendor has each twice).
        const gc = copies(gaIds());
        const mc = copies(metaIds());
        expect(held.ga.filter((id) => gc.get(id) !== 2)).toEqual([]);
        expect(held.meta.filter((id) => mc.get(id) !== 2)).toEqual([]);
      },
      { timeout: CLAIM_IDLE_MS + 20_000, interval: 100 },
    );
    const allDeliveredAfterKill = Date.now() - killedAt;
    // Another instance took over what the dead one had claimed (XAUTOCLAIM once idle for claim_idle), for each destination.
    const takeovers = [proxies[1]!, proxies[2]!].flatMap((p) => p.stderr().split('\n').filter((l) => l.includes('took over deliveries of an idle instance')));
    for (const d of ['ga', 'meta']) expect(takeovers.filter((l) => l.includes(`"destination":"${d}"`)).length, d).toBeGreaterThan(0);
    expect(allDeliveredAfterKill).toBeLessThan(CLAIM_IDLE_MS + 15_000);
    await new Promise((r) => setTimeout(r, 1000));
    const tallies: Record<string, { delivered: number; duplicated: number; held: number }> = {};
    for (const [v, ids, h] of [['ga', gaIds(), held.ga], ['meta', metaIds(), held.meta]] as const) {
      const counts = copies(ids.filter((id) => id.startsWith('kill-')));
      const dup = [...counts].filter(([, n]) => n > 1);
      // Only what the dead instance had sent but not settled can come twice: at most its claim window,
      // and every held request is among them.
      expect(dup.length, v).toBeLessThanOrEqual(BATCH);
      expect(dup.every(([, n]) => n === 2), v).toBe(true);
      expect(h.filter((id) => !dup.some(([d]) => d === id)), v).toEqual([]);
      expect(acked.filter((id) => !counts.has(id)), v).toEqual([]);
      tallies[v] = { delivered: counts.size, duplicated: dup.length, held: h.length };
    }
    await report(annotate, 'redis: SIGKILL one of three instances mid-delivery', { accepted: acked.length, all_delivered_ms_after_kill: allDeliveredAfterKill, takeovers: takeovers.length, ...tallies });
    proxies[0] = await startInstance();
  }, 150_000);

  it('Redis SIGKILLed and restarted (AOF, appendfsync always): nothing answered 202 is lost; 503 and /readyz 503 while down; recovery without a restart', async ({ annotate }) => {
    const status = new Map<string, number | 'no answer'>();
    let phase: 'before' | 'down' | 'after' = 'before';
    const downStatuses: (number | 'no answer')[] = [];
    let n = 0;
    let answeredAfter = 0;
    const client = async () => {
      while (phase !== 'after' || answeredAfter < 100) {
        const i = n++;
        const id = `aof-${i}`;
        const s = (await post(proxies[i % 3]!.base, id)).status;
        status.set(id, s);
        if (phase === 'down') downStatuses.push(s);
        if (phase === 'after' && s === 202) answeredAfter++;
        await new Promise((r) => setTimeout(r, 5));
      }
    };
    const clients = Promise.all(Array.from({ length: 4 }, client));
    await vi.waitFor(() => expect([...status.values()].filter((s) => s === 202).length).toBeGreaterThanOrEqual(100), { timeout: 30_000, interval: 20 });
    await redis.stop('SIGKILL');
    phase = 'down';
    const downAt = Date.now();
    await vi.waitFor(() => expect(downStatuses.length).toBeGreaterThanOrEqual(20), { timeout: 10_000, interval: 20 });
    const readyDown = await Promise.all(proxies.map((p) => readyz(p!.base)));
    await redis.start();
    await vi.waitFor(async () => expect(await Promise.all(proxies.map((p) => readyz(p!.base)))).toEqual([200, 200, 200]), { timeout: 15_000, interval: 100 });
    const recoveredMs = Date.now() - downAt;
    phase = 'after';
    await clients;
    expect(readyDown).toEqual([503, 503, 503]);
    // While Redis was down nothing was acknowledged: every answer was a 503 (a commit cut by the kill may also be 503).
    expect(downStatuses.filter((s) => s !== 503 && s !== 202)).toEqual([]);
    expect(downStatuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    const acked = [...status].filter(([, s]) => s === 202).map(([id]) => id);
    await vi.waitFor(
      () => {
        const g = new Set(gaIds());
        const m = new Set(metaIds());
        expect(acked.filter((id) => !g.has(id) || !m.has(id))).toEqual([]);
      },
      { timeout: 30_000, interval: 100 },
    );
    await new Promise((r) => setTimeout(r, 1000));
    const tallies: Record<string, { delivered: number; duplicated: number }> = {};
    for (const [v, ids] of [['ga', gaIds()], ['meta', metaIds()]] as const) {
      const counts = copies(ids.filter((id) => id.startsWith('aof-')));
      const dup = [...counts].filter(([, c]) => c > 1);
      // Claims idle through the outage may be taken over: at most one claim window per instance.
      expect(dup.length, v).toBeLessThanOrEqual(3 * BATCH);
      expect(acked.filter((id) => !counts.has(id)), v).toEqual([]);
      tallies[v] = { delivered: counts.size, duplicated: dup.length };
    }
    await report(annotate, 'redis: SIGKILL and restart of Redis (AOF always)', {
      accepted: acked.length,
      answered_503: [...status.values()].filter((s) => s === 503).length,
      recovered_ms: recoveredMs,
      ...tallies,
    });
  }, 120_000);

  it('a cart-abandonment trigger armed on one instance fires once, from another; a purchase at a third cancels it', async ({ annotate }) => {
    const cookieOf = (setCookies: string[]) => setCookies.map((c) => c.split(';', 1)[0]).join('; ');
    // Visitor A: the cart is filled at instance 0, which then dies before the timer is due.
    const a = await post(proxies[0]!.base, 'cart-a', { name: 'add_to_cart' });
    expect(a.status).toBe(202);
    await kill(proxies[0]);
    // Visitor B: the cart at instance 1, the purchase (same cookies) at instance 2.
    const b = await post(proxies[1]!.base, 'cart-b', { name: 'add_to_cart' });
    expect(b.status).toBe(202);
    expect((await post(proxies[2]!.base, 'cart-b-buy', { cookie: cookieOf(b.cookies) })).status).toBe(202);
    const abandoned = () => gaNamed('cart_abandoned').map((e) => String(e.params?.eid));
    await vi.waitFor(() => expect(abandoned()).toContain('cart-a'), { timeout: 20_000, interval: 100 });
    // Past `after` again and several polls: no second fire, and the cancelled cart never fires.
    await new Promise((r) => setTimeout(r, 3000));
    expect(abandoned().filter((id) => id === 'cart-a')).toHaveLength(1);
    expect(abandoned()).not.toContain('cart-b');
    const firedBy = [1, 2].filter((i) => proxies[i]!.stderr().includes('"msg":"trigger fired"'));
    expect(firedBy.length).toBe(1);
    await report(annotate, 'redis: trigger armed on instance 0 (killed), fired elsewhere', { accepted: 3, fired: abandoned().length, fired_by_instance: firedBy[0]! });
  }, 60_000);
});
