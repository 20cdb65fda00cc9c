/**
 * @module The long-lived parts of one tagrelay instance: store, outbox, worker, dedupe, destinations.
 */
import type { Config } from './config/schema.js';
import type { Runtime } from './ports.js';
import { migrate } from './store/schema.js';
import { createOutbox, type Outbox } from './delivery/outbox.js';
import { createRecordCache, type EventRecord } from './delivery/record.js';
import { createConsentResolver } from './consent/resolve.js';
import { compilePlan } from './rules/plan.js';
import { createPlanCounter } from './rules/plan-counter.js';
import { compileConversions } from './rules/conversions.js';
import { compileTriggers } from './rules/triggers.js';
import { createTriggerFirer } from './rules/triggers-fire.js';
import { planCountStatements } from './rules/plan-store.js';
import { createWorker, openCursors, type ActiveDestination, type Worker } from './delivery/worker.js';
import { createDeduper, type Deduper } from './rules/dedupe.js';
import type { PipelineDeps } from './pipeline.js';
import { destinations as registry } from './destinations/index.js';
import { purge } from './privacy/retention.js';
import { createDeviceParser, type DeviceParser } from './enrich/device.js';
import { createReceiptKeyring, type ReceiptKeyring } from './consent/keyring.js';
import { usesDevSalt } from './privacy/config.js';
import { createTally, type Tally } from './console/tally.js';
import { createAlarms, type Alarms } from './alarms/alarms.js';
import { alarmKeepMs } from './alarms/counters.js';
import { createTagrelayMetrics, type TagrelayMetrics } from './metrics/tagrelay.js';
import { registerCollectors } from './metrics/collect.js';
import { createDebug } from './debug/setup.js';
import type { DebugHub } from './debug/hub.js';
import { combineObservers } from './delivery/observer.js';
import { purgeWarehouses, type WarehouseContext, type WarehousePurgeCount } from './destinations/warehouse.js';
import { createRedisStore } from './store/redis/store.js';
import { fillSummaryInBackground } from './store/report-summary.js';
import { TagrelayError } from './errors.js';

/** Everything the routes use, created once per process. */
export interface Services {
  config: Config;
  runtime: Runtime;
  outbox: Outbox;
  worker: Worker;
  deduper: Deduper;
  destinations: ActiveDestination[];
  /** Cached User-Agent + client-hint parsing. */
  device: DeviceParser;
  /** The consent receipt signing key (configured, or generated and persisted in dev mode). */
  receipts: ReceiptKeyring;
  /** Resolves once the store is migrated; every route that touches the store awaits it. */
  ready: Promise<void>;
  /** What the accept path needs (valid once `ready` resolved). */
  pipeline: PipelineDeps;
  /** Why the instance cannot accept or record now (store or delivery fault), or undefined when healthy. */
  fault(): Promise<string | undefined>;
  /** Counters for /metrics and tests. */
  counters: { accepted: number; rejected: number; duplicates: number; bots: number };
  /** Rejected, duplicate and bot counts per minute and reason, written to the store with the records (the console reads them). */
  tally: Tally;
  /** Tracking alarms: `alarms.open()` for metrics and the console, `alarms.tick()` from a timer or cron. */
  alarms: Alarms;
  /** Prometheus metrics (GET /metrics). */
  metrics: TagrelayMetrics;
  /** Live debug sessions (the debug stream). */
  debug: DebugHub;
  /** Run the retention purge now; logs counts, never values. */
  purgeNow(): Promise<void>;
  /** Apply the retention rules to the external warehouses (PostgreSQL, ClickHouse, BigQuery); counts per rule. */
  purgeWarehouses(): Promise<WarehousePurgeCount[]>;
  /** What warehouse retention and erasure use for I/O. */
  warehouseContext: WarehouseContext;
  /** Stop the worker, commit pending writes, close the store. */
  close(): Promise<void>;
}

/** Which part of an instance these services are. */
export interface ServicesOptions {
  /**
   * `all` (default): accept and deliver. `delivery`: the delivery side only (a Node delivery thread
   * over the accepting side's store): no retention schedule, no start-up warnings (the accepting
   * side gives them).
   */
  role?: 'all' | 'delivery';
}

