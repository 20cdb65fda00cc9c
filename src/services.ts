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
import { createRedisStore } from './store/redis/store.js';
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
  /** Run the retention purge now; logs counts, never values. */
  purgeNow(): Promise<void>;
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
  const records = createRecordCache(4 * config.delivery.claim_batch);
  const triggers = compileTriggers(config.triggers);
  // store.kind redis: records, dedupe, delivery state and timers live in Redis (docs/scale-out.md).
  if (config.store.kind === 'redis' && !runtime.redis) throw new TagrelayError('ERR_CONFIG', `store.kind redis is not available on the ${runtime.name} runtime`);
  const redis =
    config.store.kind === 'redis'
      ? createRedisStore({ redis: runtime.redis!, config: config.store, dedupeWindow: config.dedupe.window, db: runtime.db, log: runtime.log, now: runtime.now, randomHex: runtime.randomHex, defer: runtime.defer })
      : undefined;
  // With delivery elsewhere (a thread over the same store), that side reads the records it delivers
  // from the store, fires the journey timers and runs its own trigger outbox. With Redis the worker
  // stays here: it claims through the consumer groups.
  const remote = acceptSide && runtime.separateDelivery && !redis ? runtime.separateDelivery(config) : undefined;
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
    source: redis?.source,
  });
  const onCommit = (stored: readonly EventRecord[]) => {
    if (!remote) for (const r of stored) records.put(r);
    worker.wake();
  };
  // Tracking-plan counts ride along with the records' commit (nothing when there is no plan).
  const planCounts = () => (pipeline.planCounter ? planCountStatements(pipeline.planCounter.drain(), runtime.now()) : []);
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
  async function purgeNow(): Promise<void> {
    const counts = await purge(runtime.db, config.retention, runtime.now(), { minRecordAge: config.dedupe.window });
    const total = counts.reduce((n, c) => n + c.rows, 0);
    if (total > 0) runtime.log.info('retention purge', Object.fromEntries(counts.filter((c) => c.rows > 0).map((c) => [c.rule, c.rows])));
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
  const ready = migrate(runtime.db)
    .then(() => redis?.connect())
    .then(async () => {
      // Records say under which configuration they were accepted (secrets never leave the hash).
      pipeline.configVersion = (await runtime.hash.sha256Hex(JSON.stringify(config))).slice(0, 16);
    })
    .then(() => (acceptSide ? purgeNow() : undefined))
    // Delivery elsewhere starts without holding up the first 202: the cursors it will read from are
    // opened here first.
    .then(() => (remote ? openCursors(runtime.db, destinations.map((d) => d.config.id)) : undefined))
    .then(() => worker.start())
    .then(() => (acceptSide ? schedulePurge() : undefined));
  let closing: Promise<void> | undefined;
  return {
    purgeNow,
    config,
    runtime,
    outbox,
    worker,
    destinations,
    ready,
    deduper,
    pipeline,
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
    device,
    receipts: createReceiptKeyring(config, runtime),
    close() {
      closing ??= (async () => {
        closed = true;
        if (purgeTimer) clearTimeout(purgeTimer);
        await ready.catch(() => undefined);
        await outbox.flush();
        // Deliver what is due now, bounded: what remains stays in the durable outbox for the next start.
        let timer: ReturnType<typeof setTimeout> | undefined;
        await Promise.race([
          worker.drain().catch(() => undefined),
          new Promise((done) => (timer = setTimeout(done, config.delivery.shutdown_drain))),
        ]);
        clearTimeout(timer);
        await worker.stop();
        await runtime.postgres?.end().catch(() => undefined);
        await redis?.close();
        await runtime.db.close();
      })();
      return closing;
    },
  };
}
