/**
 * @module The shape every consent signal decoder returns: per-purpose decisions plus notes.
 */
import type { ConsentValue, Purpose } from '../purposes.js';

/** One purpose's value as a single signal states it, with a machine-readable reason. */
export interface SignalDecision {
  value: ConsentValue;
  reason: string;
}

/** What a decoder read from one signal. Decoders never throw: bad input becomes a note. */
export interface DecodedSignal {
  purposes: Partial<Record<Purpose, SignalDecision>>;
  /** Reason codes for parts that were present but ignored or invalid. */
  notes: string[];
}

/** An empty result (signal absent or carried nothing usable). */
export function emptySignal(notes: string[] = []): DecodedSignal {
  return { purposes: {}, notes };
}

/** Purposes that US opt-out signals (GPC, USP, GPP) and Meta Limited Data Use are about: sale/sharing of personal data for ads. */
export const SALE_SHARE_PURPOSES = ['ad_user_data', 'ad_personalization'] as const satisfies readonly Purpose[];

/** Make attacker-supplied text safe to embed in a reason code (no PII, no log injection). */
export function safeToken(text: string, max = 40): string {
  const cleaned = text.toLowerCase().replace(/[^a-z0-9_.-]/g, '_');
  return cleaned.length > max ? `${cleaned.slice(0, max)}…` : cleaned;
}
