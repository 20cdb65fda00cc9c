/**
 * @module Traffic counts in the store: events rejected, duplicates and bots per minute and reason, so the
 * console's numbers come from the store (accepted events are the records themselves). Counted in memory,
 * written with the next records commit (no write of their own on the accept path) and before the console reads.
 */
import type { SqlDb, SqlStatement } from '../ports.js';

/** What the accept path did not turn into a record. */
export type TallyOutcome = 'rejected' | 'duplicate' | 'bot';

const UPSERT =
  'INSERT INTO traffic_counts (minute, outcome, reason, count) VALUES (?, ?, ?, ?) ' +
  'ON CONFLICT (minute, outcome, reason) DO UPDATE SET count = count + excluded.count';

/** The counter; one per process. */
export interface Tally {
  /** Count `n` events of `outcome` with a reason code, at `now` (epoch ms). */
  add(now: number, outcome: TallyOutcome, reason: string, n?: number): void;
  /** The statements adding what was counted since the last drain (empty when nothing was). */
  drain(): SqlStatement[];
  /** Write what is pending now (before the console reads, at shutdown). */
  flush(db: SqlDb): Promise<void>;
}

/** @example const tally = createTally(); tally.add(Date.now(), 'bot', 'enrich.bot_ua') */
export function createTally(): Tally {
  let pending = new Map<string, { minute: number; outcome: TallyOutcome; reason: string; count: number }>();
  const drain = (): SqlStatement[] => {
    if (pending.size === 0) return [];
    const out = [...pending.values()].map((p) => ({ sql: UPSERT, params: [p.minute, p.outcome, p.reason, p.count] }));
    pending = new Map();
    return out;
  };
  return {
    add(now, outcome, reason, n = 1) {
      if (n <= 0) return;
      const minute = Math.floor(now / 60_000) * 60_000;
      const key = `${minute}|${outcome}|${reason}`;
      const row = pending.get(key);
      if (row) row.count += n;
      else pending.set(key, { minute, outcome, reason, count: n });
    },
    drain,
    async flush(db) {
      const statements = drain();
      if (statements.length > 0) await db.batch(statements);
    },
  };
}

/**
 * Count what one request's accept left without a record: the adapter's and the plan's rejections (by
 * error code), duplicates, and bots (by the bot reason). Allocates nothing for a request with none.
 */
export function tallyRequest(
  tally: Tally,
  now: number,
  rejected: readonly { code: string }[],
  processed?: { duplicates: number; bots?: number; rejected?: readonly { code: string }[]; outcomes: readonly { status: string; reasons: readonly string[] }[] },
): void {
  for (const r of rejected) tally.add(now, 'rejected', r.code);
  if (!processed) return;
  for (const r of processed.rejected ?? []) tally.add(now, 'rejected', r.code);
  tally.add(now, 'duplicate', 'dedupe.event_id_seen', processed.duplicates);
  if (processed.bots === 0) return;
  for (const o of processed.outcomes) if (o.status === 'bot') tally.add(now, 'bot', o.reasons[o.reasons.length - 1] ?? 'enrich.bot');
}
