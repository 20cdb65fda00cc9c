/** docs/configuration.md's reference is the one generated from the zod schema, like config/schema.json. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { configReference, referenceRows, REFERENCE_END, REFERENCE_START, withReference } from '../../src/config/reference.js';
import { configSchema } from '../../src/config/schema.js';

describe('docs/configuration.md', () => {
  const doc = readFileSync('docs/configuration.md', 'utf8');

  it('holds the reference generated from the zod schema (run `npm run docs:config`)', () => {
    const block = doc.slice(doc.indexOf(REFERENCE_START), doc.indexOf(REFERENCE_END) + REFERENCE_END.length);
    expect(block).toBe(configReference());
  });

  it('lists every top-level key and each destination type, with types, defaults and rules', () => {
    const rows = referenceRows();
    const keys = new Set(rows.map((r) => r.key));
    for (const top of Object.keys(configSchema.shape)) expect([...keys].some((k) => k === top || k.startsWith(`${top}.`) || k.startsWith(`${top}[`)), top).toBe(true);
    for (const type of ['sqlite', 'postgres', 'ga4', 'meta_capi', 'tiktok', 'webhook']) expect(keys.has(`destinations[type=${type}].id`), type).toBe(true);
    expect(rows.find((r) => r.key === 'metrics.public')).toEqual({ key: 'metrics.public', type: 'boolean', default: 'false', rules: [] });
    expect(rows.find((r) => r.key === 'debug.session_ttl')).toMatchObject({ type: 'duration', default: '"30m"' });
    expect(rows.find((r) => r.key === 'server.port')).toMatchObject({ type: 'integer', default: '8080', rules: ['≥ 0', '≤ 65535'] });
    expect(rows.find((r) => r.key === 'destinations[type=ga4].measurement_id')?.rules).toContain('required');
  });

  it('replaces only the generated block and keeps the text around it', () => {
    const text = `# Configuration\n\nHand-written intro.\n\n${REFERENCE_START}\nstale\n${REFERENCE_END}\n\nAfter.\n`;
    const out = withReference(text, 'NEW');
    expect(out).toBe('# Configuration\n\nHand-written intro.\n\nNEW\n\nAfter.\n');
  });
});
