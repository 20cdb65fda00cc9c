/**
 * @module The consent receipt key: from config, or in dev mode generated once and kept in the store.
 */
import { LRUCache } from 'lru-cache';
import type { Config } from '../config/schema.js';
import type { Runtime } from '../ports.js';
import { generateSigningKey, importSigningKey, verifyReceipt, type ReceiptKey, type ReceiptVerification } from './receipts.js';

/** Loads the key once; verifies receipt cookies with a small cache (ES256 verification is the costly part). */
export interface ReceiptKeyring {
  /** The key, or undefined when receipts are not configured (production without a key). */
  key(): Promise<ReceiptKey | undefined>;
  /** Verify a receipt token; results are cached per token until it expires. */
  verify(token: string): Promise<ReceiptVerification>;
}

const KV_KEY = 'consent_receipt_key';

/**
 * @example
 * const keyring = createReceiptKeyring(config, runtime)
 * const result = await keyring.verify(cookies.tr_consent)
 */
export function createReceiptKeyring(config: Config, runtime: Runtime): ReceiptKeyring {
  let loading: Promise<ReceiptKey | undefined> | undefined;
  const cache = new LRUCache<string, ReceiptVerification>({ max: 10_000 });

  async function load(): Promise<ReceiptKey | undefined> {
    const configured = config.consent.receipts.signing_key;
    if (configured) return importSigningKey(configured);
    if (!config.dev_mode) {
      runtime.log.warn('consent receipts disabled: set consent.receipts.signing_key (ES256 JWK or PEM)');
      return undefined;
    }
    const stored = await runtime.db.get<{ value: string }>('SELECT value FROM kv WHERE key = ?', [KV_KEY]);
    if (stored) return importSigningKey(stored.value);
    const { privateJwk } = await generateSigningKey();
    const text = JSON.stringify(privateJwk);
    await runtime.db.run('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [KV_KEY, text]);
    runtime.log.info('generated a development consent receipt key (dev_mode); configure consent.receipts.signing_key in production');
    const kept = await runtime.db.get<{ value: string }>('SELECT value FROM kv WHERE key = ?', [KV_KEY]);
    return importSigningKey(kept?.value ?? text);
  }

  return {
    key() {
      loading ??= load();
      return loading;
    },
    async verify(token) {
      const now = runtime.now();
      const hit = cache.get(token);
      if (hit && (!hit.ok || hit.expires_at > now)) return hit;
      const key = await this.key();
      const result: ReceiptVerification = key ? await verifyReceipt(token, key, now) : { ok: false, reason: 'consent.receipt_invalid' };
      cache.set(token, result);
      return result;
    },
  };
}
