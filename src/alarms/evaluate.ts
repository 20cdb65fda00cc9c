/**
 * @module Alarm conditions: pure functions of windowed counts, their history and the config. Each
 * condition is `firing`, `ok` (recovered: resolves an open alarm) or `unknown` (too little data, or
 * between the fire and resolve thresholds: an open alarm stays open, a closed one stays closed).
 */
import type { AlarmsConfig } from './config.js';

/** The alarm kinds. */
export type AlarmKind = 'event_stopped' | 'volume_drop' | 'volume_spike' | 'plan_violations' | 'consent_denied' | 'match_quality' | 'destination_failing';

/** What one condition says now. */
export interface Condition {
  /** `kind:subject`: at most one open alarm per key. */
  key: string;
  kind: AlarmKind;
  /** The event name or destination id; `''` for store-wide shares. */
  subject: string;
  state: 'firing' | 'ok' | 'unknown';
  /** Since when the signal is off (the last event seen, or the window's start). */
  since: number;
  expected: number;
  seen: number;
  /** The window judged, ms. */
  window: number;
  /** Words for the message: what was measured and how many days of history. */
  detail: string;
}

/** Counts over a window (index 0) and the same window on earlier days (index d). */
export type Sums = readonly number[];

/** The data one evaluation reads. */
export interface AlarmInputs {
  now: number;
  /** Days of history usable for every window (days since the rollup's history starts, capped). */
  days: number;
  /** Event name → last received. */
  lastSeen: ReadonlyMap<string, number>;
  /** Per event name over `event_stopped.silent_for` ending now. */
  stopped: (name: string) => Sums;
  /** Per event name over `volume.window`. */
  volume: (name: string) => Sums;
  /** Each share's numerator and denominator over its window (match quality: of the events Meta may receive). */
  shares: Record<'plan_violations' | 'consent_denied' | 'match_quality', { num: Sums; den: Sums }>;
  /** Per destination id over `destination_failing.window`. */
  destinations: ReadonlyMap<string, { delivered: number; retrying: number; dead: number }>;
}

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const variance = (xs: readonly number[]) => {
  const m = mean(xs);
  return xs.length < 2 ? 0 : xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
};
const round = (n: number) => Math.round(n * 10) / 10;
const pct = (n: number) => `${Math.round(n * 1000) / 10}%`;

/** Which event names are watched. */
export function watched(name: string, config: AlarmsConfig): boolean {
  if (config.ignore_events.includes(name)) return false;
  return config.events.length === 0 || config.events.includes(name);
}

