/**
 * `npm start` (src/runtime/node/bin.js) on a copy of the package: the first start bundles dist/ with
 * esbuild (both entries, the CLI and the delivery thread), later starts run it as it is, a change to
 * src/ or a dist/ from another recipe makes the next start bundle again, and without esbuild the source
 * runs through tsx. Each start serves for real: a 202 that is a committed record, delivered by the
 * delivery thread (the warehouse row) by the time SIGTERM's drain ends.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openStoreFile } from '../helpers/store-file.js';
import { STAMP } from '../../src/runtime/node/build.js';

const REPO = resolve('.');
const MODULES = realpathSync(join(REPO, 'node_modules'));

/** A copy of the package as a fresh clone has it after `npm ci`: sources, config, manifests, node_modules; no dist/. */
function copyPackage(dir: string, nodeModules: (target: string) => void = (t) => symlinkSync(MODULES, t, 'dir')): string {
  mkdirSync(dir, { recursive: true });
  for (const name of ['src', 'config', 'package.json', 'package-lock.json', 'tsconfig.json']) cpSync(join(REPO, name), join(dir, name), { recursive: true });
  nodeModules(join(dir, 'node_modules'));
  return dir;
}

interface Run {
  child: ChildProcess;
  port: number;
  stderr: () => string;
}

/** `node <root>/src/runtime/node/bin.js serve` on a free port; resolves once it logs that it listens. */
function start(root: string, dataDir: string): Promise<Run> {
  const child = spawn(process.execPath, [join(root, 'src/runtime/node/bin.js'), 'serve'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_DATA_DIR: dataDir, TAGRELAY_LOG_LEVEL: 'info', NODE_OPTIONS: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`did not start: ${err}`)), 60_000);
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        ok({ child, port: Number(m[1]), stderr: () => err });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`exited with ${code}: ${err}`));
    });
  });
}

