/**
 * @module Gauges read at scrape time: outbox depth and oldest age per destination (from the store),
 * dead letters waiting, breakers, the User-Agent cache, debug sessions, open tracking alarms, and the
 * runtime's event-loop delay and memory.
 */
import type { RuntimeStats, SqlDb } from '../ports.js';
import type { BreakerSnapshot } from '../delivery/breaker.js';
import type { DeviceCacheStats } from '../enrich/device.js';
import type { Registry } from './registry.js';

/** What the collectors read. */
export interface CollectSources {
  db: SqlDb;
  /** Resolves once the store is migrated. */
  ready(): Promise<void>;
  destinationIds: readonly string[];
  now(): number;
  breakers(): Record<string, BreakerSnapshot>;
  device(): DeviceCacheStats;
  debugSessions(): number;
  runtime?: () => RuntimeStats;
  /** Tracking alarms open now (as of the evaluator's last tick). */
  alarms?: () => readonly { kind: string; subject: string }[];
}

const PENDING =
  'SELECT c.destination_id AS id, COUNT(r.seq) AS n, MIN(r.received_at) AS oldest FROM delivery_cursor c LEFT JOIN records r ON r.seq > c.seq GROUP BY c.destination_id';
const RETRYING = 'SELECT t.destination_id AS id, COUNT(*) AS n, MIN(r.received_at) AS oldest FROM delivery_retry t JOIN records r ON r.seq = t.seq GROUP BY t.destination_id';
const DEAD = 'SELECT destination_id AS id, COUNT(*) AS n, MIN(failed_at) AS oldest FROM dead_letter GROUP BY destination_id';

type Row = { id: string; n: number; oldest: number | null };

/** Register the scrape-time gauges on the registry. */
export function registerCollectors(registry: Registry, src: CollectSources): void {
  const depth = registry.gauge('tagrelay_outbox_depth', 'Records waiting for a destination: past its cursor (state "pending") or scheduled for a retry ("retrying").', ['destination', 'state']);
  const age = registry.gauge('tagrelay_outbox_oldest_age_seconds', 'Age of the oldest record waiting for a destination (0 when none waits).', ['destination']);
  const deadDepth = registry.gauge('tagrelay_dead_letter_depth', 'Items in the dead-letter store, per destination.', ['destination']);
  const breaker = registry.gauge('tagrelay_breaker_open', 'Circuit breaker per destination: 0 closed, 0.5 half open, 1 open.', ['destination']);
  const uaHits = registry.gauge('tagrelay_ua_cache_hits', 'User-Agent parse cache hits since start.');
  const uaMisses = registry.gauge('tagrelay_ua_cache_misses', 'User-Agent parse cache misses since start.');
  const uaRatio = registry.gauge('tagrelay_ua_cache_hit_ratio', 'User-Agent parse cache hits / lookups since start (0 before the first lookup).');
  const uaSize = registry.gauge('tagrelay_ua_cache_entries', 'User-Agent parse cache entries.');
  const sessions = registry.gauge('tagrelay_debug_sessions', 'Live debug sessions open now.');
  const loop = registry.gauge('tagrelay_event_loop_delay_seconds', 'Event-loop delay since the previous scrape (runtime measure).', ['stat']);
  const memory = registry.gauge('tagrelay_process_memory_bytes', 'Process memory (rss, heap_used, heap_total, external).', ['kind']);
  const alarms = registry.gauge('tagrelay_alarm_open', 'A tracking alarm open now (1 per alarm: event_stopped, destination_failing, …, and what it is about).', ['kind', 'subject']);

  registry.collect(async () => {
    await src.ready();
    const [pending, retrying, dead] = await Promise.all([src.db.all<Row>(PENDING), src.db.all<Row>(RETRYING), src.db.all<Row>(DEAD)]);
    const now = src.now();
    const find = (rows: Row[], id: string) => rows.find((r) => r.id === id);
    const depthRows: { labels: string[]; value: number }[] = [];
    const ageRows: { labels: string[]; value: number }[] = [];
    for (const id of src.destinationIds) {
      const p = find(pending, id);
      const t = find(retrying, id);
      depthRows.push({ labels: [id, 'pending'], value: Number(p?.n ?? 0) }, { labels: [id, 'retrying'], value: Number(t?.n ?? 0) });
      const oldest = [p?.oldest, t?.oldest].filter((v): v is number => typeof v === 'number');
      ageRows.push({ labels: [id], value: oldest.length === 0 ? 0 : Math.max(0, now - Math.min(...oldest)) / 1000 });
    }
    depth.set(depthRows);
    age.set(ageRows);
    deadDepth.set(src.destinationIds.map((id) => ({ labels: [id], value: Number(find(dead, id)?.n ?? 0) })));
  });
  registry.collect(() => {
    const state = { closed: 0, half_open: 0.5, open: 1 } as Record<string, number>;
    breaker.set(Object.entries(src.breakers()).map(([id, b]) => ({ labels: [id], value: state[b.state] ?? 0 })));
    const ua = src.device();
    uaHits.set([{ labels: [], value: ua.hits }]);
    uaMisses.set([{ labels: [], value: ua.misses }]);
    uaRatio.set([{ labels: [], value: ua.hits + ua.misses === 0 ? 0 : ua.hits / (ua.hits + ua.misses) }]);
    uaSize.set([{ labels: [], value: ua.size }]);
    sessions.set([{ labels: [], value: src.debugSessions() }]);
    const stats = src.runtime?.();
    const d = stats?.event_loop_delay;
    loop.set(d ? Object.entries(d).map(([stat, value]) => ({ labels: [stat], value })) : []);
    memory.set(stats?.memory ? Object.entries(stats.memory).map(([kind, value]) => ({ labels: [kind], value })) : []);
    alarms.set((src.alarms?.() ?? []).map((a) => ({ labels: [a.kind, a.subject], value: 1 })));
  });
}
