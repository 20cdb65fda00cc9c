/**
 * @module tagrelay on Cloudflare Workers: `{ fetch, queue, scheduled }`. The config is bundled at build
 * time (config/default.yaml imported as text, see wrangler.toml); the outbox lives in the D1 binding `DB`.
 * Delivery has no background timer here (timers die with their request): each accepted batch drains
 * in `ctx.waitUntil`, and the cron trigger drains whatever is still due. With a Queue bound as `OUTBOX`,
 * each commit sends a wake-up message instead and the `queue` handler delivers.
 */
import { createApp, type TagrelayApp } from '../../app.js';
import { ConfigError, parseConfig } from '../../config/load.js';
import { TagrelayError } from '../../errors.js';
import configText from '../../../config/default.yaml';
import { queueOutbox } from './queue-outbox.js';
import { consumeWakeups, type QueueBatch } from './queue-consumer.js';
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
    // With a Queue producer bound as OUTBOX, a commit wakes the queue consumer (see queue-outbox.ts).
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
    // 202 (/v1/events) and 204 (/g/collect, answered like Google) both mean events were accepted.
    if (!env.OUTBOX && (response.status === 202 || (response.status === 204 && request.method !== 'OPTIONS'))) ctx.waitUntil(inst.app.services.worker.drain());
    ctx.waitUntil(inst.runtime.settle());
    return response;
  },
  async scheduled(_controller: { cron: string }, env: WorkerEnv, ctx: ExecutionContext): Promise<void> {
    // The cron trigger delivers what is still due, applies the retention rules and evaluates the alarms.
    ctx.waitUntil(instance(env).then((inst) => Promise.all([inst.app.services.worker.drain(), inst.app.services.purgeNow(), inst.app.services.alarms.tick()])));
  },
  /** Wake-up messages (from the OUTBOX producer): deliver what the record log holds. */
  async queue(batch: QueueBatch, env: WorkerEnv): Promise<void> {
    const { app } = await instance(env);
    await consumeWakeups(batch, app.services.worker);
  },
};

// The Workers module format requires a default export (the one exception to named exports only).
export default handlers;
