#!/usr/bin/env node
// Test tools that cannot live in package-lock.json: the `deno` npm package lists platform
// packages the registry here does not serve, which makes `npm ci` (npm 11) refuse the lockfile.
// It is installed on demand into .tmp/tools, pinned, and used only by the runtime conformance suite.
import { existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const DENO = '2.9.6';
const bin = `${root}.tmp/tools/node_modules/.bin/deno`;

if (!existsSync(bin)) {
  console.log(`installing deno@${DENO} into .tmp/tools for the runtime conformance suite`);
  execFileSync('npm', ['install', '--prefix', `${root}.tmp/tools`, '--no-save', '--no-audit', '--no-fund', `deno@${DENO}`], { stdio: 'inherit' });
}
