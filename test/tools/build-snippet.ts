/**
 * `npm run build:snippet`: write src/snippet/dist/t.js and src/snippet/bundle.ts, print the integrity and size.
 * `npm run snippet:size`: print the gzipped size only.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildSnippet } from '../../src/snippet/build.js';

const snippet = await buildSnippet();
if (process.argv.includes('--size')) {
  console.log(`t.js: ${snippet.js.length} bytes, ${snippet.gzipBytes} bytes gzipped (budget 2048)`);
} else {
  const dir = new URL('../../src/snippet/', import.meta.url);
  mkdirSync(new URL('dist/', dir), { recursive: true });
  writeFileSync(new URL('dist/t.js', dir), snippet.js);
  writeFileSync(new URL('bundle.ts', dir), snippet.module);
  console.log(`wrote src/snippet/dist/t.js (${snippet.js.length} bytes, ${snippet.gzipBytes} gzipped) and src/snippet/bundle.ts`);
  console.log(`version:   ${snippet.version}   (serve as /t.js?v=${snippet.version})`);
  console.log(`integrity: ${snippet.integrity}`);
}
if (snippet.gzipBytes > 2048) {
  console.error(`t.js is ${snippet.gzipBytes} bytes gzipped: over the 2048-byte budget`);
  process.exitCode = 1;
}
