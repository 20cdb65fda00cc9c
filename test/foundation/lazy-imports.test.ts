/**
 * Start-up loads only what every request needs: packages that some configs or some requests need are
 * imported on first use (README, Performance). Checked on the real process, and on the source so a
 * new static import is caught where it is written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startProcess, type StartedProcess } from '../helpers/process.js';

/** Imported on first use: phone numbers, consent receipts and admin tokens, PostgreSQL, vendor requests. */
const ON_FIRST_USE = ['libphonenumber-js', 'jose', 'pg', 'undici'];
/** Not a runtime dependency at all any more: the TCF reader is our own (tests use it as the reference). */
const NOT_AT_RUNTIME = ['@iabtcf/core'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

/** `import … from 'pkg'` or `import 'pkg'` that is not `import type`. */
const staticImport = (pkg: string) => new RegExp(`^\\s*import\\s+(?!type\\b)(?:[^'"]*\\s+from\\s+)?['"]${pkg.replace('/', '\\/')}(?:/[^'"]*)?['"]`, 'm');

describe('start-up imports', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-lazy-'));
  const log = join(dir, 'modules.log');
  let server: StartedProcess | undefined;
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the real server answers its first 202 without loading them', async () => {
    server = await startProcess(['serve'], {
      TAGRELAY_DATA_DIR: join(dir, 'data'),
      TAGRELAY_MODULE_LOG: log,
      NODE_OPTIONS: `--import=${resolve('test/foundation/module-log.mjs')}`,
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/v1/events`, {
      method: 'POST',
      body: JSON.stringify({ name: 'add_to_cart', params: { currency: 'EUR', value: 1 }, consent: { analytics_storage: 'granted' } }),
    });
    expect(res.status).toBe(202);
    const loaded = readFileSync(log, 'utf8').split('\n');
    // The log works: it saw the app and its web framework.
    expect(loaded.some((url) => url.endsWith('/src/app.ts'))).toBe(true);
    expect(loaded.some((url) => url.includes('/node_modules/hono/'))).toBe(true);
    for (const pkg of [...ON_FIRST_USE, ...NOT_AT_RUNTIME]) {
      expect(loaded.filter((url) => url.includes(`/node_modules/${pkg}/`)), pkg).toEqual([]);
    }
  });

  it('src/ imports them only with import() (or as types)', () => {
    const offenders = files('src').flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      return ON_FIRST_USE.filter((pkg) => staticImport(pkg).test(text)).map((pkg) => `${file}: ${pkg}`);
    });
    expect(offenders).toEqual([]);
    const anywhere = files('src').filter((file) => NOT_AT_RUNTIME.some((pkg) => readFileSync(file, 'utf8').includes(`'${pkg}`)));
    expect(anywhere).toEqual([]);
  });

  it('the source rule catches a static import and lets types and import() through', () => {
    expect(staticImport('jose').test("import { jwtVerify } from 'jose';")).toBe(true);
    expect(staticImport('pg').test("import pg from 'pg';")).toBe(true);
    expect(staticImport('libphonenumber-js').test("import { parse } from 'libphonenumber-js/min';")).toBe(true);
    expect(staticImport('jose').test("import type { JWK } from 'jose';")).toBe(false);
    expect(staticImport('jose').test("const { jwtVerify } = await import('jose');")).toBe(false);
  });
});
