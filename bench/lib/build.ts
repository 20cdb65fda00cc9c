/**
 * @module Build tagrelay into a temp dir laid out like a package, so the dist runs: the same esbuild
 * bundle `npm start` runs (src/runtime/node/build.js), or, for comparison, tsc's one file per module.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, symlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startListening, tempDir, type Child } from './proc.js';

/** The repository root (bench/lib → ../..). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A compiled copy of tagrelay. */
export interface Build {
  root: string;
  /** `node <cli> serve --config …` */
  cli: string;
  ms: number;
  /** How dist/ was made. */
  kind: 'bundle' | 'tsc';
}

/**
 * `<tmp>/dist` from `node src/runtime/node/build.js --outdir <tmp>/dist` (what `npm run build` and a
 * stale `npm start` run), or with `kind: 'tsc'` from `tsc -p tsconfig.json --outDir <tmp>/dist`; plus
 * package.json (ESM), config/ and a node_modules symlink to the repo's, so the packages left out of the
 * bundle resolve exactly as in a packaged install.
 */
export function buildDist(kind: Build['kind'] = 'bundle'): Build {
  const root = tempDir('tagrelay-dist-');
  const started = performance.now();
  const out = join(root, 'dist');
  const args =
    kind === 'bundle'
      ? [join(REPO_ROOT, 'src/runtime/node/build.js'), '--outdir', out]
      : [join(REPO_ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json', '--outDir', out];
  execFileSync(process.execPath, args, { cwd: REPO_ROOT, stdio: 'inherit' });
  cpSync(join(REPO_ROOT, 'package.json'), join(root, 'package.json'));
  cpSync(join(REPO_ROOT, 'config'), join(root, 'config'), { recursive: true });
  symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules')), join(root, 'node_modules'), 'dir');
  return { root, cli: join(root, 'dist/runtime/node/cli.js'), ms: performance.now() - started, kind };
}

/** How to start tagrelay: the compiled dist, or the TypeScript source through tsx. */
export function tagrelayCommand(build: Build | undefined, nodeFlags: string[] = []): { cmd: string; args: string[]; label: string } {
  if (build) return { cmd: process.execPath, args: [...nodeFlags, build.cli], label: build.kind === 'bundle' ? 'dist (esbuild bundle, as npm start)' : 'dist (tsc)' };
  return { cmd: process.execPath, args: [...nodeFlags, '--import', 'tsx', join(REPO_ROOT, 'src/runtime/node/cli.ts')], label: 'tsx (src)' };
}

/**
 * Start tagrelay (dist or tsx) as a child process with the bench config; resolves once it listens.
 *
 * @example
 * const { child, url } = await startTagrelay(tagrelayCommand(build), writeBenchConfig(sink.url))
 */
export function startTagrelay(
  command: { cmd: string; args: string[] },
  cfg: { file: string; dataDir: string },
): Promise<{ child: Child; url: string }> {
  return startListening(command.cmd, [...command.args, 'serve', '--config', cfg.file], /tagrelay listening/, {
    env: { TAGRELAY_DATA_DIR: cfg.dataDir, TAGRELAY_LOG_LEVEL: 'info' },
  });
}
