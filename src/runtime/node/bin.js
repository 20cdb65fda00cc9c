#!/usr/bin/env node
// The `tagrelay` command and `npm start`: run the bundled CLI in dist/. When dist/ is missing or older
// than its inputs (a fresh clone, a pull, an npm install), bundle it once with esbuild first
// (./build.js, about a second), so a start never pays for a TypeScript transform nor for loading ~100
// separate modules. Where there is no src/ (the Docker image) dist/ runs as it is; where esbuild cannot
// be loaded (an install without it) the TypeScript source runs through tsx.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import module from 'node:module';
import { join } from 'node:path';
import { ROOT as root, STAMP, buildDist } from './build.js';

const src = join(root, 'src');
const dist = join(root, 'dist');
const cli = join(dist, 'runtime/node/cli.js');
/** Written after a complete build: its mtime is when dist/ was last made, its text by which recipe. */
const stamp = join(dist, '.built');

/**
 * The newest mtime of the build's inputs: every file under src/, tsconfig.json, package.json, and the
 * installed dependencies (npm rewrites node_modules/.package-lock.json on every install or update;
 * the bundle holds their code, so a new version of one means a new bundle).
 */
function newestInput() {
  let newest = 0;
  for (const file of ['tsconfig.json', 'package.json', 'node_modules/.package-lock.json', 'package-lock.json']) {
    try {
      newest = Math.max(newest, statSync(join(root, file)).mtimeMs);
    } catch {
      // not there: not an input
    }
  }
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

/** Whether dist/ can run as it is: bundled by this recipe from the current inputs, or the only code there is. */
function fresh() {
  if (!existsSync(src)) return existsSync(cli);
  try {
    return existsSync(cli) && readFileSync(stamp, 'utf8') === STAMP && statSync(stamp).mtimeMs >= newestInput();
  } catch {
    return false;
  }
}

/** Bundle dist/ (see ./build.js). Returns whether dist/ is ready. */
async function build() {
  console.error('tagrelay: bundling src/ into dist/ with esbuild (dist/ is missing or older than src/ or the installed packages; once, not on every start)');
  try {
    await buildDist({ root, outdir: dist });
    return true;
  } catch (err) {
    // Another start may have put a complete dist/ in place meanwhile (two starts racing to build).
    if (fresh()) return true;
    console.error(`tagrelay: could not build dist/ (${err instanceof Error ? err.message.split('\n')[0] : err}); running the TypeScript source through tsx`);
    return false;
  }
}

if (fresh() || (await build())) {
  // Node 22.1+ keeps V8's compiled code of the bundle on disk (in the OS temp dir, keyed by the file's
  // content and Node's version), so a later start skips most of the compile: ~60 ms of CPU per start
  // measured on Node 22 here. Node 20 has no such cache; the call is then absent.
  module.enableCompileCache?.();
  await import(cli);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
