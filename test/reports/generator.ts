/**
 * A seeded generator of shop traffic for the report tests: visitors (with a consent mode, device and
 * country), their sessions (each with a channel from its landing event), funnel progress with noise
 * that must not count (steps out of order, repeats), micro-conversions that predict purchases,
 * repeat buyers, cookieless and anonymized visitors. It returns warehouse rows and its own model of
 * what happened; `truth.ts` derives every expected report number from that model in plain JS.
 */
import type { EventRow } from '../../src/destinations/sqlite.js';
import { rng } from '../helpers/rng.js';

export type Mode = 'send' | 'anonymize' | 'cookieless';

/** One generated event (the model's view). */
export interface GenEvent {
  event_id: string;
  name: string;
  time: number;
  value: number | null;
  kind: 'micro' | null;
  rule_id: string | null;
  /** Only the landing event of a session carries its campaign; later pages are `internal`. */
  channel: string;
  source: string | null;
  medium: string | null;
  campaign: string | null;
}

export interface GenSession {
  visitor: GenVisitor;
  session_id: string;
  /** The landing channel and utm values. */
  channel: string;
  source: string | null;
  medium: string | null;
  campaign: string | null;
  events: GenEvent[];
}

export interface GenVisitor {
  client_id: string;
  mode: Mode;
  device: string;
  country: string;
  sessions: GenSession[];
}

export interface Dataset {
  since: number;
  until: number;
  visitors: GenVisitor[];
  rows: EventRow[];
}

export const MICRO_RULES = [
  { id: 'pricing', name: 'view_pricing' },
  { id: 'deep_scroll', name: 'scroll_90' },
  { id: 'never_fired', name: 'chat_opened' },
] as const;

const CHANNELS = [
  { channel: 'paid', source: 'google', medium: 'cpc', campaign: 'winter_sale' },
  { channel: 'paid', source: 'google', medium: 'cpc', campaign: 'brand' },
  { channel: 'email', source: 'newsletter', medium: 'email', campaign: 'nov_news' },
  { channel: 'organic_search', source: 'google', medium: 'organic', campaign: null },
  { channel: 'direct', source: '(direct)', medium: '(none)', campaign: null },
  { channel: 'social', source: 'instagram', medium: 'social', campaign: 'influencer' },
];
const DEVICES = ['desktop', 'mobile', 'tablet'];
const COUNTRIES = ['DE', 'FR', 'US', 'NL'];
const STEPS = ['view_item', 'add_to_cart', 'begin_checkout', 'purchase'];

/** A whole number of quarters: sums stay exact in binary floating point (SQL sums in any order). */
const quarters = (r: () => number, lo: number, hi: number) => Math.round((lo + r() * (hi - lo)) * 4) / 4;

/**
 * Generate a data set. `since` is a Monday 00:00 UTC; events fall in [since, since + days); a few
 * sessions fall before `since` (outside the range: no report may count them).
 */
export function generate(opts: { seed: number; visitors: number; since?: number; days?: number }): Dataset {
  const r = rng(opts.seed);
  const since = opts.since ?? Date.UTC(2026, 10, 2); // a Monday
  const days = opts.days ?? 28;
  const until = since + days * 86_400_000;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const visitors: GenVisitor[] = [];
  const rows: EventRow[] = [];
  let seq = 0;
  for (let v = 0; v < opts.visitors; v++) {
    const roll = r();
    const mode: Mode = roll < 0.7 ? 'send' : roll < 0.88 ? 'anonymize' : 'cookieless';
    const visitor: GenVisitor = { client_id: `c${v}.${Math.floor(r() * 1e9)}`, mode, device: pick(DEVICES), country: pick(COUNTRIES), sessions: [] };
    visitors.push(visitor);
    const sessionCount = 1 + Math.floor(r() * r() * 5);
    const buyer = r() < 0.35;
    let sessionStart = since - 2 * 86_400_000 + Math.floor(r() * (days + 1) * 86_400_000);
    for (let s = 0; s < sessionCount; s++) {
      if (sessionStart >= until) break;
      const camp = pick(CHANNELS);
      const session: GenSession = { visitor, session_id: String(1_700_000_000 + v * 10 + s), ...camp, events: [] };
      visitor.sessions.push(session);
      let t = sessionStart;
      const add = (name: string, extra: Partial<GenEvent> = {}) => {
        t += 1000 + Math.floor(r() * 600_000);
        const landing = session.events.length === 0;
        session.events.push({
          event_id: `e${++seq}`,
          name,
          time: t,
          value: null,
          kind: null,
          rule_id: null,
          channel: landing ? camp.channel : 'internal',
          source: landing ? camp.source : null,
          medium: landing ? camp.medium : null,
          campaign: landing ? camp.campaign : null,
          ...extra,
        });
      };
      add('page_view');
      // Noise that an ordered funnel must ignore: a cart or checkout before any product view.
      if (r() < 0.15) add(r() < 0.5 ? 'add_to_cart' : 'begin_checkout', { value: quarters(r, 5, 50) });
      const micro = new Set<string>();
      if (r() < (buyer ? 0.6 : 0.2)) micro.add('pricing');
      if (r() < 0.3) micro.add('deep_scroll');
      let depth = 0;
      const p = buyer ? [0.9, 0.8, 0.8, 0.85] : [0.7, 0.4, 0.3, 0.1];
      while (depth < 4 && r() < p[depth]!) depth++;
      let cart = 0;
      for (let k = 0; k < depth; k++) {
        if (k === 1) cart = quarters(r, 10, 200);
        add(STEPS[k]!, { value: k === 0 ? null : cart });
        if (k === 0 && micro.has('pricing')) add('view_pricing', { kind: 'micro', rule_id: 'pricing' });
        // Repeats: a second view or cart add later must not move a step's time.
        if (r() < 0.2) add(STEPS[k]!, { value: k === 0 ? null : quarters(r, 1, 20) });
      }
      if (micro.has('pricing') && depth === 0) add('view_pricing', { kind: 'micro', rule_id: 'pricing' });
      if (micro.has('deep_scroll')) add('scroll_90', { kind: 'micro', rule_id: 'deep_scroll' });
      if (r() < 0.3) add('page_view');
      sessionStart = t + 3_600_000 + Math.floor(r() * 9 * 86_400_000);
    }
  }
  for (const visitor of visitors) {
    for (const session of visitor.sessions) {
      for (const e of session.events) {
        const full = visitor.mode === 'send';
        const ids = visitor.mode !== 'cookieless';
        rows.push({
          event_id: e.event_id,
          name: e.name,
          time: e.time,
          received_at: e.time + 50,
          // Anonymized rows keep pseudonymous ids (as the warehouse does): reports must still not count them.
          client_id: ids ? visitor.client_id : null,
          session_id: ids ? session.session_id : null,
          user_id: null,
          page_url: null,
          data: '{}',
          consent_mode: visitor.mode,
          device_type: full ? visitor.device : visitor.device,
          country: visitor.country,
          channel: e.channel,
          source: e.source,
          medium: e.medium,
          campaign: e.campaign,
          value: e.value,
          currency: e.value === null ? null : 'EUR',
          kind: e.kind,
          rule_id: e.rule_id,
        });
      }
    }
  }
  return { since, until, visitors, rows };
}
