/**
 * @module tagrelay on Cloudflare Workers: `{ fetch, queue, scheduled }`. The config is bundled at build
 * time (config/default.yaml imported as text, see wrangler.toml); the outbox lives in the D1 binding `DB`.
 * Delivery has no background timer here (timers die with their request): each accepted batch drains
 * in `ctx.waitUntil`, and the cron trigger drains whatever is still due. With a Queue bound as `OUTBOX`,
 * vendor payloads go to the queue instead and the `queue` handler delivers them.
 */
import { createApp, type TagrelayApp } from '../../app.js';
import { ConfigError, parseConfig } from '../../config/load.js';
import { TagrelayError } from '../../errors.js';
import configText from '../../../config/default.yaml';
import { queueOutbox } from './queue-outbox.js';
import { consumeOutbox, type QueueBatch } from './queue-consumer.js';
import { stringVars, workerRuntime, workerLogger, type WorkerEnv, type WorkerRuntime } from './runtime.js';

/** The slice of the Workers ExecutionContext tagrelay uses. */
export interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

interface Instance {
  app: TagrelayApp;
  runtime: WorkerRuntime;
}

const CONFIG_FILE = 'config/default.yaml';
let booting: Promise<Instance> | undefined;

/** One app per isolate, built on the first event (bindings only arrive with it). */
function instance(env: WorkerEnv): Promise<Instance> {
  booting ??= (async () => {
    if (!env.DB) throw new TagrelayError('ERR_CONFIG', 'no D1 binding named DB; tagrelay on Workers keeps its outbox in D1');
    const config = parseConfig(configText, CONFIG_FILE, stringVars(env));
    const runtime = workerRuntime(env.DB, env);
    const app = createApp(config, runtime);
    await app.services.ready;
    await app.services.worker.stop();
    // With a Queue producer bound as OUTBOX, vendor payloads travel on the queue (see queue-outbox.ts);
    // the D1 outbox still takes decisions, warehouse writes and whatever the queue refuses.
    if (env.OUTBOX) app.services.outbox = queueOutbox({ queue: env.OUTBOX, d1: app.services.outbox, log: runtime.log });
    return { app, runtime };
  })().catch((err: unknown) => {
    booting = undefined;
    throw err;
  });
  return booting;
}

function bootFailure(err: unknown): Response {
  const known = err instanceof TagrelayError ? err : err instanceof ConfigError ? new TagrelayError('ERR_CONFIG', 'invalid configuration') : undefined;
  const error = known ?? new TagrelayError('ERR_STORE_UNAVAILABLE', 'the store is not available');
  workerLogger().error('boot failed', { code: error.code, message: (err instanceof Error ? err.message : String(err)).slice(0, 500) });
  return Response.json(error.toBody(), { status: error.status });
}

/** The Worker's handlers. */
export const handlers = {
  async fetch(request: Request, env: WorkerEnv, ctx: ExecutionContext): Promise<Response> {
    let inst: Instance;
    try {
      inst = await instance(env);
    } catch (err) {
      return bootFailure(err);
    }
    const response = await inst.app.fetch(request, env, ctx as never);
    if (response.status === 202) ctx.waitUntil(inst.app.services.worker.drain());
    ctx.waitUntil(inst.runtime.settle());
    return response;
  },
  async scheduled(_controller: { cron: string }, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    // The cron trigger delivers what is still due and applies the retention rules.
    ctx.waitUntil(instance(env).then((inst) => Promise.all([inst.app.services.worker.drain(), inst.app.services.purgeNow()])));
  },
  /** Outbox rows (from the OUTBOX producer) are delivered; any other message is a wake-up call for the D1 outbox. */
  async queue(batch: QueueBatch, env: WorkerEnv): Promise<void> {
    const { app, runtime } = await instance(env);
    const { services } = app;
    const outcome = await consumeOutbox(batch, {
      db: runtime.db,
      destinations: services.destinations,
      config: services.config.delivery,
      fetch: runtime.fetch,
      now: runtime.now,
      log: runtime.log,
      random: Math.random,
    });
    if (outcome.other.length > 0) {
      await services.worker.drain();
      for (const m of outcome.other) m.ack();
    }
  },
};

// The Workers module format requires a default export (the one exception to named exports only).
export default handlers;
