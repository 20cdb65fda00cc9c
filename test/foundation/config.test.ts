import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { configJsonSchema } from '../../src/config/json-schema.js';
import { parseDuration } from '../../src/config/duration.js';

function issuesOf(text: string, env: Record<string, string> = {}) {
  try {
    parseConfig(text, 'test.yaml', env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).issues;
  }
  throw new Error('expected a ConfigError');
}

describe('config errors name the path, the line and what was expected', () => {
  it('a wrong endpoint in the second destination', () => {
    const text = ['destinations:', '  - id: lake', '    type: sqlite', '  - id: copy', '    type: sqlite', '    endpoint: not a url', ''].join('\n');
    const [issue] = issuesOf(text);
    expect(issue!.path).toBe('destinations[1].endpoint');
    expect(issue!.line).toBe(6);
    expect(issue!.message).toMatch(/url/i);
  });

  it('an unknown destination type', () => {
    const [issue] = issuesOf('destinations:\n  - id: x\n    type: carrier_pigeon\n');
    expect(issue!.path).toBe('destinations[0].type');
    expect(issue!.line).toBe(3);
  });

  it('an unknown top-level key', () => {
    const [issue] = issuesOf('servr:\n  port: 1\n');
    expect(issue!.message).toContain("'servr'");
  });

  it('a wrong type and a bad duration', () => {
    const issues = issuesOf('limits:\n  max_events: many\ndedupe:\n  window: forever\n');
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ['limits.max_events', 2],
      ['dedupe.window', 4],
    ]);
    expect(issues[1]!.message).toContain('duration');
  });

  it('duplicate destination ids', () => {
    const [issue] = issuesOf('destinations:\n  - {id: a, type: sqlite}\n  - {id: a, type: sqlite}\n');
    expect(issue!.path).toBe('destinations[1].id');
    expect(issue!.message).toContain('duplicate');
  });

  it('YAML syntax errors carry the line', () => {
    const [issue] = issuesOf('server:\n  port: [1, 2\n');
    expect(issue!.line).toBeGreaterThanOrEqual(2);
  });

  it('the message lists file:line:col path', () => {
    expect(() => parseConfig('limits:\n  max_events: -1\n', 'conf/x.yaml', {})).toThrow(/conf\/x\.yaml:2:\d+ limits\.max_events/);
  });
});

describe('${ENV} references', () => {
  it('substitutes set variables and defaults', () => {
    const c = parseConfig('server:\n  host: ${HOST_X}\n  data_dir: ${DIR_X:-/var/tr}\n', 'f', { HOST_X: '127.0.0.1' });
    expect(c.server.host).toBe('127.0.0.1');
    expect(c.server.data_dir).toBe('/var/tr');
  });

  it('an unset variable is an error naming the variable and the path, never a value', () => {
    const [issue] = issuesOf('consent:\n  receipts:\n    signing_key: ${TR_KEY_UNSET}\n');
    expect(issue!.path).toBe('consent.receipts.signing_key');
    expect(issue!.message).toBe('environment variable TR_KEY_UNSET is not set');
    expect(issue!.line).toBe(3);
  });
});

describe('defaults and files', () => {
  it('config/default.yaml is valid and runs the embedded warehouse', () => {
    const c = parseConfig(readFileSync('config/default.yaml', 'utf8'), 'config/default.yaml', {});
    expect(c.destinations.map((d) => d.type)).toContain('sqlite');
    expect(c.limits.max_body_bytes).toBe(256 * 1024);
    expect(c.dedupe.window).toBe(86_400_000);
  });

  it('config/schema.json is the one generated from the zod schema (run `npx tsx src/runtime/node/cli.ts schema`)', () => {
    expect(JSON.parse(readFileSync('config/schema.json', 'utf8'))).toEqual(configJsonSchema());
  });

  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['24h', 86_400_000],
    ['395d', 395 * 86_400_000],
    ['3y', 3 * 365 * 86_400_000],
    ['1.5h', 5_400_000],
    ['soon', undefined],
    ['10', undefined],
  ])('duration %s → %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});
