/**
 * @module The alarm evaluator: roll up what arrived, judge every condition, fire and resolve alarms
 * once (state in the store survives restarts), and notify the log and the webhooks. The runtime calls
 * `tick()` on a timer (services) or from a cron (Workers); the metrics and console read `open()`.
 */
import type { FetchLike, Logger, SqlDb, SqlStatement } from '../ports.js';
import type { AlarmsConfig } from './config.js';
import { evaluate, type AlarmInputs, type Condition, type Sums } from './evaluate.js';
import { firingText, notice, resolvedText, type Alarm } from './message.js';
import { queueNoticeSql, sendNotices, type SendCounts } from './notify.js';
import type { WindowSums } from './rollup.js';
import { sqliteAlarmCounters, type AlarmCluster, type AlarmCounterStore } from './counters.js';
import { BUCKET_MS, migrateAlarms } from './schema.js';

const DAY_MS = 86_400_000;
/** Resolved alarms are kept this long (the console's history). */
const KEEP_RESOLVED_MS = 90 * DAY_MS;

/** What one tick did. */
export interface TickResult {
  /** False when another instance holds the evaluator's lease (it evaluates; this one only reads). */
  evaluated: boolean;
  fired: Alarm[];
  resolved: Alarm[];
  notices: SendCounts;
  /** Every condition as judged this tick (firing, ok, or unknown: too little data or between thresholds). */
  conditions: Condition[];
  /** Days of history the expected values came from. */
  days: number;
}

/**
 * The alarms of one instance. `open()` is synchronous (the state as of the last tick) so a metrics
 * scrape or a console page never waits on the store.
 *
 * @example
 * const alarms = createAlarms({ db, config: config.alarms, fetch, now: Date.now, log, randomHex })
 * await alarms.tick()
 * for (const a of alarms.open()) console.log(a.kind, a.subject, a.since)
 */
export interface Alarms {
  /** Open alarms as of the last tick, oldest first. */
  open(): readonly Alarm[];
  /** Recent alarms, open and resolved, newest first. */
  list(opts?: { limit?: number }): Promise<Alarm[]>;
  /** Roll up, evaluate, fire/resolve, send notices. Concurrent calls share one run. */
  tick(): Promise<TickResult>;
  /** Give up the lease (another instance takes over at once). */
  close(): Promise<void>;
}

interface AlarmRow {
  id: number;
  key: string;
  kind: Alarm['kind'];
  subject: string;
  since: number;
  opened_at: number;
  resolved_at: number | null;
  expected: number;
  seen: number;
  window: number;
  detail: string;
}

const toAlarm = (r: AlarmRow): Alarm => {
  const { resolved_at, ...rest } = r;
  return resolved_at === null ? rest : { ...rest, resolved_at };
};

