// Build dist/: the Node server as an esbuild bundle (`npm run build`, and once by bin.js when dist/ is
// missing or stale). Plain JavaScript, so it runs before anything is compiled.
//
// Why a bundle: start-up was module loading (~100 tagrelay modules plus zod, hono, yaml, tldts as
// separate ESM files: resolve, read, compile each). Two entries, the CLI and the delivery thread's
// module (a worker thread runs it in its own isolate), with code splitting: each isolate loads the code
// it shares with the other once, from one chunk, and what is loaded with import() on first use (jose,
// libphonenumber-js, the JSON Schema generator, admin tokens) stays in its own chunk, loaded then.
// Chunks sit next to the entries (dist/runtime/node/), so a chunk's import.meta.url has the same depth
// as the module it came from (config-file.ts finds the package root from it; delivery-thread.ts starts
// the worker thread on the file its own code is in).
//
// Left out of the bundle, loaded from node_modules: better-sqlite3 (a native addon), and pg, ioredis
// and undici (CommonJS, loaded with import() only by configs or paths that need them).
//
//   node src/runtime/node/build.js [--outdir DIR]     (default: dist/ next to src/)
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root (src/runtime/node → ../../..). */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The bundle's entry modules, relative to the package root. */
export const ENTRIES = ['src/runtime/node/cli.ts', 'src/runtime/node/delivery-thread.ts'];

/** Packages loaded from node_modules at run time instead of bundled. */
export const EXTERNAL = ['better-sqlite3', 'pg', 'ioredis', 'undici'];

/**
 * What the stamp file (dist/.built) holds: bin.js rebuilds a dist/ whose stamp differs (one built by an
 * older recipe, e.g. tsc's one file per module).
 */
export const STAMP = 'esbuild bundle 2\n';

/**
 * zod re-exports all of its 48 locales (`z.locales`, ~400 KB, a sixth of the bundle) from
 * `zod/v4/locales/index.js`; tagrelay's messages are English, and zod configures English by importing
 * `locales/en.js` directly. In the bundle that index exports English only, so the other 47 are neither
 * compiled nor evaluated at each start, in either isolate.
 */
const englishOnlyZod = {
  name: 'zod-english-only',
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: join(args.importer, '../../locales/index.js'), namespace: 'zod-locales' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(join(args.path, '../en.js'))};\n`,
      resolveDir: join(args.path, '..'),
      loader: 'js',
    }));
  },
};

/** The esbuild options for a bundle into `outdir`. */
export function bundleOptions(root, outdir) {
  return {
    absWorkingDir: root,
    entryPoints: ENTRIES,
    outbase: 'src',
    outdir,
    entryNames: '[dir]/[name]',
    chunkNames: 'runtime/node/chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    plugins: [englishOnlyZod],
    // CommonJS packages in the bundle (yaml) call require() for Node built-ins: give ESM chunks one.
    banner: { js: "import { createRequire as __tagrelayRequire } from 'node:module'; const require = __tagrelayRequire(import.meta.url);" },
    // Names stay readable in stack traces and profiles: whitespace and identifiers are not minified
    // (minifying measured within the noise of start-up on this machine).
    legalComments: 'none',
    logLevel: 'warning',
  };
}

/**
 * Bundle into a temporary directory next to `outdir`, then put it in place of `outdir` with its stamp,
 * so a concurrent start never runs a half-written dist/. Throws when esbuild is missing or fails.
 *
 * @example
 * await buildDist({ outdir: 'dist' })
 */
export async function buildDist({ root = ROOT, outdir = join(root, 'dist') } = {}) {
  const esbuild = await import('esbuild');
  const started = performance.now();
  const tmp = `${resolve(outdir)}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await esbuild.build(bundleOptions(root, tmp));
    writeFileSync(join(tmp, '.built'), STAMP);
    rmSync(outdir, { recursive: true, force: true });
    renameSync(tmp, outdir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { outdir, ms: performance.now() - started };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const at = process.argv.indexOf('--outdir');
  const outdir = at > 0 ? resolve(process.argv[at + 1] ?? 'dist') : undefined;
  buildDist({ outdir }).then(
    (b) => console.error(`tagrelay: bundled ${ENTRIES.join(', ')} into ${b.outdir} in ${Math.round(b.ms)} ms`),
    (err) => {
      console.error(`tagrelay: build failed: ${err instanceof Error ? err.message : err}`);
      process.exit(1);
    },
  );
}
