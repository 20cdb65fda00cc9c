/**
 * The real server process, delivering on its worker thread (delivery.thread, the default): /metrics
 * shows the thread's deliveries and consent decisions, and a debug session receives the thread's
 * decisions, vendor requests and answers.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';
import { ADMIN_SECRET, hsToken } from '../helpers/tokens.js';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { parseExposition, valueOf } from './helpers.js';
import { openSse, type SseClient } from './sse-client.js';
import type { DebugSessionInfo } from '../../src/debug/types.js';

const GRANTED = { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' };

describe('metrics and the debug stream with delivery on a worker thread', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-thread-'));
  let server: StartedProcess | undefined;
  let ga4: Ga4Fake | undefined;
  let live: SseClient | undefined;
  afterAll(async () => {
    live?.close();
    await server?.stop();
    await ga4?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the thread’s deliveries in /metrics and its decisions and answers in the stream', async () => {
    ga4 = await startGa4Fake({ apiSecret: 'thread-secret' });
    const file = join(dir, 'tagrelay.json');
    writeFileSync(
      file,
      JSON.stringify({
        dev_mode: false,
        admin: { jwt: { secret: '${TAGRELAY_ADMIN_SECRET}' } },
        privacy: { pseudonymization: { salt: 'thread-salt-0123456789abcdef', salt_id: 'p1' } },
        delivery: { poll_interval: '20ms' },
        destinations: [
          { id: 'lake', type: 'sqlite' },
          { id: 'ga4', type: 'ga4', measurement_id: 'G-TEST1234', api_secret: 'thread-secret', endpoint: ga4.url },
        ],
      }),
    );
    server = await startProcess(['serve', '--config', file], { TAGRELAY_DATA_DIR: dir, TAGRELAY_ADMIN_SECRET: ADMIN_SECRET });
    const { child, port } = server;
    const base = `http://127.0.0.1:${port}`;
    const debugAuth = { authorization: `Bearer ${await hsToken({ scope: 'debug:read' })}` };
    const info = (await (await fetch(`${base}/admin/v1/debug/sessions`, { method: 'POST', headers: debugAuth, body: '{}' })).json()) as DebugSessionInfo;
    live = await openSse(`${base}/admin/v1/debug/sessions/${info.id}/stream`, debugAuth);
    await live.waitFor((m) => m.stage === 'hello');

    const send = (id: string, headers: Record<string, string> = {}) =>
      fetch(`${base}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ name: 'page_view', event_id: id, client: { client_id: `${id.slice(-1)}.1` }, consent: GRANTED }) });
    expect((await send('thr-1', { 'x-tagrelay-debug': info.token! })).status).toBe(202);
    expect((await send('thr-2')).status).toBe(202);
    expect((await send('thr-3')).status).toBe(202);

    // The thread's decisions and answers reach the session held by the accepting thread.
    const decision = await live.waitFor((m) => m.stage === 'decision' && m.destination_id === 'ga4', 20_000);
    expect(decision).toMatchObject({ event_id: 'thr-1', action: 'send' });
    expect(await live.waitFor((m) => m.stage === 'answer' && m.destination_id === 'ga4', 20_000)).toMatchObject({ event_id: 'thr-1', status: 204, outcome: 'delivered' });
    expect(live.raw()).not.toContain('thr-2');

    // The thread's delivery counters, as the accepting side serves them (reported every 250 ms).
    const token = await hsToken({ scope: 'metrics:read' });
    const deadline = Date.now() + 20_000;
    let delivered: number | undefined;
    let samples: ReturnType<typeof parseExposition>['samples'] = [];
    while (Date.now() < deadline) {
      samples = parseExposition(await (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text()).samples;
      delivered = valueOf(samples, 'tagrelay_deliveries_total', { destination: 'ga4', outcome: 'delivered' });
      if (delivered === 3 && valueOf(samples, 'tagrelay_deliveries_total', { destination: 'lake', outcome: 'delivered' }) === 3) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(delivered).toBe(3);
    expect(ga4.collected().length).toBe(3);
    expect(valueOf(samples, 'tagrelay_consent_decisions_total', { destination: 'ga4', action: 'send', reason: 'granted' })).toBe(3);
    // Sends are batches (here one or more, as the thread claimed them), each timed once.
    const sends = valueOf(samples, 'tagrelay_vendor_requests_total', { destination: 'ga4', result: 'ok' })!;
    expect(sends).toBeGreaterThanOrEqual(1);
    expect(valueOf(samples, 'tagrelay_vendor_request_seconds_count', { destination: 'ga4' })).toBe(sends);
    expect(valueOf(samples, 'tagrelay_events_total', { outcome: 'accepted' })).toBe(3);
    expect(valueOf(samples, 'tagrelay_outbox_depth', { destination: 'ga4', state: 'pending' })).toBe(0);

    // A stream still open does not hold the shutdown: it ends with the server.
    const exited = new Promise<number | null>((ok) => child.once('exit', ok));
    child.kill('SIGTERM');
    expect(await live.waitFor((m) => m.stage === 'end')).toMatchObject({ reason: 'debug.server_stopping' });
    expect(await exited).toBe(0);
  }, 90_000);
});
