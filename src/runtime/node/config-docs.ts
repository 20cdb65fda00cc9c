/**
 * @module `npm run docs:config`: rewrite the generated reference block of docs/configuration.md from
 * the zod schema (the text around it is kept).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { withReference } from '../../config/reference.js';

const file = process.argv[2] ?? 'docs/configuration.md';
const before = existsSync(file) ? readFileSync(file, 'utf8') : '# Configuration\n';
const after = withReference(before);
if (after !== before) writeFileSync(file, after);
console.log(after === before ? `${file}: up to date` : `wrote ${file}`);
