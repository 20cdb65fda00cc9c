/**
 * Alarms across instances on Redis (issue 18: "rate counters for alarms"): a real redis-server, two
 * tagrelay processes, a webhook destination whose receiver refuses every event (each one dead-lettered:
 * one failed outcome per event) and a receiver for the alarm notices. The traffic is split so that
 * neither instance alone reaches `destination_failing.min_outcomes`: 15 events accepted and delivered
 * by instance A while B is stopped (SIGSTOP), then 15 by B while A is stopped. The alarm fires once,
 * judged on the 30 outcomes of both, and stays fired once after both run again; once the receiver
 * accepts again, it resolves once. The accept-side
 * counters (events per name per bucket) count each new event once, duplicates not at all.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFake, type VendorFake } from '../fakes/fake-server.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';
import { generateSigningKey } from '../../src/consent/receipts.js';
import { event, kill, readStore, report, startProxy, writeConfig, type ProxyProcess } from '../reliability/harness.js';
import { startRedis, type TestRedis } from './redis-server.js';
import { createRedisPort } from '../../src/runtime/node/redis.js';
import { redisAlarms } from '../../src/store/redis/alarms.js';
import { redisKeys } from '../../src/store/redis/keys.js';

const SECRET = 'alarm-cluster-webhook-secret-0123456789';
const MIN_OUTCOMES = 20;
const PER_INSTANCE = 15;

async function post(base: string, id: string): Promise<{ status: number; duplicates?: number }> {
  const res = await fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event(id)), signal: AbortSignal.timeout(10_000) });
  const json = (await res.json().catch(() => ({}))) as { duplicates?: number };
  return { status: res.status, duplicates: json.duplicates };
}

describe('alarms on Redis see every instance and fire once', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-redis-alarms-'));
  let redis: TestRedis;
  let hook: WebhookReceiver;
  let notices: VendorFake<{ text?: string; alarm?: { key?: string; status?: string; detail?: string } }>;
  let a: ProxyProcess | undefined;
  let b: ProxyProcess | undefined;
  /** The webhook receiver refuses every event (400: dead-lettered) while this is set. */
  let refusing = true;
  const stats = async () => Number((await redis.client().call('HGET', 'tagrelay:stats:hook', 'dead')) ?? 0);
  const deadIn = (data: string) =>
    readStore(join(dir, data), (db) => (db.prepare("SELECT COUNT(*) AS n FROM delivery_log WHERE destination_id = 'hook' AND status = 'dead'").get() as { n: number }).n);
  const firing = () => notices.received.filter((r) => r.body?.alarm?.status === 'firing');
  const resolvedNotices = () => notices.received.filter((r) => r.body?.alarm?.status === 'resolved');
  const firingLines = (p: ProxyProcess) => p.stderr().split('\n').filter((l) => l.includes('"reason":"alarms.destination_failing"') && l.includes('"level":"warn"'));
  /** Sum of one counter field over every alarm bucket in Redis. */
  const counted = async (field: string) => {
    const c = redis.client();
    let n = 0;
    for (const k of (await c.keys('tagrelay:alarm:b:*')) as string[]) n += Number((await c.hget(k, field)) ?? 0);
    return n;
  };

  beforeAll(async () => {
    redis = await startRedis({ appendfsync: 'always' });
    hook = await startWebhookReceiver({ secret: SECRET, refuse: () => refusing });
    notices = await startFake((req) => (req.method === 'POST' && req.path === '/alarms' ? { status: 200, body: '{"ok":true}' } : { status: 404 }));
    const configFile = writeConfig(dir, {
      dev_mode: false,
      store: { kind: 'redis', url: redis.url, claim_idle: '3s' },
      consent: { receipts: { signing_key: JSON.stringify((await generateSigningKey()).privateJwk) } },
      privacy: { pseudonymization: { salt: 'redis-alarms-test-salt-0123456789abcdef' } },
      destinations: [{ id: 'hook', type: 'webhook', url: `${hook.url}${hook.path}`, secret: SECRET, batch: { max_events: 5, max_wait_ms: 5 } }],
      delivery: { poll_interval: '100ms', backoff_base: '50ms', backoff_max: '500ms' },
      alarms: {
        interval: '300ms',
        event_stopped: { enabled: false },
        destination_failing: { enabled: true, window: '15m', min_outcomes: MIN_OUTCOMES, error_rate: 0.2, dead_letter_rate: 0.5 },
        channels: { log: true, webhooks: [{ url: `${notices.url}/alarms` }] },
      },
    });
    a = await startProxy(configFile, join(dir, 'data-a'));
    b = await startProxy(configFile, join(dir, 'data-b'));
  }, 60_000);

  afterAll(async () => {
    for (const p of [a, b]) if (p && p.child.exitCode === null) p.child.kill('SIGCONT');
    await kill(a);
    await kill(b);
    await hook?.close();
    await notices?.close();
    await redis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a destination failing on traffic split across two instances fires one alarm, once, and resolves it once', async ({ annotate }) => {
    // Stage 1: only A runs (B frozen: it claims nothing and its evaluator lease, if it had it, runs out).
    b!.child.kill('SIGSTOP');
    const first = await Promise.all(Array.from({ length: PER_INSTANCE }, (_, i) => post(a!.base, `fail-a-${i}`)));
    expect(first.filter((r) => r.status !== 202)).toEqual([]);
    await vi.waitFor(async () => expect(await stats()).toBe(PER_INSTANCE), { timeout: 20_000, interval: 50 });
    expect(deadIn('data-a')).toBe(PER_INSTANCE);
    // Below min_outcomes for the cluster too: A evaluates (it holds the lease within 3 intervals) and nothing fires.
    await vi.waitFor(async () => expect(await redis.client().get('tagrelay:alarm:lease')).not.toBeNull(), { timeout: 10_000, interval: 50 });
    await new Promise((r) => setTimeout(r, 2000));
    expect(firing()).toEqual([]);
    expect(await redis.client().hlen('tagrelay:alarm:open')).toBe(0);

    // Stage 2: only B runs; 15 more events, and 5 retries of A's ids (duplicates: neither delivered nor counted).
    b!.child.kill('SIGCONT');
    a!.child.kill('SIGSTOP');
    const second = await Promise.all(Array.from({ length: PER_INSTANCE }, (_, i) => post(b!.base, `fail-b-${i}`)));
    const retries = await Promise.all(Array.from({ length: 5 }, (_, i) => post(b!.base, `fail-a-${i}`)));
    expect(second.filter((r) => r.status !== 202)).toEqual([]);
    expect(retries.map((r) => [r.status, r.duplicates])).toEqual(Array.from({ length: 5 }, () => [202, 1]));
    await vi.waitFor(async () => expect(await stats()).toBe(2 * PER_INSTANCE), { timeout: 20_000, interval: 50 });
    // Each instance alone recorded fewer failures than min_outcomes: only the shared counts can fire.
    expect(deadIn('data-b')).toBe(PER_INSTANCE);
    expect(PER_INSTANCE).toBeLessThan(MIN_OUTCOMES);
    await vi.waitFor(() => expect(firing().length).toBeGreaterThan(0), { timeout: 20_000, interval: 50 });

    // Stage 3: both run; several more ticks of each evaluator change nothing.
    a!.child.kill('SIGCONT');
    const ticksFrom = Date.now();
    await vi.waitFor(async () => {
      // A is live again: its evaluator renews or waits on the lease; give both well over 3 lease periods.
      expect(Date.now() - ticksFrom).toBeGreaterThan(3000);
      expect(await stats()).toBe(2 * PER_INSTANCE);
    }, { timeout: 20_000, interval: 200 });
    const fired = firing();
    expect(fired).toHaveLength(1);
    expect(fired[0]!.body?.alarm?.key).toBe('destination_failing:hook');
    // Judged on both instances' outcomes.
    expect(fired[0]!.body?.alarm?.detail).toContain(`of ${2 * PER_INSTANCE} delivery outcomes failed`);
    expect(firingLines(a!).length + firingLines(b!).length).toBe(1);
    const open = (await redis.client().hgetall('tagrelay:alarm:open')) as Record<string, string>;
    expect(Object.keys(open)).toEqual(['destination_failing:hook']);
    expect(firing()).toHaveLength(1);
    // Accept-side counters: every new event once per bucket field, the 5 duplicates not at all.
    expect(await counted('ev\tpurchase')).toBe(2 * PER_INSTANCE);
    expect(await counted('ads\t')).toBe(2 * PER_INSTANCE);
    expect(Number(await redis.client().hget('tagrelay:alarm:last', 'purchase'))).toBeGreaterThan(ticksFrom - 60_000);
    expect(await counted('dest\thook\tdead')).toBe(2 * PER_INSTANCE);

    // Stage 4: the receiver accepts again; 300 events over both instances (270+ delivered outcomes
    // bring the failed share under half of both rates) → the alarm resolves, once.
    refusing = false;
    const recovery = await Promise.all(Array.from({ length: 300 }, (_, i) => post((i % 2 === 0 ? a : b)!.base, `ok-${i}`)));
    expect(recovery.filter((r) => r.status !== 202)).toEqual([]);
    await vi.waitFor(() => expect(hook.accepted().length).toBe(300), { timeout: 30_000, interval: 100 });
    await vi.waitFor(() => expect(resolvedNotices().length).toBeGreaterThan(0), { timeout: 20_000, interval: 50 });
    const resolvedAt = Date.now();
    await vi.waitFor(() => expect(Date.now() - resolvedAt).toBeGreaterThan(3000), { timeout: 10_000, interval: 200 });
    expect(resolvedNotices()).toHaveLength(1);
    expect(resolvedNotices()[0]!.body?.alarm?.key).toBe('destination_failing:hook');
    expect(firing()).toHaveLength(1);
    expect(await redis.client().hlen('tagrelay:alarm:open')).toBe(0);
    await report(annotate, 'redis: destination_failing alarm across two instances', {
      accepted: 2 * PER_INSTANCE + 300,
      dead_by_a: deadIn('data-a'),
      dead_by_b: deadIn('data-b'),
      firing_notices: fired.length,
      resolved_notices: resolvedNotices().length,
      fired_by_a: firingLines(a!).length,
      fired_by_b: firingLines(b!).length,
    });
  }, 120_000);

  it('evaluators racing on the shared open alarms: one fire and one resolve per opening, a stale resolve does nothing', async () => {
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    const ports = [createRedisPort({ url: redis.url, command_timeout: 5000 }, log), createRedisPort({ url: redis.url, command_timeout: 5000 }, log)];
    try {
      for (const p of ports) await p.connect(5000);
      const keys = redisKeys('race:');
      const [x, y] = ports.map((p) => redisAlarms({ redis: p, keys, db: undefined as never }).cluster);
      const alarm = { id: 0, key: 'volume_drop:page_view', kind: 'volume_drop' as const, subject: 'page_view', since: 1, opened_at: 1_764_000_000_000, expected: 100, seen: 10, window: 3_600_000, detail: '' };
      for (let round = 0; round < 20; round++) {
        const opening = { ...alarm, opened_at: alarm.opened_at + round };
        const fired = await Promise.all([x!.claimFire(opening), y!.claimFire({ ...opening, id: 7 })]);
        expect(fired.filter(Boolean)).toHaveLength(1);
        // A resolve of an earlier opening of the same key leaves this one open.
        expect(await x!.claimResolve({ ...opening, opened_at: opening.opened_at - 1 })).toBe(false);
        expect([...(await y!.open()).keys()]).toEqual([alarm.key]);
        const resolved = await Promise.all([x!.claimResolve(opening), y!.claimResolve(opening)]);
        expect(resolved.filter(Boolean)).toHaveLength(1);
        expect((await x!.open()).size).toBe(0);
      }
      // The evaluator lease: one holder at a time; released, the other takes it.
      expect(await x!.acquire('one', 0, 60_000)).toBe(true);
      expect(await y!.acquire('two', 0, 60_000)).toBe(false);
      expect(await x!.acquire('one', 0, 60_000)).toBe(true);
      await x!.release('one');
      expect(await y!.acquire('two', 0, 60_000)).toBe(true);
    } finally {
      for (const p of ports) await p.close();
    }
  });
});
