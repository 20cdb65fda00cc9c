/** Types for build.js (plain JavaScript: it runs before anything is compiled). */
import type { BuildOptions } from 'esbuild';

export declare const ROOT: string;
export declare const ENTRIES: string[];
export declare const EXTERNAL: string[];
export declare const STAMP: string;
export declare function bundleOptions(root: string, outdir: string): BuildOptions;
export declare function buildDist(opts?: { root?: string; outdir?: string }): Promise<{ outdir: string; ms: number }>;
