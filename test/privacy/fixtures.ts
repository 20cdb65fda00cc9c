/**
 * @module Test helpers for the privacy suites: a node:crypto Hasher and an event builder.
 */
import { HASHING_RULES } from '../../src/destinations/index.js';
import { ga4 } from '../../src/destinations/ga4.js';
import { metaCapi } from '../../src/destinations/meta-capi.js';
import { sqlite } from '../../src/destinations/sqlite.js';
import { tiktok } from '../../src/destinations/tiktok.js';
import { minimize, type MinimizeOptions } from '../../src/privacy/minimize.js';
import { prepareIdentity } from '../../src/privacy/identity.js';
import type { PrivacyConfig } from '../../src/privacy/config.js';
import { createHash, createHmac } from 'node:crypto';
import type { Event } from '../../src/event.js';
import type { Hasher } from '../../src/ports.js';

/** The Hasher port implemented the way the Node runtime will. */
export const nodeHasher: Hasher = {
  async sha256Hex(input) {
    return createHash('sha256').update(input, 'utf8').digest('hex');
  },
  async hmacSha256Hex(key, input) {
    return createHmac('sha256', key).update(input, 'utf8').digest('hex');
  },
};

/** SHA-256 hex, synchronously, for expected values computed independently of the code under test. */
export function sha256(input: string): string {
  return createHash('sha256').update(input, 'utf8').digest('hex');
}

/** HMAC-SHA-256 hex, synchronously. */
export function hmac(key: string, input: string): string {
  return createHmac('sha256', key).update(input, 'utf8').digest('hex');
}

/** A canonical event full of personal data; override any section. */
export function piiEvent(overrides: Partial<Event> = {}): Event {
  return {
    event_id: 'evt-1',
    name: 'purchase',
    time: 1_700_000_000_000,
    received_at: 1_700_000_000_100,
    params: {
      value: 42.5,
      currency: 'EUR',
      transaction_id: 'T-1001',
      page_location: 'https://shop.example/checkout?email=jane.doe%40example.com&step=2',
      contact: 'jane.doe@example.com',
      callback_phone: '+49 30 1234 5678',
      first_name: 'Jane',
    },
    items: [{ item_id: 'SKU-1', item_name: 'Shoes', price: 42.5, quantity: 1, note: 'gift for jane.doe@example.com' }],
    user_properties: { plan: 'pro', owner_email: 'jane.doe@example.com' },
    user: {
      user_id: 'u-123',
      email: ' Jane.Doe@Example.com ',
      phone: '(650) 555-1212',
      first_name: 'Jane',
      last_name: 'Doe-Smith',
      city: 'New York',
      region: 'New York',
      postal_code: '10001-1234',
      country: 'US',
      date_of_birth: '1985-07-04',
      gender: 'Female',
      external_id: 'crm-77',
    },
    page: {
      url: 'https://shop.example/account/jane.doe@example.com/orders?phone=%2B16505551212&first_name=Jane&gclid=abc123&q=boots#/confirm?email=jane.doe@example.com',
      referrer: 'https://mail.example/inbox?token=s3cr3t&last_name=Doe',
      title: 'Order confirmation for jane.doe@example.com',
    },
    client: {
      client_id: '1234567890.1700000000',
      session_id: '1700000000',
      fbp: 'fb.1.1596403881668.1116446470',
      fbc: 'fb.1.1554763741205.AbCdEf',
      session_start: true,
    },
    consent: {},
    request: {
      source: 'native',
      ip: '203.0.113.77',
      user_agent:
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.109 Safari/537.36',
      headers: {
        'x-forwarded-for': '203.0.113.77',
        cookie: '_ga=GA1.1.1234567890.1700000000',
        'accept-language': 'de-DE',
      },
      cookies: { _ga: 'GA1.1.1234567890.1700000000' },
    },
    device: { browser: 'Chrome', browser_version: '120.0.6099.109', os: 'Windows', os_version: '10', cpu: 'amd64' },
    geo: { country: 'US', region: 'NY', city: 'New York' },
    campaign: { source: 'newsletter', medium: 'email', gclid: 'abc123' },
    ...overrides,
  };
}

/** The privacy rules of a destination kind per short name: the hashing rule and vendor cookies it gets. */
export const FLAVORS = { meta: metaCapi.privacy, google: ga4.privacy, warehouse: sqlite.privacy, tiktok: tiktok.privacy } as const;
/** A key of {@link FLAVORS}. */
export type MinimizeFlavor = keyof typeof FLAVORS;

/** Options of {@link minimizeClear}: minimize's (the destination's rules named by `flavor`), plus what hashing at accept needs. */
export type ClearMinimizeOptions = Omit<MinimizeOptions, 'prepared' | 'hashing' | 'vendorIds'> & { flavor: MinimizeFlavor; global: PrivacyConfig; hasher: Hasher; now?: number };

/**
 * Minimize an event that still carries clear user data, as the event path does it: hash once at
 * accept (`prepareIdentity`), then the per-destination copy (`minimize`).
 */
export async function minimizeClear(event: Event, opts: ClearMinimizeOptions): Promise<{ event: Event; reasons: string[] }> {
  const { global, hasher, now, flavor, ...rest } = opts;
  const prepared = await prepareIdentity(event, { global, hasher, now, rules: HASHING_RULES });
  const { hashing, vendorIds } = FLAVORS[flavor];
  return minimize(event, { ...rest, hashing, vendorIds, prepared });
}