/** Create the evaluator. Nothing runs until `tick()`. */
export function createAlarms(deps: {
  db: SqlDb;
  config: AlarmsConfig;
  fetch: FetchLike;
  now: () => number;
  log: Logger;
  randomHex: (bytes: number) => string;
  /** Where the counts come from (default: the rollup of `db`, this instance's traffic). */
  counters?: AlarmCounterStore;
  /** Evaluators of several instances on shared counters (store.kind redis): one lease, each transition once. */
  cluster?: AlarmCluster;
}): Alarms {
  const { db, config, log, cluster } = deps;
  const counters = deps.counters ?? sqliteAlarmCounters(db);
  const owner = deps.randomHex(8);
  let openCache: Alarm[] = [];
  let running: Promise<TickResult> | undefined;
  let prepared: Promise<void> | undefined;
  const hooks = config.channels.webhooks;

  const prepare = () =>
    (prepared ??= (async () => {
      await migrateAlarms(db);
      await counters.prepare(deps.now());
    })().catch((err: unknown) => {
      prepared = undefined;
      throw err;
    }));

  async function acquire(now: number): Promise<boolean> {
    if (cluster) return cluster.acquire(owner, now, 3 * config.interval);
    const { changes } = await db.run(
      "INSERT INTO alarm_meta (key, value, owner) VALUES ('lease', ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, owner = excluded.owner " +
        'WHERE alarm_meta.value < ? OR alarm_meta.owner = excluded.owner',
      [now + 3 * config.interval, owner, now],
    );
    return changes > 0;
  }

  /** The open alarms the evaluator judges: the cluster's with shared counters, else this store's. */
  async function openAlarms(): Promise<Alarm[]> {
    if (cluster) return [...(await cluster.open()).values()].sort((a, b) => a.opened_at - b.opened_at || a.key.localeCompare(b.key));
    return (await readOpen()).map(toAlarm);
  }

  async function readOpen(): Promise<AlarmRow[]> {
    return db.all<AlarmRow>('SELECT id, key, kind, subject, since, opened_at, resolved_at, expected, seen, window, detail FROM alarms WHERE resolved_at IS NULL ORDER BY id');
  }

  async function inputs(now: number): Promise<AlarmInputs> {
    const since = (await counters.historySince()) ?? now;
    const end = now - (now % BUCKET_MS);
    const windows = [config.event_stopped.silent_for, config.volume.window, config.plan_violations.window, config.consent_denied.window, config.match_quality.window];
    const longest = Math.max(...windows);
    const days = Math.max(0, Math.min(config.history_days, Math.floor((end - longest - since) / DAY_MS)));
    // One query per distinct window, for every metric judged over it.
    const ev = ['ev', 'denied', 'ads', 'matched'];
    const wanted = new Map<number, Set<string>>();
    const want = (window: number, metrics: string[]) => {
      let set = wanted.get(window);
      if (!set) wanted.set(window, (set = new Set()));
      for (const m of metrics) set.add(m);
    };
    want(config.event_stopped.silent_for, ['ev']);
    want(config.volume.window, ['ev']);
    want(config.plan_violations.window, ['plan_checked', 'plan_flagged']);
    want(config.consent_denied.window, ev);
    want(config.match_quality.window, ev);
    const read = new Map(await Promise.all([...wanted].map(async ([window, metrics]) => [window, await counters.windowSums({ end, window, days, metrics: [...metrics] })] as const)));
    const sums = (window: number) => read.get(window)!;
    const totals = (s: WindowSums): Sums => {
      const out = new Array<number>(days + 1).fill(0);
      for (const key of s.keys('ev')) s.get('ev', key).forEach((n, d) => (out[d]! += n));
      return out;
    };
    const [stopped, volume, plan, consent, match] = [
      sums(config.event_stopped.silent_for),
      sums(config.volume.window),
      sums(config.plan_violations.window),
      sums(config.consent_denied.window),
      sums(config.match_quality.window),
    ];
    // The destination window includes the bucket still filling: failures show within a tick.
    const dest = await counters.windowSums({ end: end + BUCKET_MS, window: config.destination_failing.window, days: 0, metrics: ['dest'] });
    const destinations = new Map<string, { delivered: number; retrying: number; dead: number }>();
    for (const key of dest.keys('dest')) {
      const [id, status] = key.split('\t') as [string, 'delivered' | 'retrying' | 'dead'];
      let c = destinations.get(id);
      if (!c) destinations.set(id, (c = { delivered: 0, retrying: 0, dead: 0 }));
      c[status] += dest.get('dest', key)[0] ?? 0;
    }
    return {
      now,
      days,
      lastSeen: await counters.lastSeen(),
      stopped: (name) => stopped.get('ev', name),
      volume: (name) => volume.get('ev', name),
      shares: {
        plan_violations: { num: plan.get('plan_flagged'), den: plan.get('plan_checked') },
        consent_denied: { num: consent.get('denied'), den: totals(consent) },
        match_quality: { num: match.get('matched'), den: match.get('ads') },
      },
      destinations,
    };
  }

  async function fire(c: Condition, now: number): Promise<Alarm | undefined> {
    const token = deps.randomHex(12);
    const alarm: Alarm = { id: 0, key: c.key, kind: c.kind, subject: c.subject, since: c.since, opened_at: now, expected: c.expected, seen: c.seen, window: c.window, detail: c.detail };
    const text = firingText(alarm);
    // Shared counters: the instance whose claim opens the alarm across the cluster records and notifies it.
    if (cluster && !(await cluster.claimFire(alarm))) return undefined;
    const statements: SqlStatement[] = [
      // An alarm this store still holds open was resolved by another instance: close it here first.
      ...(cluster ? [{ sql: 'UPDATE alarms SET resolved_at = ? WHERE key = ? AND resolved_at IS NULL', params: [now, c.key] }] : []),
      {
        sql: 'INSERT OR IGNORE INTO alarms (key, kind, subject, since, opened_at, expected, seen, window, detail, fire_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        params: [c.key, c.kind, c.subject, c.since, now, c.expected, c.seen, c.window, c.detail, token],
      },
      ...hooks.map((_, channel) => ({ sql: queueNoticeSql('fire_token'), params: [channel, JSON.stringify(notice(alarm, 'firing', text)), now, now, token] })),
    ];
    try {
      await db.batch(statements);
    } catch (err) {
      await cluster?.unfire(alarm);
      throw err;
    }
    const row = await db.get<{ id: number }>('SELECT id FROM alarms WHERE fire_token = ?', [token]);
    if (!row) return undefined; // another instance fired it first
    alarm.id = row.id;
    await cluster?.update(alarm);
    if (config.channels.log) log.warn(text, { alarm: alarm.id, kind: c.kind, subject: c.subject, reason: `alarms.${c.kind}` });
    return alarm;
  }

  async function resolve(open: Alarm, c: Condition | undefined, now: number): Promise<Alarm | undefined> {
    const token = deps.randomHex(12);
    const alarm = { ...open, resolved_at: now };
    const text = resolvedText(alarm, { seen: c?.seen ?? 0, expected: c?.expected ?? 0 });
    if (cluster && !(await cluster.claimResolve(open))) return undefined;
    await db.batch([
      ...(cluster
        ? [
            // Shared counters: an alarm another instance fired gets its record here, resolved just below.
            {
              sql: 'INSERT OR IGNORE INTO alarms (key, kind, subject, since, opened_at, expected, seen, window, detail, fire_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
              params: [open.key, open.kind, open.subject, open.since, open.opened_at, open.expected, open.seen, open.window, open.detail, `${token}f`],
            },
            { sql: 'UPDATE alarms SET resolved_at = ?, resolve_token = ? WHERE key = ? AND resolved_at IS NULL', params: [now, token, open.key] },
          ]
        : [{ sql: 'UPDATE alarms SET resolved_at = ?, resolve_token = ? WHERE id = ? AND resolved_at IS NULL', params: [now, token, open.id] }]),
      ...hooks.map((_, channel) => ({ sql: queueNoticeSql('resolve_token'), params: [channel, JSON.stringify(notice(alarm, 'resolved', text)), now, now, token] })),
    ]);
    const row = await db.get<{ id: number }>('SELECT id FROM alarms WHERE resolve_token = ?', [token]);
    if (!row) return undefined;
    if (config.channels.log) log.info(text, { alarm: alarm.id, kind: alarm.kind, subject: alarm.subject, reason: `alarms.${alarm.kind}.resolved` });
    return alarm;
  }

  const enabledKind = (kind: Alarm['kind']) =>
    kind === 'volume_drop' || kind === 'volume_spike' ? config.volume.enabled : config[kind].enabled;

  async function run(): Promise<TickResult> {
    await prepare();
    const now = deps.now();
    const result: TickResult = { evaluated: false, fired: [], resolved: [], notices: { sent: 0, failed: 0, dropped: 0 }, conditions: [], days: 0 };
    if (!config.enabled || !(await acquire(now))) {
      openCache = await openAlarms();
      return result;
    }
    result.evaluated = true;
    await counters.rollUp(now, (config.history_days + 1) * DAY_MS + BUCKET_MS);
    const judged = await inputs(now);
    result.days = judged.days;
    const conditions = new Map(evaluate(judged, config).map((c) => [c.key, c]));
    result.conditions = [...conditions.values()];
    const open = new Map((await openAlarms()).map((a) => [a.key, a]));
    for (const [key, alarm] of open) {
      const c = conditions.get(key);
      // A kind switched off in the config resolves; otherwise only a recovered signal does.
      if (c?.state === 'ok' || !enabledKind(alarm.kind)) {
        const done = await resolve(alarm, c, now);
        if (done) result.resolved.push(done);
      }
    }
    for (const c of conditions.values()) {
      if (c.state !== 'firing' || open.has(c.key)) continue;
      const done = await fire(c, now);
      if (done) result.fired.push(done);
    }
    await db.run('DELETE FROM alarms WHERE resolved_at < ?', [now - KEEP_RESOLVED_MS]);
    openCache = await openAlarms();
    if (hooks.length > 0) result.notices = await sendNotices(db, hooks, { fetch: deps.fetch, now: deps.now, log });
    return result;
  }

  return {
    open: () => openCache,
    async list(opts = {}) {
      await prepare();
      const rows = await db.all<AlarmRow>(
        'SELECT id, key, kind, subject, since, opened_at, resolved_at, expected, seen, window, detail FROM alarms ORDER BY id DESC LIMIT ?',
        [Math.min(opts.limit ?? 100, 1000)],
      );
      return rows.map(toAlarm);
    },
    tick() {
      running ??= run().finally(() => (running = undefined));
      return running;
    },
    async close() {
      await running?.catch(() => undefined);
      if (prepared && cluster) await cluster.release(owner).catch(() => undefined);
      else if (prepared) await db.run("UPDATE alarm_meta SET value = 0 WHERE key = 'lease' AND owner = ?", [owner]).catch(() => undefined);
    },
  };
}
