/**
 * @module Explicit consent states from the event or batch context: `{ ad_storage: 'granted', … }`.
 */
import type { ConsentSignals } from '../../event.js';
import { PURPOSES, type Purpose } from '../purposes.js';
import { emptySignal, safeToken, type DecodedSignal } from './types.js';

/** Keys of {@link ConsentSignals} that carry encoded signals, decoded elsewhere. */
export const ENCODED_SIGNAL_KEYS = ['gcs', 'gcd', 'tcf', 'us_privacy', 'gpp', 'gpp_sid'] as const;

const PURPOSE_SET: ReadonlySet<string> = new Set(PURPOSES);
const ENCODED_SET: ReadonlySet<string> = new Set(ENCODED_SIGNAL_KEYS);

/**
 * Read purpose keys with `granted`/`denied` values (case-insensitive). Unknown keys are noted as
 * `consent.unknown_purpose:<key>`; other values as `consent.invalid_value:<purpose>` and ignored.
 *
 * @example
 * decodeExplicit({ ad_storage: 'granted', foo: 'granted' })
 * // → purposes.ad_storage = { value: 'granted', reason: 'consent.explicit_granted' },
 * //   notes = ['consent.unknown_purpose:foo']
 */
export function decodeExplicit(signals: ConsentSignals): DecodedSignal {
  const out = emptySignal();
  for (const [key, raw] of Object.entries(signals)) {
    if (ENCODED_SET.has(key) || raw === undefined) continue;
    if (!PURPOSE_SET.has(key)) {
      out.notes.push(`consent.unknown_purpose:${safeToken(key)}`);
      continue;
    }
    const value = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    if (value === 'granted' || value === 'denied') {
      out.purposes[key as Purpose] = { value, reason: `consent.explicit_${value}` };
    } else {
      out.notes.push(`consent.invalid_value:${key}`);
    }
  }
  return out;
}
