import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clock, post, testApp } from '../helpers/runtime.js';
import type { TagrelayApp } from '../../src/app.js';

const apps: TagrelayApp[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.services.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('dedupe: the durable window is the store', () => {
  it('an id accepted before a restart is a duplicate after it (no second delivery)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-dedupe-'));
    dirs.push(dir);
    const file = join(dir, 'restart.db');
    const ev = { name: 'purchase', event_id: 'restart-1', consent: { analytics_storage: 'granted' } };
    const first = testApp({}, { file }).app;
    expect(await (await post(first, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    await first.services.close();
    const second = testApp({}, { file }).app;
    apps.push(second);
    expect(await (await post(second, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 1 });
    await second.services.worker.drain();
    expect(await second.services.runtime.db.all('SELECT event_id FROM events')).toEqual([{ event_id: 'restart-1' }]);
  });

  it('instances sharing a store agree on duplicates', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-dedupe-'));
    dirs.push(dir);
    const file = join(dir, 'shared.db');
    const c = clock();
    const a = testApp({ dedupe: { window: '1h' } }, { file, now: c }).app;
    const b = testApp({ dedupe: { window: '1h' } }, { file, now: c }).app;
    apps.push(a, b);
    await a.services.ready;
    await b.services.ready;
    const ev = { name: 'purchase', event_id: 'shared-1', consent: { analytics_storage: 'granted' } };
    expect(await (await post(a, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await post(b, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 1 });
    expect(await (await post(a, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 1 });
  });
});
