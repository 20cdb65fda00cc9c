/**
 * Alarm state survives a restart (no second notice), and webhook notices reach a real HTTP receiver
 * on 127.0.0.1 in order, exactly once, through 503s and a receiver that is down.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { harness } from './harness.js';
import { DAY, HOUR, MIN, T0 } from './traffic.js';
import { startFake, type VendorFake } from '../fakes/fake-server.js';
import type { AlarmNotice } from '../../src/alarms/message.js';
import { createAlarms } from '../../src/alarms/alarms.js';
import { alarmsConfigSchema } from '../../src/alarms/config.js';
import { nodeRuntime } from '../../src/runtime/node/runtime.js';

const at = (day: number, hour: number) => T0 + day * DAY + hour * HOUR;
// Thursday 2026-11-05: purchase silent 10:00–14:00.
const STOP = { from: at(3, 10), to: at(3, 14), rate: { purchase: 0 } };

/** A Slack-like receiver: 200 `ok` for a JSON body with a string `text`, 400 otherwise. */
function slack(port?: number): Promise<VendorFake<AlarmNotice>> {
  return startFake<AlarmNotice>(
    (req) =>
      req.method === 'POST' && req.path === '/services/T000/B000/XXXX' && typeof req.body?.text === 'string' && req.headers['content-type'] === 'application/json'
        ? { status: 200, body: 'ok' }
        : { status: 400, body: 'invalid_payload' },
    port === undefined ? {} : { port },
  );
}

const fakes: VendorFake[] = [];
afterEach(async () => {
  for (const f of fakes.splice(0)) await f.close();
});

describe('alarm state across a restart', () => {
  it('an open alarm is not fired again after a restart, and resolves once', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tagrelay-alarms-')), 'store.db');
    const h = await harness({ seed: 3, faults: [STOP], file });
    await h.fill(at(3, 9));
    await h.run(at(3, 12, ) + 30 * MIN);
    expect(h.fired.map((a) => a.key)).toEqual(['event_stopped:purchase']);
    const before = h.alarms.open();
    expect(before.map((a) => a.key)).toEqual(['event_stopped:purchase']);
    await h.restart();
    // The new process reads the open alarm from the store on its first tick, and does not fire it again.
    await h.run(at(3, 13));
    expect(h.alarms.open()).toEqual(before);
    expect(h.fired).toHaveLength(1);
    await h.run(at(3, 16));
    expect(h.resolved.map((a) => a.key)).toEqual(['event_stopped:purchase']);
    expect(h.alarms.open()).toEqual([]);
    const list = await h.alarms.list();
    expect(list).toHaveLength(1);
    expect(list[0]!.resolved_at).toBe(h.resolved[0]!.at);
    expect(h.log.lines.filter((l) => l.msg.startsWith('[tagrelay] ALARM'))).toHaveLength(1);
    expect(h.log.lines.filter((l) => l.msg.startsWith('[tagrelay] RESOLVED'))).toHaveLength(1);
    await h.close();
  }, 120_000);
});

describe('two instances on one store', () => {
  it('one evaluates (the lease), both report the same open alarms, nothing fires twice; the lease passes on when its holder stops', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tagrelay-alarms-')), 'store.db');
    const h = await harness({ seed: 3, faults: [STOP], file });
    await h.fill(at(3, 9));
    const other = nodeRuntime({ dataDir: '', file, log: h.log, now: h.now });
    const second = createAlarms({ db: other.db, config: alarmsConfigSchema.parse({}), fetch: other.fetch, now: h.now, log: h.log, randomHex: other.randomHex });
    let secondFired = 0;
    let secondEvaluated = 0;
    while (h.now.now < at(3, 13)) {
      await h.run(h.now.now + 5 * MIN);
      const r = await second.tick();
      secondFired += r.fired.length;
      secondEvaluated += r.evaluated ? 1 : 0;
    }
    expect(h.fired.map((a) => a.key)).toEqual(['event_stopped:purchase']);
    expect(secondEvaluated).toBe(0);
    expect(secondFired).toBe(0);
    expect(second.open()).toEqual(h.alarms.open());
    // The first instance stops: the second takes the lease at its next tick and resolves the alarm once.
    await h.alarms.close();
    let resolved = 0;
    while (h.now.now < at(3, 16)) {
      h.now.now += 5 * MIN;
      await h.fill(h.now.now - (h.now.now % (5 * MIN)));
      const r = await second.tick();
      resolved += r.resolved.length;
      secondEvaluated += r.evaluated ? 1 : 0;
    }
    expect(secondEvaluated).toBeGreaterThan(0);
    expect(resolved).toBe(1);
    expect(second.open()).toEqual([]);
    await second.close();
    await other.db.close();
    await h.close();
  }, 120_000);
});

