import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/process.js';

const dir = mkdtempSync(join(tmpdir(), 'tagrelay-explain-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run `tagrelay explain` as a child process; resolve with its exit code and output. */
const cli = (args: string[]) => runCli(['explain', ...args], { TAGRELAY_DATA_DIR: join(dir, 'data') });

const config = join(dir, 'tagrelay.yaml');
writeFileSync(
  config,
  [
    'consent:',
    '  geo_headers: [cf-ipcountry]',
    '  regions: { US: opt_out, EEA: opt_in, default: opt_in }',
    'destinations:',
    '  - { id: lake, type: sqlite }',
    "  - { id: meta, type: meta_capi, pixel_id: '123456789012345', access_token: tok, server_action_source: other }",
    '',
  ].join('\n'),
);
const eventFile = join(dir, 'event.json');
writeFileSync(eventFile, JSON.stringify({ name: 'purchase', event_id: 'x-1', params: { value: 10, currency: 'EUR' }, user: { email: 'someone@example.com' } }));

describe('tagrelay explain', () => {
  it('with Sec-GPC from a US visitor: the warehouse stores, Meta is dropped, each reason in words', async () => {
    const r = await cli(['--config', config, '--event', eventFile, '--header', 'Sec-GPC: 1', '--header', 'CF-IPCountry: US']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('event x-1 (purchase): accepted — region US, policy opt_out');
    expect(r.out).toMatch(/ad_user_data: denied \(gpc\) consent\.gpc_opt_out — .*Global Privacy Control/);
    expect(r.out).toMatch(/→ lake: send\n/);
    const meta = r.out.slice(r.out.indexOf('→ meta:'));
    expect(meta).toMatch(/^→ meta: (drop|anonymize|cookieless|skip)\n/);
    // Every reason line is "code — words".
    for (const line of meta.split('\n').slice(1).filter(Boolean)) expect(line).toMatch(/^\s+[a-z_]+\.[a-z0-9_.:]+ — \S/);
    expect(r.out).not.toContain('someone@example.com');
    // Offline: no store was created.
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('without GPC in the US: Meta sends; --json prints the explanations as data', async () => {
    const r = await cli(['--config', config, '--event', eventFile, '--header', 'CF-IPCountry: US', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.out) as { explanations: { destinations: { destination_id: string; action: string; reasons: { code: string; explanation: string }[] }[] }[] };
    const meta = body.explanations[0]!.destinations.find((d) => d.destination_id === 'meta')!;
    expect(meta.action).toBe('send');
    expect(meta.reasons.every((x) => typeof x.explanation === 'string' && x.explanation.length > 0)).toBe(true);
  });

  it('an EEA visitor with no consent signal: nothing is sent to Meta', async () => {
    const r = await cli(['--config', config, '--event', eventFile, '--header', 'CF-IPCountry: DE']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('policy opt_in');
    expect(r.out).not.toMatch(/→ meta: send/);
  });

  it('exits 2 without --event, with a bad header or an unreadable file', async () => {
    expect((await cli(['--config', config])).code).toBe(2);
    expect((await cli(['--config', config, '--event', eventFile, '--header', 'no colon here'])).code).toBe(2);
    const bad = await cli(['--config', config, '--event', join(dir, 'missing.json')]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('cannot be read');
  });
});
