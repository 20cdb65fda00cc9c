import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStoreFile } from '../helpers/store-file.js';
import { startProcess } from '../helpers/process.js';

describe('the real server process over real HTTP', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-it-'));
  let server: Awaited<ReturnType<typeof startProcess>>;
  let base: string;

  beforeAll(async () => {
    server = await startProcess(['serve'], { TAGRELAY_DATA_DIR: dir });
    base = `http://127.0.0.1:${server.port}`;
  });
  afterAll(() => {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('is alive and ready', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
  });

  it('stores an accepted event in data/tagrelay.db, then shuts down cleanly on SIGTERM', async () => {
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({ name: 'add_to_cart', event_id: 'it-1', params: { currency: 'EUR', value: 19.9 }, consent: { analytics_storage: 'granted' } }),
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const exited = new Promise<number | null>((ok) => server.child.once('exit', (code) => ok(code)));
    server.child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(server.stderr()).toContain('tagrelay stopped');
    const file = join(dir, 'tagrelay.db');
    expect(existsSync(file)).toBe(true);
    const db = openStoreFile(file, { readonly: true });
    // The record (durable before the 202) and, delivered by the shutdown drain, the warehouse row.
    const record = db.prepare('SELECT event_id FROM records WHERE event_id = ?').get('it-1');
    const row = db.prepare('SELECT name, data FROM events WHERE event_id = ?').get('it-1') as { name: string; data: string };
    db.close();
    expect(record).toEqual({ event_id: 'it-1' });
    expect(row.name).toBe('add_to_cart');
    expect(JSON.parse(row.data).params).toEqual({ currency: 'EUR', value: 19.9 });
  });
});

describe('tagrelay check', () => {
  it('exits 2 with file:line path messages for a bad config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tagrelay-check-'));
    const file = join(dir, 'bad.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, 'destinations:\n  - id: lake\n    type: sqlite\n    endpoint: nope\n');
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', 'check', '--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((ok) => child.once('exit', ok));
    rmSync(dir, { recursive: true, force: true });
    expect(code).toBe(2);
    expect(out).toMatch(/bad\.yaml:4:\d+ destinations\[0\]\.endpoint/);
  });
});
