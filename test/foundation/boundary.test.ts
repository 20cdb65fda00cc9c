import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every .ts file under a directory. */
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const RUNTIME_SPECIFIC = /from\s+['"](node:[^'"]+|fs|path|crypto|http|https|os|net|child_process|better-sqlite3|undici|bun:[^'"]+|cloudflare:[^'"]+)['"]|\b(?:require\(|process\.|Buffer\.|Bun\.|Deno\.)/;

describe('runtime-neutral core', () => {
  const core = files('src').filter((f) => !f.startsWith(join('src', 'runtime')));

  it('has files to check', () => {
    expect(core.length).toBeGreaterThan(10);
  });

  it('imports no node:*, Bun or Workers API outside src/runtime/', () => {
    const offenders = core.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ file, line: i + 1, text: line }))
        .filter(({ text }) => !/^\s*(\*|\/\*|\/\/)/.test(text) && RUNTIME_SPECIFIC.test(text)),
    );
    expect(offenders).toEqual([]);
  });

  it('the rule itself catches a node: import', () => {
    expect(RUNTIME_SPECIFIC.test("import { createHash } from 'node:crypto';")).toBe(true);
    expect(RUNTIME_SPECIFIC.test("import Database from 'better-sqlite3';")).toBe(true);
    expect(RUNTIME_SPECIFIC.test("import { Hono } from 'hono';")).toBe(false);
  });
});