/** One event in, SIGTERM, clean exit; the record and its warehouse row are in the store. */
async function serveOne(run: Run, dataDir: string, eventId: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${run.port}/v1/events`, {
    method: 'POST',
    body: JSON.stringify({ name: 'add_to_cart', event_id: eventId, params: { currency: 'EUR', value: 2 }, consent: { analytics_storage: 'granted' } }),
  });
  expect(res.status).toBe(202);
  const exited = new Promise<number | null>((ok) => run.child.once('exit', ok));
  run.child.kill('SIGTERM');
  expect(await exited, run.stderr()).toBe(0);
  const db = openStoreFile(join(dataDir, 'tagrelay.db'), { readonly: true });
  try {
    expect(db.prepare('SELECT event_id FROM records WHERE event_id = ?').all(eventId)).toEqual([{ event_id: eventId }]);
    // Written by the delivery thread, which in the bundle runs from its own entry's code.
    expect(db.prepare('SELECT name FROM events WHERE event_id = ?').all(eventId)).toEqual([{ name: 'add_to_cart' }]);
  } finally {
    db.close();
  }
}

const BUNDLING = /bundling src\/ into dist\/ with esbuild/;

describe('npm start (bin.js)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-bin-'));
  const pkg = join(dir, 'pkg');
  const data = join(dir, 'data');
  const runs: Run[] = [];
  beforeAll(() => {
    copyPackage(pkg);
  });
  afterAll(() => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('bundles dist/ on the first start: two entries and shared chunks, no module per source file; then serves', async () => {
    expect(existsSync(join(pkg, 'dist'))).toBe(false);
    const run = await start(pkg, data);
    runs.push(run);
    expect(run.stderr()).toMatch(BUNDLING);
    expect(readFileSync(join(pkg, 'dist/.built'), 'utf8')).toBe(STAMP);
    const files = readdirSync(join(pkg, 'dist'), { recursive: true, withFileTypes: false }) as string[];
    const js = files.filter((f) => f.endsWith('.js')).sort();
    expect(js).toContain('runtime/node/cli.js');
    expect(js).toContain('runtime/node/delivery-thread.js');
    expect(js.filter((f) => !/^runtime\/node\/(cli|delivery-thread|chunk-[A-Z0-9]+)\.js$/.test(f))).toEqual([]);
    // Shared code is split out (each isolate loads it once), and the CLI entry imports it.
    expect(js.filter((f) => f.includes('chunk-')).length).toBeGreaterThan(1);
    expect(existsSync(join(pkg, 'dist/app.js'))).toBe(false);
    await serveOne(run, data, 'bin-1');
  });

  it('what only some configs or requests need stays out of what a start loads: jose, libphonenumber-js, pg, ioredis, undici', () => {
    const at = join(pkg, 'dist/runtime/node');
    const read = (f: string) => readFileSync(join(at, f), 'utf8');
    /** The files loaded by static imports from `entry` (import() excluded), and the packages it imports by name. */
    const closure = (entry: string) => {
      const files = new Set<string>();
      const packages = new Set<string>();
      const visit = (f: string) => {
        if (files.has(f)) return;
        files.add(f);
        for (const m of read(f).matchAll(/^(?:import|export)\s[^;]*?["']([^"']+)["'];?$/gms)) {
          const spec = m[1]!;
          if (spec.startsWith('./')) visit(spec.slice(2));
          else if (!spec.startsWith('node:')) packages.add(spec);
        }
      };
      visit(entry);
      return { files, packages };
    };
    const section = (pkgName: string) => new RegExp(`^// \\S*node_modules/${pkgName}/`, 'm');
    for (const entry of ['cli.js', 'delivery-thread.js']) {
      const { files, packages } = closure(entry);
      expect(files.size, entry).toBeGreaterThan(1);
      expect([...packages].filter((p) => ['pg', 'ioredis', 'undici'].includes(p)), entry).toEqual([]);
      for (const lazy of ['jose', 'libphonenumber-js']) {
        expect([...files].filter((f) => section(lazy).test(read(f))), `${entry}: ${lazy}`).toEqual([]);
      }
    }
    // They are in the bundle, in chunks loaded with import() on first use.
    const all = readdirSync(at).filter((f) => f.endsWith('.js'));
    for (const lazy of ['jose', 'libphonenumber-js']) expect(all.some((f) => section(lazy).test(read(f))), lazy).toBe(true);
    expect(section('hono').test([...closure('cli.js').files].map(read).join('\n'))).toBe(true);
  });

  it("the bundle carries zod's English messages only, and a bad config still reads in English", async () => {
    const code = (readdirSync(join(pkg, 'dist/runtime/node')) as string[]).map((f) => readFileSync(join(pkg, 'dist/runtime/node', f), 'utf8')).join('\n');
    expect(code).toContain('zod/v4/locales/en.js');
    expect(code).not.toMatch(/zod\/v4\/locales\/(?!en\.js|index\.js)[a-zA-Z-]+\.js/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'destinations:\n  - id: lake\n    type: sqlite\n    endpoint: nope\n');
    const child = spawn(process.execPath, [join(pkg, 'dist/runtime/node/cli.js'), 'check', '--config', bad], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    expect(await new Promise((ok) => child.once('exit', ok))).toBe(2);
    expect(out).toMatch(/bad\.yaml:4:\d+ destinations\[0\]\.endpoint: Invalid URL/);
  });

  it('a later start runs dist/ as it is', async () => {
    const before = readdirSync(join(pkg, 'dist/runtime/node')).sort();
    const run = await start(pkg, data);
    runs.push(run);
    expect(run.stderr()).not.toMatch(BUNDLING);
    expect(readdirSync(join(pkg, 'dist/runtime/node')).sort()).toEqual(before);
    await serveOne(run, data, 'bin-2');
  });

  it('bundles again after a source file changes, and when dist/ was made by another recipe (tsc)', async () => {
    const future = new Date(Date.now() + 60_000);
    utimesSync(join(pkg, 'src/app.ts'), future, future);
    const run = await start(pkg, data);
    runs.push(run);
    expect(run.stderr()).toMatch(BUNDLING);
    await serveOne(run, data, 'bin-3');

    // A dist/ compiled by the former recipe: its stamp is empty.
    writeFileSync(join(pkg, 'dist/.built'), '');
    const again = await start(pkg, data);
    runs.push(again);
    expect(again.stderr()).toMatch(BUNDLING);
    expect(readFileSync(join(pkg, 'dist/.built'), 'utf8')).toBe(STAMP);
    await serveOne(again, data, 'bin-4');
  });
});

describe('npm start without esbuild', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-bin-tsx-'));
  const data = join(dir, 'data');
  let run: Run | undefined;
  afterAll(() => {
    if (run && run.child.exitCode === null) run.child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs the TypeScript source through tsx, and serves', async () => {
    // node_modules without a top-level esbuild: every other package links to the real one; tsx keeps
    // its own esbuild (nested), as an install where esbuild is only tsx's dependency would have it.
    const pkg = copyPackage(join(dir, 'pkg'), (target) => {
      mkdirSync(target);
      for (const name of readdirSync(MODULES)) {
        if (name === 'esbuild' || name === 'tsx' || name === '.bin') continue;
        symlinkSync(join(MODULES, name), join(target, name));
      }
      cpSync(join(MODULES, 'tsx'), join(target, 'tsx'), { recursive: true });
      mkdirSync(join(target, 'tsx/node_modules'), { recursive: true });
      symlinkSync(join(MODULES, 'esbuild'), join(target, 'tsx/node_modules/esbuild'));
    });
    run = await start(pkg, data);
    expect(run.stderr()).toMatch(/could not build dist\/ .*running the TypeScript source through tsx/);
    expect(existsSync(join(pkg, 'dist/runtime/node/cli.js'))).toBe(false);
    await serveOne(run, data, 'tsx-1');
  });
});
