/**
 * @module Delivery on its own thread (Node): the accepting thread commits records and answers; a
 * worker thread runs the delivery worker over the same SQLite file (its own connection, its own
 * keep-alive pools). Accept and delivery then use separate cores, and a slow delivery round (decide,
 * map, send, settle) never stalls a request's event loop.
 *
 * The protocol is small because all delivery state is durable: the accepting side says "wake" after
 * each commit (the thread reads the new records from the store), asks for "drain" and "stop", and
 * receives the worker's fault and stats. A thread that dies is restarted after a pause; nothing is
 * lost (its cursors and retries are rows), at most its in-flight batch is sent again.
 *
 * This file is both sides: {@link startDeliveryThread} runs on the accepting thread; imported in a
 * worker thread (workerData set) it runs the delivery services.
 */
import { MessageChannel, Worker as NodeWorker, isMainThread, parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { dirname } from 'node:path';
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { Config } from '../../config/schema.js';
import { INTAKE_SCHEMA } from '../../store/schema.js';
import type { DeliveryBridge, Logger } from '../../ports.js';
import type { DeliveryStats, Worker } from '../../delivery/worker.js';
import type { Registry } from '../../metrics/registry.js';
import type { DebugDraft, DebugHub, DebugSession } from '../../debug/hub.js';

/** What the thread is started with (structured clone of the parsed config). */
interface ThreadData {
  tagrelayDelivery: true;
  config: Config;
  file: string;
  /** Traced event ids, read synchronously before each lookup (see {@link mirrorDebug}). */
  traces: MessagePort;
  /** [0]: traces posted so far; the thread drains the port only when it moved. */
  traceCount: Int32Array;
}

/** One traced event, as the accepting side registers it. */
interface TraceNote {
  event_id: string;
  name: string;
  session: string;
}

type ToThread = { op: 'wake' } | { op: 'drain' | 'stop'; id: number };
type FromThread =
  | { type: 'ready' }
  | { type: 'state'; fault: string | undefined; stats: DeliveryStats; metrics: FamilySnapshot[] }
  | { type: 'debug'; session: string; draft: DebugDraft }
  | { type: 'done'; id: number; error?: string };

/**
 * The metric families the delivery worker records (its observer): counted on the thread, mirrored
 * into the accepting side's registry, which serves /metrics.
 */
const DELIVERY_FAMILIES = new Set([
  'tagrelay_consent_decisions_total',
  'tagrelay_deliveries_total',
  'tagrelay_delivery_retries_total',
  'tagrelay_dead_letters_total',
  'tagrelay_vendor_requests_total',
  'tagrelay_vendor_request_seconds',
  'tagrelay_delivery_latency_seconds',
]);

/** One family's series as plain data. */
interface FamilySnapshot {
  name: string;
  series: { labels: readonly string[]; value: { value?: number; counts?: number[]; sum?: number; count?: number } }[];
}

function snapshotFamilies(registry: Registry): FamilySnapshot[] {
  return registry.families.filter((f) => DELIVERY_FAMILIES.has(f.name)).map((f) => ({ name: f.name, series: f.series as FamilySnapshot['series'] }));
}

function loadFamilies(registry: Registry, snapshot: readonly FamilySnapshot[]): void {
  for (const fam of snapshot) {
    const target = registry.families.find((f) => f.name === fam.name) as { with?: (...labels: string[]) => object } | undefined;
    if (!target?.with) continue;
    for (const s of fam.series) Object.assign(target.with(...s.labels), s.value);
  }
}

/**
 * The delivery thread's old-generation heap limit (MiB). Its live heap under load is small (~25 MiB at
 * 400 events/s: a heap snapshot after a full GC), but with Node's default limit (a share of the
 * machine's memory, GiBs) V8 lets garbage pile up to 90–145 MiB before collecting; with this limit it
 * collects sooner: RSS peak 215–221 MiB against 236–254 MiB at 400 events/s (bench notes in
 * docs/performance.md). Were the limit ever reached, the thread dies out of memory and is started
 * again like any crashed thread: nothing is lost, its in-flight batch is sent again.
 */
const HEAP_LIMIT_MB = 128;

/**
 * How long after start() the thread is started when no event came first. The thread's start-up (an
 * isolate loading its own copy of the bundle's chunks, ~250 ms of CPU) competed with the server's first
 * requests: with it started at once, the first 202 came 182 ms (median of 11) after "listening";
 * started after that 202 instead, 66 ms (a loaded 2-core machine; docs/performance.md).
 */
const START_AFTER_MS = 500;

/** How long a dead thread waits before it is started again. */
const RESTART_MS = 1000;
/** How often the thread reports its fault and stats. */
const STATE_MS = 250;
/** How often the delivery thread checkpoints the intake file. */
const INTAKE_CHECKPOINT_MS = 500;

const emptyStats = (): DeliveryStats => ({ delivered: 0, retried: 0, dead: 0, decided: 0, breakers: {} });

/** The accepting side's handle on the thread. */
export interface DeliveryThread extends Worker {
  /** End the thread as a crash would (tests): it is started again after a pause. */
  crash(): Promise<void>;
}

/**
 * The accepting side: a {@link Worker} whose work runs on a thread over `file`.
 *
 * @example
 * const worker = startDeliveryThread({ config, file: 'data/tagrelay.db', log })
 */
export function startDeliveryThread(opts: { config: Config; file: string; log: Logger; bridge?: DeliveryBridge }): DeliveryThread {
  const { log, bridge } = opts;
  let thread: NodeWorker | undefined;
  let fault: string | undefined;
  let stats = emptyStats();
  let stopped = false;
  let nextId = 1;
  const calls = new Map<number, { ok: () => void; fail: (err: Error) => void }>();
  let started: Promise<void> | undefined;
  /** start() was called and the thread not started yet: the first wake-up, drain, stop or trace, or {@link START_AFTER_MS}, starts it. */
  let armed: ReturnType<typeof setTimeout> | undefined;
  let launchQueued = false;

  // From source (tsx: tests, `node --import tsx`), a worker's entry module does not go through the
  // parent's loader hooks on Node 20: the thread registers tsx itself, then imports this file. In the
  // bundle (build.js) this module's code sits in the file import.meta.url names (an entry or a shared
  // chunk, never the CLI's entry: this module is an entry of its own), so the thread loads just that.
  const self = new URL(import.meta.url);
  const entry = self.pathname.endsWith('.ts')
    ? ([`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(self.href)}); })`, { eval: true }] as const)
    : ([self, {}] as const);

  let traces: MessagePort | undefined;
  const traceCount = new Int32Array(new SharedArrayBuffer(4));

  function spawn(): Promise<void> {
    const channel = new MessageChannel();
    traces?.close();
    traces = channel.port1;
    Atomics.store(traceCount, 0, 0);
    const data: ThreadData = { tagrelayDelivery: true, config: opts.config, file: opts.file, traces: channel.port2, traceCount };
    const t = new NodeWorker(entry[0], { ...entry[1], workerData: data, transferList: [channel.port2], resourceLimits: { maxOldGenerationSizeMb: HEAP_LIMIT_MB } });
    thread = t;
    return new Promise<void>((ready, failed) => {
      t.on('message', (m: FromThread) => {
        if (m.type === 'ready') ready();
        else if (m.type === 'state') {
          fault = m.fault;
          stats = m.stats;
          if (bridge) loadFamilies(bridge.metrics.registry, m.metrics);
        } else if (m.type === 'debug') {
          const session = bridge?.debug.get(m.session);
          if (session) bridge!.debug.publish(session, m.draft);
        } else if (m.type === 'done') {
          const call = calls.get(m.id);
          calls.delete(m.id);
          if (m.error === undefined) call?.ok();
          else call?.fail(new Error(m.error));
        }
      });
      t.on('error', (err) => {
        log.error('delivery thread failed', { error: String(err).slice(0, 300) });
        failed(err);
      });
      t.on('exit', (code) => {
        if (thread === t) thread = undefined;
        for (const [id, call] of calls) {
          calls.delete(id);
          // A stop that ended with the thread is done; anything else did not finish.
          call.fail(new Error(`delivery thread exited with code ${code}`));
        }
        if (stopped) return;
        fault = `delivery thread exited with code ${code}; restarting`;
        log.error('delivery thread exited; restarting', { code, restart_ms: RESTART_MS });
        setTimeout(() => {
          if (stopped) return;
          spawn().then(
            () => (fault = undefined),
            () => undefined,
          );
        }, RESTART_MS).unref();
      });
    });
  }

  // A traced event's decisions and vendor calls happen on the thread: tell it which events a debug
  // session traces (rare: only requests carrying a debug token), before the record is committed, and
  // publish what it reports.
  if (bridge) {
    const trace = bridge.debug.trace.bind(bridge.debug);
    bridge.debug.trace = (eventId, name, session) => {
      trace(eventId, name, session);
      // The trace must reach the thread before the record can be claimed: start it now if it waits.
      if (armed) launch();
      if (!traces) return;
      traces.postMessage({ event_id: eventId, name, session: session.id } satisfies TraceNote);
      Atomics.add(traceCount, 0, 1);
    };
  }

  /** Start the thread now (once); later calls return the same start. */
  function launch(): Promise<void> {
    if (armed) clearTimeout(armed);
    armed = undefined;
    started ??= spawn();
    started.catch(() => undefined);
    return started;
  }

  function call(op: 'drain' | 'stop'): Promise<void> {
    const t = thread;
    if (!t) return Promise.resolve();
    const id = nextId++;
    return new Promise<void>((ok, fail) => {
      calls.set(id, { ok, fail });
      t.postMessage({ op, id } satisfies ToThread);
    });
  }

  return {
    start() {
      // Neither the first 202 nor its CPU waits for the thread's start-up (its module loading): the
      // thread starts right after the first commit's wake-up has been answered (the record is durable
      // and the thread reads it from the store), or after START_AFTER_MS without one (a backlog left
      // by the previous run). Wake-ups posted while it loads queue on its port; drain/stop wait for it.
      if (!started && !armed) {
        armed = setTimeout(() => void launch(), START_AFTER_MS);
        armed.unref();
      }
      return Promise.resolve();
    },
    wake() {
      if (thread || !armed) {
        thread?.postMessage({ op: 'wake' } satisfies ToThread);
        return;
      }
      // The first commit: start the thread once the request that committed it has been answered.
      if (launchQueued) return;
      launchQueued = true;
      setImmediate(() => {
        void launch();
        thread?.postMessage({ op: 'wake' } satisfies ToThread);
      });
    },
    async drain() {
      if (armed) void launch();
      await started?.catch(() => undefined);
      await call('drain');
    },
    async stop() {
      if (stopped) return;
      if (armed) void launch();
      await started?.catch(() => undefined);
      const t = thread;
      stopped = true;
      if (!t) return;
      const exited = new Promise<void>((done) => t.once('exit', () => done()));
      await call('stop').catch(() => undefined);
      await exited;
    },
    async crash() {
      await thread?.terminate();
    },
    get fault() {
      return fault;
    },
    get stats() {
      return stats;
    },
  };
}

/**
 * Give this thread (not the process) a nice value. On Linux `setpriority` with a thread id applies to
 * that thread alone; `/proc/thread-self` names it. Elsewhere the thread keeps the process's priority.
 */
function lowerPriority(nice: number): void {
  if (nice <= 0 || process.platform !== 'linux') return;
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, nice);
  } catch {
    /* no /proc, or not permitted: the thread runs at the process's priority */
  }
}

