#!/usr/bin/env node
// The `tagrelay` command and `npm start`: run the compiled CLI in dist/. When dist/ is missing or older
// than src/ (a fresh clone, a pull), compile it once with tsc first, so a start never pays for a
// TypeScript transform. Where there is no src/ (the Docker image) dist/ runs as it is; where tsc is not
// installed (a production install without devDependencies) the TypeScript source runs through tsx.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const cli = join(dist, 'runtime/node/cli.js');
/** Written after a complete build: its mtime is when dist/ was last made from src/. */
const stamp = join(dist, '.built');

/** The newest mtime of the inputs of the build (every file under src/, tsconfig.json). */
function newestInput() {
  let newest = statSync(join(root, 'tsconfig.json')).mtimeMs;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else newest = Math.max(newest, statSync(path).mtimeMs);
    }
  };
  walk(src);
  return newest;
}

/** Whether dist/ can run as it is: built from the current src/, or the only code there is. */
function fresh() {
  if (!existsSync(src)) return existsSync(cli);
  return existsSync(stamp) && existsSync(cli) && statSync(stamp).mtimeMs >= newestInput();
}

/** tsc, when the typescript package is installed. */
function tscPath() {
  try {
    return createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    return undefined;
  }
}

/**
 * Compile src/ into a temporary directory, then put it in place of dist/, so a concurrent start never
 * runs a half-written dist/. Type errors do not stop the build (`--noCheck`): `npm test` reports them.
 * Returns whether dist/ is ready.
 */
function build() {
  const tsc = tscPath();
  if (!tsc) return false;
  console.error('tagrelay: compiling src/ to dist/ with tsc (dist/ is missing or older than src/; once, not on every start)');
  const tmp = join(root, '.tmp', `dist-${process.pid}`);
  try {
    mkdirSync(join(root, '.tmp'), { recursive: true });
    const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json'), '--noCheck', '--outDir', tmp], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`tsc exited ${r.status}`);
    writeFileSync(join(tmp, '.built'), '');
    rmSync(dist, { recursive: true, force: true });
    renameSync(tmp, dist);
    return true;
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    console.error(`tagrelay: could not build dist/ (${err instanceof Error ? err.message : err}); running the TypeScript source through tsx`);
    return false;
  }
}

if (fresh() || build()) {
  await import(cli);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
