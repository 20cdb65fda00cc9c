/**
 * @module Consent resolution (foundation version: explicit states over the region default).
 */
import { PURPOSES, type ConsentState, type Purpose, type PurposeDecision } from './purposes.js';
import type { ConsentSignals } from '../event.js';
import type { ConsentConfig } from './config.js';

/** Resolve consent for one event from its signals and the configured default policy. */
export function resolveConsent(
  input: { signals: ConsentSignals; headers: Record<string, string> },
  config: ConsentConfig,
): ConsentState {
  const policy = config.regions.default ?? 'opt_in';
  const purposes = {} as Record<Purpose, PurposeDecision>;
  for (const p of PURPOSES) {
    const explicit = input.signals[p];
    if (explicit === 'granted' || explicit === 'denied') {
      purposes[p] = { value: explicit, source: 'explicit', reason: `consent.explicit_${explicit}` };
    } else {
      const granted = policy === 'opt_out' || p === 'security_storage';
      purposes[p] = { value: granted ? 'granted' : 'denied', source: 'region_default', reason: `consent.region_default_${policy}` };
    }
  }
  return { purposes, region: 'unknown', policy, policy_version: config.policy_version, limited_data_use: false, notes: [] };
}
