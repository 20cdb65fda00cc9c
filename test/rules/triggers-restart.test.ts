/**
 * Issue 14 §3: journey timers are durable. A real tagrelay process arms a cart-abandonment timer and is
 * stopped before it is due; a new process over the same store file fires it once (no fake clock across
 * processes: `after` is 3 s and every wait is bounded), the webhook receiver verifies the signature, and
 * a third start fires nothing again.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { openStoreFile } from '../helpers/store-file.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type StartedProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/deadline.js';
import { startWebhookReceiver, type WebhookReceiver } from '../fakes/webhook-receiver.js';

const SECRET = 'restart-test-webhook-secret-0123456789abcdef';
const CLIENT = '333.444';

let rx: WebhookReceiver;
let dir: string;
let running: StartedProcess | undefined;

beforeAll(async () => {
  rx = await startWebhookReceiver({ secret: SECRET });
  dir = mkdtempSync(join(tmpdir(), 'tagrelay-trig-restart-'));
  const config = {
    dev_mode: true,
    privacy: { pseudonymization: { salt: 'restart-salt-0123456789abcdef', salt_id: 'r1' } },
    delivery: { poll_interval: '50ms', backoff_base: '20ms', backoff_max: '200ms' },
    destinations: [
      { id: 'lake', type: 'sqlite' },
      { id: 'crm', type: 'webhook', url: `${rx.url}${rx.path}`, secret: SECRET, events: ['cart_abandoned'], batch: { max_wait_ms: 0 } },
    ],
    triggers: [
      {
        id: 'cart',
        start: 'add_to_cart',
        cancel: ['purchase'],
        after: '3s',
        emit: { name: 'cart_abandoned', params: { copy: ['items', 'value', 'currency'] } },
        requires: ['ad_personalization'],
        destinations: ['crm'],
      },
    ],
  };
  writeFileSync(join(dir, 'tagrelay.yaml'), stringify(config));
}, 30_000);

afterAll(async () => {
  await running?.stop();
  await rx.close();
  rmSync(dir, { recursive: true, force: true });
});

const start = async () => (running = await startProcess(['serve', '--config', join(dir, 'tagrelay.yaml')], { TAGRELAY_DATA_DIR: dir }));
const stop = async (p: StartedProcess) => {
  expect(await p.stop()).toBe(0);
  running = undefined;
};
/** Read the store file between runs (read-only, closed at once). */
function query<T>(sql: string): T[] {
  const db = openStoreFile(join(dir, 'tagrelay.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all() as T[];
  } finally {
    db.close();
  }
}
const send = (p: StartedProcess, event: Record<string, unknown>) =>
  fetch(`http://127.0.0.1:${p.port}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(event) });
const consent = { analytics_storage: 'granted', ad_personalization: 'granted' };

describe('journey timers across a real process restart', () => {
  it('armed before a restart, fired once after it, and never again', async () => {
    const first = await start();
    const res = await send(first, {
      name: 'add_to_cart',
      event_id: 'atc-restart-1',
      client: { client_id: CLIENT },
      params: { value: 42, currency: 'EUR', items: [{ item_id: 'SKU9', price: 42, quantity: 1 }] },
      consent,
    });
    expect(res.status).toBe(202);
    await stop(first);
    expect(query('SELECT trigger_id, state FROM trigger_timers')).toEqual([{ trigger_id: 'cart', state: 'armed' }]);
    expect(rx.accepted()).toEqual([]);

    const second = await start();
    const [hit] = await waitFor('cart_abandoned at the webhook', () => rx.accepted().length > 0 && rx.accepted(), { timeoutMs: 15_000 });
    expect(hit).toMatchObject({ name: 'cart_abandoned', value: 42, items: [{ item_id: 'SKU9' }] });
    expect(rx.received.every((r) => r.status === 200)).toBe(true);
    expect(second.stderr()).toContain('trigger fired');
    expect(second.stderr()).not.toContain(CLIENT);
    await stop(second);
    expect(query('SELECT state FROM trigger_timers')).toEqual([{ state: 'fired' }]);

    // A third run: once it has delivered a new event its poll has run, and nothing fired again.
    const third = await start();
    expect((await send(third, { name: 'page_view', event_id: 'pv-after', client: { client_id: CLIENT }, consent })).status).toBe(202);
    await waitFor('the page view in the lake', () => query<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE event_id = 'pv-after'")[0]!.n === 1, { timeoutMs: 15_000 });
    await stop(third);
    expect(query<{ n: number }>("SELECT COUNT(*) AS n FROM records WHERE json_extract(data, '$.name') = 'cart_abandoned'")).toEqual([{ n: 1 }]);
    expect(rx.accepted()).toHaveLength(1);
  }, 60_000);
});
