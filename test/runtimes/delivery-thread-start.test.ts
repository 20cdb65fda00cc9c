/**
 * The delivery thread starts after the server's first commit has been answered, or on its own shortly
 * after start() when no event comes: a backlog left by the previous run is delivered without a new
 * event.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type TagrelayApp } from '../../src/app.js';
import { configSchema } from '../../src/config/schema.js';
import { nodeRuntime } from '../../src/runtime/node/runtime.js';
import { silentLogger } from '../../src/ports.js';
import { startGa4Fake, type Ga4Fake } from '../fakes/ga4-fake.js';

const SECRET = 'thread-start-secret';

function appOn(dir: string, endpoint: string): TagrelayApp {
  const config = configSchema.parse({
    dev_mode: true,
    destinations: [{ id: 'ga', type: 'ga4', measurement_id: 'G-THREADSTART', api_secret: SECRET, endpoint }],
    delivery: { poll_interval: '50ms', backoff_base: '200ms', shutdown_drain: '200ms' },
  });
  return createApp(config, nodeRuntime({ dataDir: dir, log: silentLogger, deliveryThread: true }));
}

describe('when the delivery thread starts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-thread-start-'));
  let fake: Ga4Fake | undefined;
  let app: TagrelayApp | undefined;
  afterAll(async () => {
    await app?.services.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a backlog from the previous run is delivered after a restart with no new event', { timeout: 60_000 }, async () => {
    // First run: GA4 unreachable, so the events stay due for a retry when it stops.
    // Nothing listens on that port: every send is refused.
    const first = appOn(dir, `http://127.0.0.1:${await freePort()}`);
    await first.services.ready;
    const ids = ['b-1', 'b-2', 'b-3'];
    const res = await first.fetch(
      new Request('https://t.example.com/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ events: ids.map((id, i) => ({ event_id: id, name: 'page_view', client: { client_id: `${i + 1}.1700000000` }, consent: { analytics_storage: 'granted' } })) }),
      }),
    );
    expect(res.status).toBe(202);
    const retries = async () => (await first.services.runtime.db.all<{ n: number }>('SELECT COUNT(*) AS n FROM delivery_retry'))[0]!.n;
    await vi.waitFor(async () => expect(await retries()).toBe(3), { timeout: 20_000, interval: 50 });
    await first.services.close();

    // Second run: GA4 up; nothing is sent to the server, yet the thread starts and delivers the backlog.
    fake = await startGa4Fake({ apiSecret: SECRET });
    app = appOn(dir, fake.url);
    await app.services.ready;
    const clients = () => fake!.collected().map((r) => r.body?.client_id);
    await vi.waitFor(() => expect(clients().sort()).toEqual(['1.1700000000', '2.1700000000', '3.1700000000']), { timeout: 20_000, interval: 50 });
    expect(fake.problems().flat()).toEqual([]);
  });
});
