/**
 * @module Bundle the Worker the way wrangler does (esbuild, workerd conditions) and report its gzipped size.
 * Run: `node --import tsx src/runtime/worker/bundle-size.ts` (Cloudflare's limit: 3 MB free, 10 MB paid; ours: < 1 MB).
 */
import { build } from 'esbuild';
import { gzipSync } from 'node:zlib';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The worker entry point. */
export const WORKER_ENTRY = fileURLToPath(new URL('./main.ts', import.meta.url));

/** What went into the bundle, and how big it is. */
export interface WorkerBundle {
  bytes: number;
  gzipBytes: number;
  /** Input files by bundled bytes, largest first (paths relative to the working directory). */
  inputs: { path: string; bytes: number }[];
  /** Imports left unresolved in the output: must stay empty (no node:* or packages at run time). */
  externals: string[];
  code: string;
}

/**
 * @example
 * const { gzipBytes } = await bundleWorker()
 */
export async function bundleWorker(entry: string = WORKER_ENTRY): Promise<WorkerBundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    // wrangler's choices: browser platform and the workerd/worker export conditions, so no Node builtins resolve.
    platform: 'browser',
    conditions: ['workerd', 'worker', 'browser'],
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    loader: { '.yaml': 'text' },
    logLevel: 'silent',
  });
  const output = result.outputFiles[0]!;
  const meta = Object.values(result.metafile.outputs)[0]!;
  return {
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    inputs: Object.entries(meta.inputs)
      .map(([path, i]) => ({ path, bytes: i.bytesInOutput }))
      .sort((a, b) => b.bytes - a.bytes),
    externals: meta.imports.filter((i) => i.external).map((i) => i.path),
    code: output.text,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const b = await bundleWorker();
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`worker bundle: ${kb(b.bytes)} minified, ${kb(b.gzipBytes)} gzipped (target < 1024 KiB)`);
  const byPackage = new Map<string, number>();
  for (const i of b.inputs) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(i.path)?.[1] ?? 'tagrelay';
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + i.bytes);
  }
  for (const [pkg, bytes] of [...byPackage].sort((a, b) => b[1] - a[1])) console.log(`  ${pkg.padEnd(24)} ${kb(bytes)}`);
  if (b.externals.length > 0) console.log(`unresolved imports: ${b.externals.join(', ')}`);
}
