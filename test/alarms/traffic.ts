/**
 * Seeded synthetic traffic for alarm tests: records (real EventRecord rows through insertRecordStatement),
 * tracking-plan counts (planCountStatements) and decision records (DELIVERY_LOG_SQL), per 5-minute slot,
 * with a diurnal curve, a weekend dip and Poisson noise. Faults change one signal over a time span.
 */
import type { SqlDb, SqlStatement } from '../../src/ports.js';
import { insertRecordStatement, type EventRecord } from '../../src/delivery/record.js';
import { planCountStatements } from '../../src/rules/plan-store.js';
import { DELIVERY_LOG_SQL } from '../../src/delivery/settle.js';
import { PURPOSES, type ConsentState } from '../../src/consent/purposes.js';
import type { PreparedIdentity } from '../../src/privacy/identity.js';
import { rng } from '../helpers/rng.js';

export const MIN = 60_000;
export const HOUR = 60 * MIN;
export const DAY = 24 * HOUR;
export const SLOT = 5 * MIN;

/** Monday 2026-11-02 00:00 UTC. */
export const T0 = Date.UTC(2026, 10, 2);

function poisson(lambda: number, random: () => number): number {
  if (lambda > 50) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss(random)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= random();
  } while (p > l);
  return k - 1;
}

function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Events per hour at the daily peak. */
export const PEAK: Record<string, number> = { page_view: 600, view_item: 240, add_to_cart: 60, begin_checkout: 25, purchase: 15 };

/** The day's shape: a night trough (~3%), a morning rise, an evening peak. */
export function diurnal(t: number): number {
  const h = new Date(t).getUTCHours() + new Date(t).getUTCMinutes() / 60;
  const day = new Date(t).getUTCDay();
  const weekend = day === 0 || day === 6 ? 0.8 : 1;
  const shape = 0.03 + 0.97 * Math.max(0, Math.sin(((h - 6) / 18) * Math.PI)) ** 1.5;
  return h < 6 ? 0.03 * weekend : shape * weekend;
}

/** What a fault changes for the slots in [from, to). */
export interface Fault {
  from: number;
  to: number;
  /** Multiply an event name's rate (0: it stops). */
  rate?: Record<string, number>;
  denied?: number;
  flagged?: number;
  matched?: number;
  /** Share of ga4 delivery outcomes that fail (retrying). */
  failing?: number;
}

/** The normal mix. */
export const NORMAL = { denied: 0.3, flagged: 0.02, matched: 0.6, failing: 0.005 };

const granted = (value: 'granted' | 'denied'): ConsentState => ({
  purposes: Object.fromEntries(PURPOSES.map((p) => [p, { value, source: 'explicit', reason: `consent.explicit_${value}` }])) as ConsentState['purposes'],
  region: 'DE',
  policy: 'opt_in',
  policy_version: 'test',
  limited_data_use: false,
  notes: [],
});
const GRANTED = granted('granted');
const DENIED = granted('denied');

function record(id: string, name: string, at: number, denied: boolean, matched: boolean): EventRecord {
  const identity: PreparedIdentity = { had_user_data: matched, hashed: matched ? { meta: { em: 'a'.repeat(64) } } : {}, dropped: {}, pseudo: { client_id: `p${id}` }, salt_id: 's1', notes: [] };
  return {
    event_id: id,
    name,
    time: at,
    received_at: at,
    params: {},
    page: { url: 'https://shop.example/' },
    client: { client_id: `c${id}` },
    consent_state: denied ? DENIED : GRANTED,
    source: 'native',
    removed: { headers: false, cookies: false },
    identity,
    notes: [],
    config_version: 'test',
  };
}

/** A traffic source: `write(db, from, to)` stores the slots in [from, to). */
export function createTraffic(opts: { seed: number; faults?: Fault[] }) {
  const random = rng(opts.seed);
  let n = 0;
  const faultAt = (t: number) => (opts.faults ?? []).filter((f) => t >= f.from && t < f.to);
  const counts = { records: 0 };
  async function slot(db: SqlDb, start: number): Promise<void> {
    const faults = faultAt(start);
    const pick = <K extends keyof typeof NORMAL>(k: K) => faults.reduce((v, f) => (f[k] ?? v) as number, NORMAL[k]);
    const statements: SqlStatement[] = [];
    let checked = 0;
    let flagged = 0;
    const flagShare = pick('flagged');
    const ids: string[] = [];
    const events: { name: string; at: number }[] = [];
    for (const [name, peak] of Object.entries(PEAK)) {
      const factor = faults.reduce((v, f) => v * (f.rate?.[name] ?? 1), 1);
      // Day-to-day noise on top of Poisson: ±10 %.
      const lambda = (peak / 12) * diurnal(start) * factor * (1 + 0.1 * gauss(random));
      const k = poisson(Math.max(0, lambda), random);
      for (let i = 0; i < k; i++) events.push({ name, at: start + Math.floor(random() * SLOT) });
    }
    events.sort((a, b) => a.at - b.at);
    for (const e of events) {
      const id = `e${opts.seed}-${++n}`;
      // As on the accept path: a denied event keeps no Meta match key.
      const denied = random() < pick('denied');
      statements.push(insertRecordStatement(record(id, e.name, e.at, denied, !denied && random() < pick('matched'))));
      checked++;
      if (random() < flagShare) flagged++;
      ids.push(id);
    }
    if (checked > 0) {
      statements.push(
        ...planCountStatements(
          { events: [{ event: 'all', checked, outcomes: { pass: checked - flagged, warn: flagged, quarantine: 0, drop: 0 } }], violations: [] },
          start + SLOT - 1,
        ),
      );
    }
    const failShare = pick('failing');
    for (const [i, id] of ids.entries()) {
      const failed = random() < failShare;
      const at = start + Math.floor(random() * SLOT);
      statements.push({ sql: DELIVERY_LOG_SQL, params: [id, 'ga4', failed ? 'retrying' : 'delivered', 1, '[]', failed ? 'HTTP 503' : null, at, 'test', 'send', events[i]!.name, events[i]!.at, null] });
    }
    counts.records += ids.length;
    if (statements.length > 0) await db.batch(statements);
  }
  return {
    counts,
    /** Store every slot in [from, to). */
    async write(db: SqlDb, from: number, to: number): Promise<void> {
      for (let t = from; t < to; t += SLOT) await slot(db, t);
    },
  };
}
