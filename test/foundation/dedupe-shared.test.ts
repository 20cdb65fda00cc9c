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

describe('dedupe.store: sql — instances sharing a store agree on duplicates', () => {
  it('an id accepted by one instance is a duplicate at the other, until the window ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-dedupe-'));
    dirs.push(dir);
    const file = join(dir, 'shared.db');
    const c = clock();
    const a = testApp({ dedupe: { store: 'sql', window: '1h' } }, { file, now: c }).app;
    const b = testApp({ dedupe: { store: 'sql', window: '1h' } }, { file, now: c }).app;
    apps.push(a, b);
    await a.services.ready;
    await b.services.ready;
    const ev = { name: 'purchase', event_id: 'shared-1', consent: { analytics_storage: 'granted' } };
    expect(await (await post(a, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 0 });
    expect(await (await post(b, '/v1/events', ev)).json()).toMatchObject({ accepted: 1, duplicates: 1 });
    c.now += 61 * 60_000;
    expect(await (await post(b, '/v1/events', ev)).json()).toMatchObject({ duplicates: 0 });
  });

  it('with the default memory store, each instance dedupes on its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-dedupe-'));
    dirs.push(dir);
    const file = join(dir, 'shared.db');
    const a = testApp({}, { file }).app;
    const b = testApp({}, { file }).app;
    apps.push(a, b);
    const ev = { name: 'purchase', event_id: 'local-1', consent: { analytics_storage: 'granted' } };
    expect(await (await post(a, '/v1/events', ev)).json()).toMatchObject({ duplicates: 0 });
    expect(await (await post(b, '/v1/events', ev)).json()).toMatchObject({ duplicates: 0 });
    expect(await (await post(b, '/v1/events', ev)).json()).toMatchObject({ duplicates: 1 });
  });
});