describe('webhook channel over HTTP', () => {
  it('posts a Slack-compatible body with the alarm fields, once on fire and once on resolve, in order', async () => {
    const rx = await slack();
    fakes.push(rx);
    const h = await harness({ seed: 3, faults: [STOP], alarms: { channels: { webhooks: [{ url: `${rx.url}/services/T000/B000/XXXX` }] } } });
    await h.fill(at(3, 9));
    await h.run(at(3, 16));
    const ok = rx.received.filter((r) => r.status === 200);
    expect(ok.map((r) => r.body!.alarm.status)).toEqual(['firing', 'resolved']);
    const [fire, resolve] = ok.map((r) => r.body!);
    expect(fire!.text).toMatch(/^\[tagrelay\] ALARM event_stopped: `purchase` stopped arriving: none since 2026-11-05 09:\d\d UTC/);
    expect(fire!.alarm).toMatchObject({ kind: 'event_stopped', subject: 'purchase', key: 'event_stopped:purchase', seen: 0, id: h.fired[0]!.id, since: h.fired[0]!.since });
    expect(fire!.alarm.expected).toBeGreaterThanOrEqual(10);
    expect(resolve!.text).toMatch(/^\[tagrelay\] RESOLVED event_stopped: `purchase` arriving again at 2026-11-05 14:\d\d UTC/);
    expect(resolve!.alarm).toMatchObject({ status: 'resolved', id: h.fired[0]!.id, resolved_at: h.resolved[0]!.at });
    expect(rx.received).toHaveLength(2);
    await h.close();
  }, 120_000);

  it('a failing receiver: 503s are retried with backoff, the evaluation goes on, nothing is lost or sent twice', async () => {
    const rx = await slack();
    fakes.push(rx);
    const h = await harness({ seed: 3, faults: [STOP], alarms: { channels: { webhooks: [{ url: `${rx.url}/services/T000/B000/XXXX` }] } } });
    await h.fill(at(3, 9));
    rx.failNext({ status: 503 }, { status: 503 }, { status: 503, body: '{"error":"busy"}' });
    await h.run(at(3, 13));
    // Fired once; three 503s then delivered, each retry a tick (5 min) apart at most.
    expect(h.fired).toHaveLength(1);
    expect(rx.received.map((r) => r.status)).toEqual([503, 503, 503, 200]);
    expect(rx.received.every((r) => r.body?.alarm.status === 'firing' && r.body.alarm.id === h.fired[0]!.id)).toBe(true);
    expect(h.ticks.some((t) => t.notices.failed === 1)).toBe(true);
    expect(h.log.lines.filter((l) => l.msg === 'alarm notice failed; will retry')).toHaveLength(3);
    // The log names the receiver's host, never the secret path.
    expect(h.log.text()).not.toContain('XXXX');
    // Receiver down (connection refused) while the alarm resolves: no crash, the alarm resolves in
    // the store, the notice waits.
    const port = Number(new URL(rx.url).port);
    await rx.close();
    fakes.splice(0);
    await h.run(at(3, 15));
    expect(h.resolved).toHaveLength(1);
    expect(h.alarms.open()).toEqual([]);
    const waiting = await h.runtime.db.all<{ attempts: number; last_error: string }>('SELECT attempts, last_error FROM alarm_notices');
    expect(waiting).toHaveLength(1);
    expect(waiting[0]!.attempts).toBeGreaterThanOrEqual(2);
    expect(waiting[0]!.last_error).toBe('network error');
    // Back at the same address: the resolve notice arrives once.
    const back = await slack(port);
    fakes.push(back);
    await h.run(at(3, 15) + 30 * MIN);
    expect(back.received.map((r) => [r.status, r.body?.alarm.status])).toEqual([[200, 'resolved']]);
    expect(await h.runtime.db.all('SELECT id FROM alarm_notices')).toEqual([]);
    await h.close();
  }, 120_000);

  it('a permanent 4xx (revoked webhook) drops the notice with a log line and does not block the next', async () => {
    const rx = await slack();
    fakes.push(rx);
    const h = await harness({ seed: 3, faults: [STOP], alarms: { channels: { webhooks: [{ url: `${rx.url}/services/T000/B000/XXXX` }] } } });
    await h.fill(at(3, 9));
    rx.failNext({ status: 404, body: 'no_service' });
    await h.run(at(3, 16));
    expect(rx.received.map((r) => [r.status, r.body?.alarm.status])).toEqual([
      [404, 'firing'],
      [200, 'resolved'],
    ]);
    expect(h.log.lines.filter((l) => l.msg === 'alarm notice refused')).toHaveLength(1);
    await h.close();
  }, 120_000);
});