/** Every condition the config enables, judged on `inputs`. */
export function evaluate(inputs: AlarmInputs, config: AlarmsConfig): Condition[] {
  const out: Condition[] = [];
  const { now, days } = inputs;
  const history = (s: Sums) => s.slice(1, days + 1);
  const stoppedNames = new Set<string>();
  const histWords = `same hours, last ${days} day${days === 1 ? '' : 's'}`;
  for (const [name, last] of inputs.lastSeen) {
    if (!watched(name, config)) continue;
    if (config.event_stopped.enabled) {
      const { silent_for, min_expected } = config.event_stopped;
      const expected = days >= config.min_history_days ? mean(history(inputs.stopped(name))) : 0;
      const silent = now - last;
      let state: Condition['state'];
      if (silent < silent_for) state = 'ok';
      else if (silent > (config.history_days + 1) * 86_400_000) state = 'ok'; // retired: no history left to expect it
      else state = expected >= min_expected ? 'firing' : 'unknown';
      if (state === 'firing') stoppedNames.add(name);
      out.push({ key: `event_stopped:${name}`, kind: 'event_stopped', subject: name, state, since: last, expected: round(expected), seen: 0, window: silent_for, detail: histWords });
    }
    if (config.volume.enabled && days >= config.min_history_days) {
      const { window, drop, spike, min_expected, z } = config.volume;
      const sums = inputs.volume(name);
      const seen = sums[0] ?? 0;
      const past = history(sums);
      const expected = mean(past);
      const sigma = Math.sqrt(Math.max(expected, 1) + variance(past));
      const base = { subject: name, since: now - window, seen, window, detail: histWords };
      let dropState: Condition['state'] = 'unknown';
      if (expected >= min_expected && !stoppedNames.has(name)) {
        if (seen <= expected * (1 - drop) && (expected - seen) / sigma >= z) dropState = 'firing';
        else if (seen >= expected * (1 - drop / 2)) dropState = 'ok';
      }
      out.push({ ...base, key: `volume_drop:${name}`, kind: 'volume_drop', state: dropState, expected: round(expected) });
      const floor = Math.max(expected, min_expected);
      let spikeState: Condition['state'] = 'unknown';
      if (seen >= floor * spike && (seen - floor) / sigma >= z) spikeState = 'firing';
      else if (seen < floor * (1 + (spike - 1) / 2)) spikeState = 'ok';
      out.push({ ...base, key: `volume_spike:${name}`, kind: 'volume_spike', state: spikeState, expected: round(expected) });
    }
  }
  const shareWords = { plan_violations: 'flagged by the tracking plan', consent_denied: 'with analytics_storage denied', match_quality: 'Meta may receive with a match key (email, phone, fbc, fbp)' };
  for (const kind of ['plan_violations', 'consent_denied', 'match_quality'] as const) {
    const rule = config[kind];
    if (!rule.enabled || days < config.min_history_days) continue;
    const { num, den } = inputs.shares[kind];
    const total = den[0] ?? 0;
    const pastDen = history(den).reduce((a, b) => a + b, 0);
    const pastNum = history(num).reduce((a, b) => a + b, 0);
    const share = total > 0 ? (num[0] ?? 0) / total : 0;
    const base = pastDen > 0 ? pastNum / pastDen : 0;
    // Up is bad for violations and denials; down is bad for match quality.
    const change = kind === 'match_quality' ? base - share : share - base;
    // Sampling noise of a share of `total` events: a quiet hour's share wanders further.
    const se = Math.sqrt(Math.max(base * (1 - base), 0.0025) / Math.max(total, 1));
    let state: Condition['state'] = 'unknown';
    if (total >= rule.min_events && pastDen >= rule.min_events) {
      if (change >= rule.threshold && change / se >= rule.z) state = 'firing';
      else if (change < rule.threshold / 2) state = 'ok';
    }
    out.push({
      key: `${kind}:`,
      kind,
      subject: '',
      state,
      since: now - rule.window,
      expected: round(base * 100),
      seen: round(share * 100),
      window: rule.window,
      detail: `% of ${total} events ${shareWords[kind]} (expected from ${histWords})`,
    });
  }
  const dest = config.destination_failing;
  if (dest.enabled) {
    for (const [id, c] of inputs.destinations) {
      const total = c.delivered + c.retrying + c.dead;
      const errors = (c.retrying + c.dead) / Math.max(total, 1);
      const deads = c.dead / Math.max(total, 1);
      let state: Condition['state'] = 'unknown';
      if (total >= dest.min_outcomes) {
        if (errors >= dest.error_rate || deads >= dest.dead_letter_rate) state = 'firing';
        else if (errors < dest.error_rate / 2 && deads < dest.dead_letter_rate / 2) state = 'ok';
      }
      out.push({
        key: `destination_failing:${id}`,
        kind: 'destination_failing',
        subject: id,
        state,
        since: now - dest.window,
        expected: round(dest.error_rate * 100),
        seen: round(errors * 100),
        window: dest.window,
        detail: `% of ${total} delivery outcomes failed (${c.retrying} retrying, ${c.dead} dead-lettered = ${pct(deads)}, ${c.delivered} delivered)`,
      });
    }
  }
  return out;
}
