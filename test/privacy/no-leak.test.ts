import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Event } from '../../src/event.js';
import type { LogFields, Logger } from '../../src/ports.js';
import { destinationPrivacySchema, privacyConfigSchema } from '../../src/privacy/config.js';
import type { SendAction } from '../../src/destinations/types.js';
import { minimizeClear, nodeHasher, piiEvent, type MinimizeFlavor } from './fixtures.js';

const FLAVORS: MinimizeFlavor[] = ['meta', 'google', 'warehouse', 'tiktok'];
const MODES: SendAction[] = ['send', 'anonymize', 'cookieless'];
const global = privacyConfigSchema.parse({ pseudonymization: { salt: 'no-leak-salt-0123456789', salt_id: 'nl' } });

/** A logger that keeps every line, to check what a pipeline logging the reasons would write. */
function capturingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (msg: string, fields?: LogFields) => void lines.push(JSON.stringify({ msg, ...fields }));
  return { lines, debug: log, info: log, warn: log, error: log };
}

/** Everything a destination or a log line could see of one minimized copy. */
async function exposure(event: Event, flavor: MinimizeFlavor, mode: SendAction): Promise<string> {
  const { event: out, reasons } = await minimizeClear(event, {
    flavor,
    action: mode,
    privacy: destinationPrivacySchema.parse({}),
    global,
    hasher: nodeHasher,
    defaultIp: 'truncate',
  });
  const logger = capturingLogger();
  logger.info('minimized', { event_id: out.event_id, reasons: reasons.join(',') });
  return `${JSON.stringify(out)}\n${logger.lines.join('\n')}`.toLowerCase();
}

function expectAbsent(text: string, secrets: string[], label: string): void {
  for (const s of secrets) {
    for (const form of new Set([s.toLowerCase(), encodeURIComponent(s).toLowerCase()])) {
      expect(text.includes(form), `${label}: leaked ${JSON.stringify(form)}`).toBe(false);
    }
  }
}

describe('no raw personal data leaves minimize', () => {
  const SECRETS = [
    'jane.doe@example.com',
    'Jane.Doe@Example.com',
    '(650) 555-1212',
    '6505551212',
    '16505551212',
    '+16505551212',
    '+49 30 1234 5678',
    '4930 12345678',
    'Jane',
    'Doe-Smith',
    'doesmith',
    '1985-07-04',
    '19850704',
    '10001-1234',
    'crm-77',
    's3cr3t',
    '_ga=GA1',
    '203.0.113.77',
  ];

  for (const flavor of FLAVORS) {
    for (const mode of MODES) {
      it(`${flavor}/${mode}`, async () => {
        const text = await exposure(piiEvent(), flavor, mode);
        expectAbsent(text, SECRETS, `${flavor}/${mode}`);
        // user_id only in full mode, and only in clear for vendors.
        expect(text.includes('u-123')).toBe(mode === 'send' && flavor !== 'warehouse');
        // The salt itself never appears.
        expect(text.includes('no-leak-salt')).toBe(false);
      });
    }
  }

  it('holds for generated emails and phone numbers placed anywhere a site might put them', async () => {
    const email = fc
      .tuple(fc.stringMatching(/^[a-z][a-z0-9._+-]{2,12}$/), fc.stringMatching(/^[a-z][a-z0-9-]{1,10}$/), fc.constantFrom('com', 'de', 'co.uk', 'io'))
      .map(([local, host, tld]) => `${local}@${host}.${tld}`);
    const phone = fc
      .tuple(fc.constantFrom('+1', '+44', '+49', '0033'), fc.array(fc.stringMatching(/^\d{3}$/), { minLength: 3, maxLength: 4 }), fc.constantFrom(' ', '-', '.'))
      .map(([cc, groups, sep]) => `${cc} ${groups.join(sep)}`);
    const paramName = fc.stringMatching(/^[a-z][a-z_]{2,12}$/);
    await fc.assert(
      fc.asyncProperty(email, phone, paramName, fc.constantFrom(...FLAVORS), fc.constantFrom(...MODES), async (em, ph, key, flavor, mode) => {
        const base = piiEvent();
        const event: Event = {
          ...base,
          params: { [key]: em, [`${key}_2`]: ph, ref: `https://shop.example/?${key}=${encodeURIComponent(em)}` },
          user_properties: { [key]: ph },
          items: [{ item_id: 'SKU', [key]: em }],
          user: { email: em, phone: ph, external_id: em },
          page: {
            url: `https://shop.example/p?${key}=${encodeURIComponent(em)}&x=1#${key}=${encodeURIComponent(ph)}`,
            referrer: `https://ref.example/${encodeURIComponent(em)}/x?${key}=${encodeURIComponent(ph)}`,
            title: `Hello ${em}`,
          },
        };
        const text = await exposure(event, flavor, mode);
        expectAbsent(text, [em, ph], `${flavor}/${mode}`);
      }),
      { numRuns: 150 },
    );
  });
});
