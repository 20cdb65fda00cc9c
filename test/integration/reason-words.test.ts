/**
 * Every reason code a decision can carry is shown in words by explain — not only the consent engine's:
 * the privacy, identity, bot and destination-mapping codes that the end-to-end suites see as well.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeReason, isKnownReason } from '../../src/consent/explain.js';

const STAGES = ['privacy', 'identity', 'enrich', 'destinations'];
/** Codes written in source that are error strings (delivery_log.error), not decision reasons. */
const ERROR_PREFIXES = /^(ga4|meta)\.(http_|validation|split_budget)/;

/** Reason-code literals (`'privacy.x'`, `` `ga4.y:${…}` ``) in code lines of the stage folders. */
function literals(): string[] {
  const found = new Set<string>();
  for (const stage of STAGES) {
    const dir = new URL(`../../src/${stage}/`, import.meta.url).pathname;
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'reasons.ts' && !f.endsWith('config.ts'))) {
      const code = readFileSync(join(dir, file), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/|\/\*\*)/.test(line))
        .join('\n');
      for (const m of code.matchAll(/['`]((?:privacy|identity|bot|ga4|meta)\.[a-z0-9_]+)(?=['`:$])/g)) found.add(m[1]!);
    }
  }
  return [...found].filter((c) => !c.endsWith('_') && !ERROR_PREFIXES.test(c)).sort();
}

describe('reason codes of every stage in words', () => {
  const codes = literals();

  it('finds the codes of each stage', () => {
    for (const prefix of ['privacy.', 'identity.', 'bot.', 'ga4.', 'meta.']) expect(codes.some((c) => c.startsWith(prefix)), prefix).toBe(true);
  });

  it.each(codes)('%s', (code) => {
    expect(isKnownReason(code)).toBe(true);
    expect(describeReason(`${code}:some_param`)).not.toMatch(/^Unrecognised/);
  });

  it('arguments taken from the event are shown only as safe tokens', () => {
    const text = describeReason('privacy.param_removed:<img src=x onerror=alert(1)>');
    expect(text).not.toContain('<');
    expect(text).toContain('_img_src_x_onerror_alert_1__');
  });
});
