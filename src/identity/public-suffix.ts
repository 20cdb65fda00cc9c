/**
 * @module tldts's public-suffix `parse` (registrable domains for cookies and referrers), from the
 * package's ES module build.
 *
 * Measured here (Node 20.20): `import 'tldts'` takes the package's 200 KB CommonJS entry, which Node
 * reads three times at start (module-format detection, export lexing, compile) — 57–108 ms of CPU on
 * a busy 2-core machine, against 22–27 ms for `dist/index.esm.min.js`, the same code as one ES module.
 * test/identity/public-suffix.test.ts holds it to the package entry.
 */
export { parse } from 'tldts/dist/index.esm.min.js';
