/**
 * @module Alarm messages: the words a person reads in Slack or the log, and the structured notice a
 * webhook receives (Slack-compatible `{ text }` plus the alarm's fields).
 */
import type { AlarmKind } from './evaluate.js';

/** An alarm as stored and as `alarms.open()` returns it. */
export interface Alarm {
  id: number;
  key: string;
  kind: AlarmKind;
  subject: string;
  /** Since when the signal is off. */
  since: number;
  opened_at: number;
  resolved_at?: number;
  expected: number;
  seen: number;
  /** The window judged and what was measured. */
  window: number;
  detail: string;
}

/** What a webhook receives. */
export interface AlarmNotice {
  text: string;
  alarm: Alarm & { status: 'firing' | 'resolved' };
}

/** `2026-11-23 14:05 UTC` */
export function utc(t: number): string {
  return `${new Date(t).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `2h 5m`, `45m`, `3d 2h` */
export function span(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return m % 60 === 0 ? `${h}h` : `${h}h ${m % 60}m`;
  return h % 24 === 0 ? `${h / 24}d` : `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Slack's mrkdwn control characters in text that came from the wire (event names). */
const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function what(a: Alarm): string {
  const name = `\`${escape(a.subject)}\``;
  switch (a.kind) {
    case 'event_stopped':
      return `${name} stopped arriving: none since ${utc(a.since)} (${span(a.opened_at - a.since)}); expected ≈ ${a.expected} in ${span(a.window)} (${a.detail}), seen ${a.seen}`;
    case 'volume_drop':
      return `${name} dropped: ${a.seen} in the last ${span(a.window)} since ${utc(a.since)}, expected ≈ ${a.expected} (${a.detail})`;
    case 'volume_spike':
      return `${name} spiked: ${a.seen} in the last ${span(a.window)} since ${utc(a.since)}, expected ≈ ${a.expected} (${a.detail})`;
    case 'plan_violations':
      return `tracking-plan violations jumped: ${a.seen}${a.detail.replace(/ \(expected.*$/, '')} in the last ${span(a.window)} since ${utc(a.since)}, expected ≈ ${a.expected}%`;
    case 'consent_denied':
      return `consent-denied share jumped (a broken consent banner?): ${a.seen}${a.detail.replace(/ \(expected.*$/, '')} in the last ${span(a.window)} since ${utc(a.since)}, expected ≈ ${a.expected}%`;
    case 'match_quality':
      return `Meta match quality dropped: ${a.seen}${a.detail.replace(/ \(expected.*$/, '')} in the last ${span(a.window)} since ${utc(a.since)}, expected ≈ ${a.expected}%`;
    case 'destination_failing':
      return `destination ${name} failing: ${a.seen}${a.detail} in the last ${span(a.window)} since ${utc(a.since)} (alarm at ${a.expected}%)`;
  }
}

/** The words of an alarm that fired. */
export function firingText(a: Alarm): string {
  return `[tagrelay] ALARM ${a.kind}: ${what(a)}.`;
}

/** The words of an alarm that resolved. */
export function resolvedText(a: Alarm & { resolved_at: number }, now: { seen: number; expected: number }): string {
  const back =
    a.kind === 'event_stopped'
      ? `\`${escape(a.subject)}\` arriving again`
      : a.kind === 'destination_failing'
        ? `destination \`${escape(a.subject)}\` recovered (${now.seen}% failed)`
        : a.subject
          ? `${a.kind.replace('_', ' ')} of \`${escape(a.subject)}\` back to normal (${now.seen} in ${span(a.window)}, expected ≈ ${now.expected})`
          : `${a.kind.replace('_', ' ')} back to normal (${now.seen}%, expected ≈ ${now.expected}%)`;
  return `[tagrelay] RESOLVED ${a.kind}: ${back} at ${utc(a.resolved_at)}; open ${span(a.resolved_at - a.opened_at)} (fired ${utc(a.opened_at)}).`;
}

/** The webhook body of a transition. */
export function notice(a: Alarm, status: 'firing' | 'resolved', text: string): AlarmNotice {
  return { text, alarm: { ...a, status } };
}