/** Wire the services; the store migration and worker start run in the background (`ready`). */
export function createServices(config: Config, runtime: Runtime, options: ServicesOptions = {}): Services {
  const acceptSide = options.role !== 'delivery';
  if (acceptSide && !config.dev_mode && usesDevSalt(config.privacy)) {
    // The dev salt is public: anyone can recompute the warehouse pseudonyms from guessed inputs.
    runtime.log.warn('privacy.pseudonymization.salt is the public development salt; set it from an environment secret', { reason: 'privacy.dev_salt' });
  }
  const destinations: ActiveDestination[] = config.destinations
    .filter((d) => d.enabled)
    .map((d) => ({ config: d, kind: registry[d.type] }));
  const tally = createTally();
  const triggers = compileTriggers(config.triggers);
  const metrics = createTagrelayMetrics(destinations.map((d) => d.config.id));
  const debug = createDebug(config, runtime, destinations);
  // store.kind redis: records, dedupe, delivery state and timers live in Redis (docs/scale-out.md).
  if (config.store.kind === 'redis' && !runtime.redis) throw new TagrelayError('ERR_CONFIG', `store.kind redis is not available on the ${runtime.name} runtime`);
  const redis =
    config.store.kind === 'redis'
      ? createRedisStore({ redis: runtime.redis!, config: config.store, dedupeWindow: config.dedupe.window, db: runtime.db, log: runtime.log, now: runtime.now, randomHex: runtime.randomHex, defer: runtime.defer, alarmKeepMs: alarmKeepMs(config.alarms) })
      : undefined;
  // With delivery elsewhere (a thread over the same store), that side reads the records it delivers
  // from the store, fires the journey timers and runs its own trigger outbox. With Redis the worker
  // stays here: it claims through the consumer groups.
  const remote = acceptSide && runtime.separateDelivery && !redis ? runtime.separateDelivery(config, { metrics, debug: debug.hub }) : undefined;
  // Records this process accepted, kept parsed for its own worker (none when delivery runs elsewhere).
  const records = remote ? undefined : createRecordCache(4 * config.delivery.claim_batch);
  const worker = remote ?? createWorker({
    db: runtime.db,
    destinations,
    config: config.delivery,
    fetch: runtime.fetch,
    now: runtime.now,
    log: runtime.log,
    random: Math.random,
    defer: runtime.defer,
    postgres: runtime.postgres,
    configVersion: () => pipeline.configVersion,
    records,
    plan: () => pipeline.plan,
    // Journey timers fire from the delivery loop's poll and drain (Workers: the cron drain).
    due: triggers.length > 0 ? () => firer.fire() : undefined,
    observer: combineObservers([metrics.delivery, debug.observer]),
    source: redis?.source,
  });
  const onCommit = (stored: readonly EventRecord[]) => {
    if (records) for (const r of stored) records.put(r);
    worker.wake();
  };
  // Tracking-plan counts and the console's traffic counts ride along with the records' commit.
  const planCounts = () => [...(pipeline.planCounter ? planCountStatements(pipeline.planCounter.drain(), runtime.now()) : []), ...tally.drain()];
  const outbox = redis ? redis.outbox(onCommit, planCounts) : createOutbox(runtime.db, onCommit, runtime.defer, planCounts);
  const firer = redis
    ? redis.firer({ triggers, append: (stored, extra) => outbox.append(stored, extra), configVersion: () => pipeline.configVersion })
    : createTriggerFirer({
        db: runtime.db,
        triggers,
        append: (stored, extra) => outbox.append(stored, extra),
        now: runtime.now,
        log: runtime.log,
        configVersion: () => pipeline.configVersion,
      });
  const deduper = createDeduper({ windowMs: config.dedupe.window, maxIds: config.dedupe.max_ids, now: runtime.now });
  const device = createDeviceParser({ cacheSize: config.enrich.device.cache_size, clientHints: config.enrich.device.client_hints });
  registerCollectors(metrics.registry, {
    db: runtime.db,
    ready: () => ready,
    destinationIds: destinations.map((d) => d.config.id),
    now: runtime.now,
    breakers: () => worker.stats.breakers,
    device: () => device.stats(),
    debugSessions: () => debug.hub.size,
    runtime: runtime.stats,
    // Created below; read only at scrape time.
    alarms: () => alarms.open(),
  });
  const pipeline: PipelineDeps = {
    config,
    deduper,
    hasher: runtime.hash,
    device,
    randomHex: runtime.randomHex,
    defer: runtime.defer,
    configVersion: '',
    resolveConsent: createConsentResolver(config.consent),
    destinations,
    plan: config.tracking_plan ? compilePlan(config.tracking_plan) : undefined,
    planCounter: config.tracking_plan ? createPlanCounter() : undefined,
    rules: compileConversions(config.conversions),
    triggers,
  };
  let purgeTimer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  async function purgeLocal(): Promise<void> {
    const counts = await purge(runtime.db, config.retention, runtime.now(), { minRecordAge: config.dedupe.window });
    const total = counts.reduce((n, c) => n + c.rows, 0);
    if (total > 0) runtime.log.info('retention purge', Object.fromEntries(counts.filter((c) => c.rows > 0).map((c) => [c.rule, c.rows])));
  }
  const warehouseContext: WarehouseContext = { fetch: runtime.fetch, now: runtime.now, log: runtime.log, postgres: runtime.postgres };
  async function purgeExternal(): Promise<WarehousePurgeCount[]> {
    const counts = await purgeWarehouses(destinations, config.retention.rules, warehouseContext);
    for (const c of counts) {
      if (c.action === 'failed') runtime.log.warn('warehouse retention purge failed', { destination: c.destination, rule: c.rule, error: c.reason });
      else if ((c.rows ?? 0) > 0) runtime.log.info('warehouse retention purge', { destination: c.destination, rule: c.rule, action: c.action, rows: c.rows });
    }
    return counts;
  }
  async function purgeNow(): Promise<void> {
    await purgeLocal();
    await purgeExternal();
  }
  function schedulePurge(): void {
    if (closed) return;
    purgeTimer = setTimeout(() => {
      purgeNow()
        .catch((err) => runtime.log.error('retention purge failed', { error: String(err).slice(0, 200) }))
        .finally(schedulePurge);
    }, config.retention.purge_interval);
    // Node: a pending purge must not keep the process alive on its own.
    (purgeTimer as { unref?: () => void }).unref?.();
  }
  // With Redis the alarms count every instance's traffic there and fire once across instances.
  const alarms = createAlarms({ db: runtime.db, config: config.alarms, fetch: runtime.fetch, now: runtime.now, log: runtime.log, randomHex: runtime.randomHex, ...redis?.alarms() });
  let alarmTimer: ReturnType<typeof setTimeout> | undefined;
  function scheduleAlarms(): void {
    if (closed || !config.alarms.enabled) return;
    alarmTimer = setTimeout(() => {
      alarms
        .tick()
        .catch((err) => runtime.log.error('alarm evaluation failed', { error: String(err).slice(0, 200) }))
        .finally(scheduleAlarms);
    }, config.alarms.interval);
    (alarmTimer as { unref?: () => void }).unref?.();
  }
  const ready = migrate(runtime.db)
    .then(() => redis?.connect())
    .then(async () => {
      // Records say under which configuration they were accepted (secrets never leave the hash).
      pipeline.configVersion = (await runtime.hash.sha256Hex(JSON.stringify(config))).slice(0, 16);
    })
    .then(() => (acceptSide ? purgeLocal() : undefined))
    // External warehouses are purged in the background: a warehouse that is down must not delay the start.
    .then(() => (acceptSide ? runtime.waitUntil(purgeExternal().catch(() => undefined)) : undefined))
    // A store written before the report summary is filled in the background (the reports read the rows meanwhile).
    .then(() => (acceptSide ? runtime.waitUntil(fillSummaryInBackground(runtime.db, () => closed, runtime.log, runtime.now())) : undefined))
    // Delivery elsewhere starts without holding up the first 202: the cursors it will read from are
    // opened here first.
    .then(() => (remote ? openCursors(runtime.db, destinations.map((d) => d.config.id)) : undefined))
    .then(() => worker.start())
    .then(() => (acceptSide ? schedulePurge() : undefined))
    // The alarms run on the accepting side only (a delivery thread has no evaluator of its own).
    .then(() => (acceptSide ? scheduleAlarms() : undefined));
  let closing: Promise<void> | undefined;
  return {
    purgeNow,
    purgeWarehouses: purgeExternal,
    warehouseContext,
    config,
    runtime,
    outbox,
    worker,
    destinations,
    ready,
    deduper,
    pipeline,
    alarms,
    async fault() {
      try {
        await ready;
        await runtime.db.run("INSERT INTO kv (key, value) VALUES ('readyz', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [String(runtime.now())]);
        const down = await redis?.fault();
        if (down) return down;
      } catch (err) {
        return `store: ${(err instanceof Error ? err.message : String(err)).slice(0, 200)}`;
      }
      return worker.fault === undefined ? undefined : `delivery: ${worker.fault.slice(0, 200)}`;
    },
    counters: { accepted: 0, rejected: 0, duplicates: 0, bots: 0 },
    tally,
    metrics,
    debug: debug.hub,
    device,
    receipts: createReceiptKeyring(config, runtime),
    close() {
      closing ??= (async () => {
        closed = true;
        if (purgeTimer) clearTimeout(purgeTimer);
        if (alarmTimer) clearTimeout(alarmTimer);
        await ready.catch(() => undefined);
        await outbox.flush();
        await tally.flush(runtime.db).catch(() => undefined);
        // Deliver what is due now, bounded: what remains stays in the durable outbox for the next start.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          worker.drain().catch(() => undefined),
          new Promise((done) => (timer = setTimeout(done, config.delivery.shutdown_drain))),
        ]);
        clearTimeout(timer);
        await worker.stop();
        await alarms.close();
        await runtime.postgres?.end().catch(() => undefined);
        await redis?.close();
        await runtime.db.close();
      })();
      return closing;
    },
  };
}
