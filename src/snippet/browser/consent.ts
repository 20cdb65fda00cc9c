/**
 * @module Consent the snippet sends with each event: explicit calls, then IAB TCF, then Google's consent state.
 */
import type { PageWindow, TcData } from './globals.js';

type Signals = Record<string, string>;

const explicit: Signals = {};
let tcString: string | undefined;
let listening = false;

const state = (v: unknown) => (v === true || v === 'granted' ? 'granted' : v === false || v === 'denied' ? 'denied' : undefined);

/** Merge `tagrelay('consent', …)` values; booleans become granted/denied, other strings pass through (e.g. `gpp`). */
export function setConsent(values: unknown): void {
  if (!values || typeof values !== 'object') return;
  for (const [k, v] of Object.entries(values)) {
    const s = state(v) ?? (typeof v === 'string' ? v : undefined);
    if (s) explicit[k] = s;
  }
}

/** Subscribe to the CMP once it exists (a CMP stub may load after the snippet). */
function listenTcf(w: PageWindow): void {
  if (listening || typeof w.__tcfapi !== 'function') return;
  listening = true;
  try {
    w.__tcfapi('addEventListener', 2, (data: TcData, ok: boolean) => {
      if (!ok || !data) return;
      // TCF v2: gdprApplies false means no TC string governs this visitor.
      if (data.gdprApplies === false) tcString = undefined;
      else if (data.tcString && data.eventStatus !== 'cmpuishown') tcString = data.tcString;
    });
  } catch {
    listening = false;
  }
}

/** Google Consent Mode state: gtag's resolved entries when present, else the `consent` commands in dataLayer. */
function google(w: PageWindow, out: Signals): void {
  for (const cmd of w.dataLayer || []) {
    const c = cmd as ArrayLike<unknown> | undefined;
    const values = c && c[0] === 'consent' && (c[1] === 'default' || c[1] === 'update') ? (c[2] as Record<string, unknown>) : undefined;
    // A region-scoped default applies only where the site said; the snippet cannot know the region.
    if (!values || typeof values !== 'object' || 'region' in values) continue;
    for (const k in values) {
      const s = state(values[k]);
      if (s) out[k] = s;
    }
  }
  const entries = w.google_tag_data?.ics?.entries;
  for (const k in entries || {}) {
    const e = entries![k];
    const s = state(e && (e.update ?? e.default));
    if (s) out[k] = s;
  }
}

/** The consent signals of an event created now. */
export function consentSnapshot(w: PageWindow): Signals {
  listenTcf(w);
  const out: Signals = {};
  google(w, out);
  Object.assign(out, explicit);
  if (tcString && !out.tcf) out.tcf = tcString;
  return out;
}
