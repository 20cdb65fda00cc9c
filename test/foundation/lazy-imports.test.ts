/**
 * Start-up loads only what every request needs: packages that some configs or some requests need are
 * imported on first use (README, Performance). Checked on the real process, and on the source so a
 * new static import is caught where it is written.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve, sep } from 'node:path';
import { startProcess, type StartedProcess } from '../helpers/process.js';

/**
 * Imported on first use: phone numbers, consent receipts and admin tokens, PostgreSQL, vendor requests.
 * Each maps to the one module allowed to import it statically (a list of the names tagrelay uses, so
 * bundlers keep only those), which is itself only ever loaded with import(); or to none.
 */
const ON_FIRST_USE: Record<string, string | undefined> = {
  'libphonenumber-js': 'src/privacy/phone-numbers.ts',
  jose: 'src/jose.ts',
  pg: undefined,
  undici: undefined,
};
/** Not a runtime dependency at all any more: the TCF reader is our own (tests use it as the reference). */
const NOT_AT_RUNTIME = ['@iabtcf/core'];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|js)$/.test(name) ? [path] : [];
  });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** `import … from 'pkg'`, `export … from 'pkg'` or `import 'pkg'` (a subpath too), but not `import type`. */
const staticImport = (pkg: string) =>
  new RegExp(`^\\s*(?:import|export)\\s+(?!type\\b)(?:[^;'"]*?\\sfrom\\s+)?['"]${escape(pkg)}(?:/[^'"]*)?['"]`, 'm');
/** A static import of a local module by its file name (`./phone-numbers.js`, `../jose.js`). */
const staticImportOf = (file: string) =>
  new RegExp(`^\\s*(?:import|export)\\s+(?!type\\b)(?:[^;'"]*?\\sfrom\\s+)?['"]\\.{1,2}/(?:[^'"]*/)?${escape(basename(file, '.ts'))}\\.js['"]`, 'm');

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
    for (const pkg of [...Object.keys(ON_FIRST_USE), ...NOT_AT_RUNTIME]) {
      expect(loaded.filter((url) => url.includes(`/node_modules/${pkg}/`)), pkg).toEqual([]);
    }
    for (const entry of Object.values(ON_FIRST_USE).filter((e) => e !== undefined)) {
      expect(loaded.filter((url) => url.endsWith(`/${entry}`)), entry).toEqual([]);
    }
  });

  it('src/ imports them only with import() (or as types), through their one entry module', () => {
    const sources = files('src').map((file) => ({ file: file.split(sep).join('/'), text: readFileSync(file, 'utf8') }));
    const offenders = sources.flatMap(({ file, text }) =>
      Object.entries(ON_FIRST_USE)
        .filter(([pkg, entry]) => file !== entry && staticImport(pkg).test(text))
        .map(([pkg]) => `${file} imports ${pkg}`),
    );
    for (const entry of Object.values(ON_FIRST_USE).filter((e) => e !== undefined)) {
      expect(sources.some(({ file }) => file === entry), entry).toBe(true);
      offenders.push(...sources.filter(({ text }) => staticImportOf(entry).test(text)).map(({ file }) => `${file} imports ${entry}`));
    }
    expect(offenders).toEqual([]);
    const anywhere = sources.filter(({ text }) => NOT_AT_RUNTIME.some((pkg) => text.includes(`'${pkg}`))).map(({ file }) => file);
    expect(anywhere).toEqual([]);
  });

  it('the source rules catch static imports and re-exports, and let types and import() through', () => {
    expect(staticImport('jose').test("import { jwtVerify } from 'jose';")).toBe(true);
    expect(staticImport('jose').test("export {\n  SignJWT,\n  jwtVerify,\n} from 'jose';")).toBe(true);
    expect(staticImport('pg').test("import pg from 'pg';")).toBe(true);
    expect(staticImport('libphonenumber-js').test("import { parse } from 'libphonenumber-js/min';")).toBe(true);
    expect(staticImport('jose').test("import type { JWK } from 'jose';")).toBe(false);
    expect(staticImport('jose').test("const { jwtVerify } = await import('jose');")).toBe(false);
    expect(staticImport('pg').test("import { x } from 'pgx';")).toBe(false);
    expect(staticImportOf('src/jose.ts').test("import { jwtVerify } from '../jose.js';")).toBe(true);
    expect(staticImportOf('src/privacy/phone-numbers.ts').test("import { parsePhoneNumberFromString } from './phone-numbers.js';")).toBe(true);
    expect(staticImportOf('src/jose.ts').test("const jose = () => import('../jose.js');")).toBe(false);
    expect(staticImportOf('src/jose.ts').test("import { x } from '../not-jose.js';")).toBe(false);
  });
});