/** The thread's side: the delivery services over the same file; answers the accepting side. */
async function runThread(data: ThreadData): Promise<void> {
  const port = parentPort!;
  lowerPriority(data.config.delivery.thread_nice);
  const [{ createServices }, { nodeRuntime, jsonLogger }] = await Promise.all([import('../../services.js'), import('./runtime.js')]);
  // This connection checkpoints the WAL for both threads: every 4,000 pages (16 MiB), so a page the
  // two keep rewriting (index leaves, the cursor row) is copied into the file once per checkpoint.
  const runtime = nodeRuntime({ dataDir: dirname(data.file), file: data.file, log: jsonLogger(), checkpointPages: 4000 });
  const services = createServices(data.config, runtime, { role: 'delivery' });
  const post = (m: FromThread) => port.postMessage(m);
  mirrorDebug(services.debug, post, data.traces, data.traceCount);
  let last: string | undefined;
  const report = () => {
    const fault = services.worker.fault;
    const stats = services.worker.stats;
    post({
      type: 'state',
      fault,
      stats: { delivered: stats.delivered, retried: stats.retried, dead: stats.dead, decided: stats.decided, breakers: { ...stats.breakers } },
      metrics: snapshotFamilies(services.metrics.registry),
    });
    last = fault;
  };
  // The intake file (the accepting thread's records) is checkpointed from here, without waiting for
  // its writer (PASSIVE): the accepting connection checkpoints only past 10,000 pages, as a backstop.
  const checkpoint = setInterval(() => {
    void runtime.db.all(`PRAGMA ${INTAKE_SCHEMA}.wal_checkpoint(PASSIVE)`).catch(() => undefined);
  }, INTAKE_CHECKPOINT_MS);
  const timer = setInterval(report, STATE_MS);
  port.on('message', (m: ToThread) => {
    if (m.op === 'wake') {
      services.worker.wake();
      return;
    }
    const work = m.op === 'drain' ? services.worker.drain() : services.close();
    work.then(
      () => {
        if (services.worker.fault !== last) report();
        post({ type: 'done', id: m.id });
        if (m.op === 'stop') {
          clearInterval(timer);
          clearInterval(checkpoint);
          port.close();
        }
      },
      (err: unknown) => post({ type: 'done', id: m.id, error: String(err).slice(0, 300) }),
    );
  });
  await services.ready;
  report();
  post({ type: 'ready' });
}

