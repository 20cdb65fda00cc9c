/**
 * @module Per-destination consent gating (foundation version).
 */
import type { ConsentState, Purpose } from './purposes.js';

export type GateVerdict = { mode: 'full' | 'anonymize' | 'cookieless' | 'drop'; reasons: string[] };

/** Decide what a destination may receive under the resolved consent. */
export function gate(
  state: ConsentState,
  dest: { requires: readonly Purpose[]; whenDenied: 'drop' | 'anonymize' | 'cookieless'; tcfVendorId?: number },
): GateVerdict {
  const missing = dest.requires.filter((p) => state.purposes[p].value !== 'granted');
  if (missing.length === 0) return { mode: 'full', reasons: dest.requires.map((p) => state.purposes[p].reason) };
  return { mode: dest.whenDenied, reasons: missing.map((p) => `${state.purposes[p].reason}:${p}`) };
}
