import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { spawnSync } from 'node:child_process';
import { testApp } from '../helpers/runtime.js';
import { buildSnippet } from '../../src/snippet/build.js';
import { SNIPPET_INTEGRITY, SNIPPET_JS, SNIPPET_VERSION } from '../../src/snippet/bundle.js';
import { snippetCacheControl } from '../../src/scripts/routes.js';

const sri = (text: string) => `sha384-${createHash('sha384').update(text, 'utf8').digest('base64')}`;

describe('the built snippet', () => {
  it('bundle.ts and dist/t.js are up to date with src/snippet/browser/ (run `npm run build:snippet`)', async () => {
    const built = await buildSnippet();
    expect(built.js).toBe(SNIPPET_JS);
    expect(readFileSync('src/snippet/dist/t.js', 'utf8')).toBe(built.js);
    expect(readFileSync('src/snippet/bundle.ts', 'utf8')).toBe(built.module);
  });

  it('carries the SRI hash of its own text', () => {
    expect(SNIPPET_INTEGRITY).toBe(sri(SNIPPET_JS));
    expect(SNIPPET_VERSION).toMatch(/^[0-9a-f]{12}$/);
  });

  it('is at most 2048 bytes gzipped', async () => {
    expect(gzipSync(SNIPPET_JS, { level: 9 }).length).toBeLessThanOrEqual(2048);
    const built = await buildSnippet();
    expect(built.gzipBytes).toBeLessThanOrEqual(2048);
    expect(built.gzipBytes).toBeGreaterThan(500);
  });

  it('is one IIFE with no imports', () => {
    expect(SNIPPET_JS).toMatch(/^"use strict";\(\(\)=>\{/);
    expect(SNIPPET_JS).not.toMatch(/\bimport\s*[({"']|\brequire\(/);
  });

  it('`npm run snippet:size` prints the gzipped size', async () => {
    const out = spawnSync(process.execPath, ['--import', 'tsx', 'test/tools/build-snippet.ts', '--size'], { encoding: 'utf8' });
    expect(out.status).toBe(0);
    const built = await buildSnippet();
    expect(out.stdout).toContain(`${built.gzipBytes} bytes gzipped`);
  });
});

describe('GET /t.js', () => {
  const { app } = testApp();
  afterAll(() => app.services.close());

  it('serves the snippet as JavaScript with its integrity hash and a short cache without ?v', async () => {
    const res = await app.request('/t.js');
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toBe(SNIPPET_JS);
    expect(res.headers.get('content-type')).toBe('application/javascript; charset=utf-8');
    expect(res.headers.get('x-tagrelay-integrity')).toBe(sri(body));
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('etag')).toBe(`"${SNIPPET_VERSION}"`);
  });

  it('is immutable for a year when ?v names the current build, short for any other v', async () => {
    expect((await app.request(`/t.js?v=${SNIPPET_VERSION}`)).headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await app.request('/t.js?v=000000000000')).headers.get('cache-control')).toBe('public, max-age=300');
    expect(snippetCacheControl(undefined)).toBe('public, max-age=300');
  });

  it('answers 304 to the current ETag', async () => {
    const res = await app.request('/t.js', { headers: { 'if-none-match': `"${SNIPPET_VERSION}"` } });
    expect(res.status).toBe(304);
    expect((await app.request('/t.js', { headers: { 'if-none-match': '"old"' } })).status).toBe(200);
  });
});