/**
 * The thread's debug hub holds no sessions: it knows the events the accepting side traces, and what
 * the delivery observer publishes for them goes back to that side's session. The accepting side
 * notes a trace before it commits the record, so draining the trace port synchronously before each
 * lookup (only when the shared count moved: one atomic read otherwise) never misses one, even when a
 * poll claims the record before the thread's message queue is served.
 */
function mirrorDebug(hub: DebugHub, post: (m: FromThread) => void, traces: MessagePort, count: Int32Array): void {
  let seen = 0;
  const trace = hub.trace.bind(hub);
  const tracing = hub.tracing.bind(hub);
  const drain = () => {
    if (Atomics.load(count, 0) === seen) return;
    for (let m = receiveMessageOnPort(traces); m; m = receiveMessageOnPort(traces)) {
      const note = m.message as TraceNote;
      seen++;
      trace(note.event_id, note.name, { id: note.session } as DebugSession);
    }
  };
  hub.tracing = (eventId) => {
    drain();
    return tracing(eventId);
  };
  hub.publish = (session, draft) => post({ type: 'debug', session: session.id, draft });
  Object.defineProperty(hub, 'size', {
    get: () => {
      drain();
      return seen;
    },
  });
}

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.tagrelayDelivery) {
  runThread(workerData as ThreadData).catch((err: unknown) => {
    console.error(JSON.stringify({ level: 'error', msg: 'delivery thread could not start', error: String(err).slice(0, 300) }));
    process.exit(1);
  });
}
