/**
 * @module The long-lived parts of one tagrelay instance: store, outbox, worker, dedupe, destinations.
 */
import type { Config } from './config/schema.js';
import type { Runtime } from './ports.js';
import { migrate } from './store/schema.js';
import { createOutbox, type Outbox } from './delivery/outbox.js';
import { createWorker, type ActiveDestination, type Worker } from './delivery/worker.js';
import { createDeduper, type Deduper } from './rules/dedupe.js';
import { destinations as registry } from './destinations/index.js';

/** Everything the routes use, created once per process. */
export interface Services {
  config: Config;
  runtime: Runtime;
  outbox: Outbox;
  worker: Worker;
  deduper: Deduper;
  destinations: ActiveDestination[];
  /** Resolves once the store is migrated; every route that touches the store awaits it. */
  ready: Promise<void>;
  /** Counters for /metrics and tests. */
  counters: { accepted: number; rejected: number; duplicates: number };
  /** Stop the worker, commit pending writes, close the store. */
  close(): Promise<void>;
}

/** Wire the services; the store migration and worker start run in the background (`ready`). */
export function createServices(config: Config, runtime: Runtime): Services {
  const destinations: ActiveDestination[] = config.destinations
    .filter((d) => d.enabled)
    .map((d) => ({ config: d, kind: registry[d.type] }));
  const worker = createWorker({
    db: runtime.db,
    destinations,
    config: config.delivery,
    fetch: runtime.fetch,
    now: runtime.now,
    log: runtime.log,
    random: Math.random,
  });
  const outbox = createOutbox(runtime.db, () => worker.wake());
  const ready = migrate(runtime.db).then(() => worker.start());
  let closing: Promise<void> | undefined;
  return {
    config,
    runtime,
    outbox,
    worker,
    destinations,
    ready,
    deduper: createDeduper({ windowMs: config.dedupe.window, maxIds: config.dedupe.max_ids, now: runtime.now }),
    counters: { accepted: 0, rejected: 0, duplicates: 0 },
    close() {
      closing ??= (async () => {
        await ready.catch(() => undefined);
        await outbox.flush();
        await worker.stop();
        await runtime.db.close();
      })();
      return closing;
    },
  };
}
