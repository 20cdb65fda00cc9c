/**
 * @module bench:delivery — outbox → destination drain rate, and memory with a deep outbox.
 *
 * In-process: the real record log and delivery worker on an on-disk SQLite file in a temp dir; events go
 * in through ingestNative → acceptEvents (one record each, as the app does), then worker.drain() is timed.
 *
 * Usage: npm run bench:delivery -- [--events 20000] [--queued 100000] [--tsx]
 */
import { createDeviceParser } from '../src/enrich/device.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { intakeFileOf } from '../src/runtime/node/db.js';
import { printHeader, printTable, mib } from './lib/report.js';
import { startSink, type Sink } from './lib/sink.js';
import { benchConfig, writeBenchConfig } from './lib/config.js';
import { buildDist, startTagrelay, tagrelayCommand, type Build } from './lib/build.js';
import { sampleRss, rssOf } from './lib/proc.js';
import { eventObject, EVENT_HEADERS } from './lib/event.js';
import { httpSinkDestination } from './lib/http-destination.js';
import { configSchema, type Config } from '../src/config/schema.js';
import { nodeRuntime } from '../src/runtime/node/runtime.js';
import { silentLogger, type Runtime } from '../src/ports.js';
import { migrate } from '../src/store/schema.js';
import { createOutbox } from '../src/delivery/outbox.js';
import { createWorker, type ActiveDestination } from '../src/delivery/worker.js';
import { createDeduper } from '../src/rules/dedupe.js';
import { ingestNative } from '../src/ingest/native.js';
import { acceptEvents, type PipelineDeps } from '../src/pipeline.js';
import { destinations as registry } from '../src/destinations/index.js';

const { values: opts } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    queued: { type: 'string', default: '100000' },
    tsx: { type: 'boolean', default: false },
  },
});
const EVENTS = Number(opts.events);
const QUEUED = Number(opts.queued);
/** Events per simulated request while filling the outbox. */
const CHUNK = 500;

/** The configured destinations of the benchmark config, with their kinds. */
function configured(config: Config): ActiveDestination[] {
  return config.destinations.filter((d) => d.enabled).map((d) => ({ config: d, kind: registry[d.type] }));
}

interface Outcome {
  scenario: string;
  events: number;
  items: number;
  enqueueMs: number;
  drainMs: number;
  delivered: number;
  left: number;
  requests: number;
}

const requestContext = () => ({
  source: 'native' as const,
  ip: '203.0.113.7',
  user_agent: EVENT_HEADERS['user-agent'],
  headers: { ...EVENT_HEADERS },
  cookies: {},
});

/** Put `events` events into the record log the way the app does; returns the time it took. */
async function fill(runtime: Runtime, config: Config, destinations: ActiveDestination[], events: number, prefix: string): Promise<number> {
  await migrate(runtime.db);
  // The destinations' cursors exist before the records: records accepted after that are theirs to deliver.
  const cursors = createWorker({ db: runtime.db, destinations, config: config.delivery, fetch: runtime.fetch, now: runtime.now, log: silentLogger, random: Math.random });
  await cursors.start();
  await cursors.stop();
  const outbox = createOutbox(runtime.db, () => undefined, runtime.defer);
  const deps: PipelineDeps = {
    config,
    deduper: createDeduper({ windowMs: config.dedupe.window, maxIds: config.dedupe.max_ids, now: runtime.now }),
    hasher: runtime.hash,
    device: createDeviceParser({ cacheSize: 1000 }),
    randomHex: runtime.randomHex,
    defer: runtime.defer,
    configVersion: 'bench',
    destinations,
  };
  const started = performance.now();
  for (let n = 0; n < events; n += CHUNK) {
    const list = Array.from({ length: Math.min(CHUNK, events - n) }, (_, i) => eventObject(`${prefix}-${n + i}`));
    const env = { now: runtime.now(), request: requestContext(), randomHex: runtime.randomHex, limits: config.limits, time: config.time };
    const parsed = ingestNative({ events: list }, env);
    if ('error' in parsed || parsed.rejected.length > 0) throw new Error('bench events were rejected');
    await acceptEvents(parsed.events, { host: 'bench.local' }, deps, outbox);
  }
  return performance.now() - started;
}

/** Items waiting: per destination, records past its cursor, plus retries. */
const PENDING_SQL =
  'SELECT (SELECT COALESCE(SUM((SELECT COUNT(*) FROM records r WHERE r.seq > c.seq)), 0) FROM delivery_cursor c) + (SELECT COUNT(*) FROM delivery_retry) AS n';
const countOutbox = async (runtime: Runtime) => (await runtime.db.get<{ n: number }>(PENDING_SQL))!.n;

/** Fill a fresh store in this process, then time worker.drain() to the picked destinations. */
async function scenario(name: string, events: number, pick: (config: Config, sink: Sink) => ActiveDestination[], sink: Sink): Promise<Outcome> {
  const config = configSchema.parse(benchConfig(sink.url));
  const destinations = pick(config, sink);
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-delivery-'));
  const runtime = nodeRuntime({ dataDir: dir, log: silentLogger });
  const enqueueMs = await fill(runtime, config, destinations, events, name.replace(/\W+/g, '_'));
  const items = await countOutbox(runtime);
  const worker = createWorker({ db: runtime.db, destinations, config: config.delivery, fetch: runtime.fetch, now: runtime.now, log: silentLogger, random: Math.random });
  const sinkBefore = (await sink.stats()).requests;
  const drainStart = performance.now();
  await worker.drain();
  const drainMs = performance.now() - drainStart;
  const left = await countOutbox(runtime);
  const requests = (await sink.stats()).requests - sinkBefore;
  await runtime.db.close();
  rmSync(dir, { recursive: true, force: true });
  return { scenario: name, events, items, enqueueMs, drainMs, delivered: worker.stats.delivered, left, requests };
}

/** What the server process did with a deep outbox. */
interface DeepOutcome {
  items: number;
  rssStarted: number;
  rssQueued: number;
  rssDrainPeak: number;
  rssAfter: number;
  drainMs: number;
  left: number;
}

/**
 * The memory target is about the server: fill a store with `events` events whose outbox items are
 * all backing off, start the compiled (or tsx) server on it, read its RSS, then make everything due
 * from a second connection and watch the server drain it.
 */
async function deepOutbox(events: number, sink: Sink, build: Build | undefined): Promise<DeepOutcome> {
  const cfg = writeBenchConfig(sink.url);
  const config = configSchema.parse(benchConfig(sink.url));
  const runtime = nodeRuntime({ dataDir: cfg.dataDir, log: silentLogger });
  await fill(runtime, config, configured(config), events, 'deep');
  // A retry far in the future for every record at every destination: they wait as they would behind an outage.
  await runtime.db.batch([
    {
      sql:
        'INSERT INTO delivery_retry (destination_id, seq, event_id, attempts, next_attempt_at, first_attempt_at, last_error) ' +
        "SELECT c.destination_id, r.seq, r.event_id, 1, ?, ?, 'bench' FROM delivery_cursor c JOIN records r ON r.seq > c.seq",
      params: [Date.now() + 3_600_000, Date.now()],
    },
    { sql: 'UPDATE delivery_cursor SET seq = (SELECT MAX(seq) FROM records)' },
  ]);
  const items = await countOutbox(runtime);
  await runtime.db.close();

  const { child } = await startTagrelay(tagrelayCommand(build), cfg);
  const rssStarted = rssOf(child.pid);
  await new Promise((r) => setTimeout(r, 3000));
  const rssQueued = rssOf(child.pid);

  const db = new Database(join(cfg.dataDir, 'tagrelay.db'));
  db.exec(`ATTACH DATABASE '${intakeFileOf(join(cfg.dataDir, 'tagrelay.db'))}' AS intake`);
  db.pragma('busy_timeout = 5000');
  const sampler = sampleRss(child.pid, 100);
  const started = performance.now();
  db.prepare('UPDATE delivery_retry SET next_attempt_at = 0').run();
  const count = db.prepare(PENDING_SQL);
  let left = items;
  // The worker polls every poll_interval (1 s by default) when nothing wakes it: that wait is counted.
  while (left > 0 && performance.now() - started < 300_000) {
    await new Promise((r) => setTimeout(r, 50));
    left = (count.get() as { n: number }).n;
  }
  const drainMs = performance.now() - started;
  const { peak: rssDrainPeak } = sampler.stop();
  db.close();
  await new Promise((r) => setTimeout(r, 1000));
  const rssAfter = rssOf(child.pid);
  await child.stop();
  rmSync(cfg.dir, { recursive: true, force: true });
  return { items, rssStarted, rssQueued, rssDrainPeak, rssAfter, drainMs, left };
}

async function main(): Promise<void> {
  const build = opts.tsx ? undefined : buildDist();
  const sink = await startSink();
  const vendorKinds = ['ga4', 'meta_capi'].filter((k) => k in registry);
  printHeader('bench:delivery — outbox drain to local destinations', 'bench:delivery', [
    `${EVENTS} events per throughput scenario, accepted in groups of ${CHUNK} through ingestNative → acceptEvents (one record each)`,
    'drain: worker.drain() of src/delivery/worker.ts in this process, claim_batch and batch sizes from config defaults; SQLite file (WAL) in a temp dir',
    `sink: bench/sink.mjs in its own process on 127.0.0.1, answering after ${sink.delayMs} ms; vendor kinds available: ${vendorKinds.join(', ') || 'none yet (GA4/Meta land with feat/vendors)'}`,
    `memory: ${QUEUED} events queued in a store, then tagrelay (${tagrelayCommand(build).label}) started on it as a child process; RSS = its VmRSS`,
  ]);

  const runs: Outcome[] = [];
  runs.push(await scenario('sqlite warehouse (lake)', EVENTS, (config) => configured(config).filter((d) => d.config.id === 'lake'), sink));
  runs.push(await scenario('http sink, batches of 100', EVENTS, (_c, s) => [httpSinkDestination('sink', s.url, 100)], sink));
  // >>> VENDOR DESTINATIONS: once GA4 / Meta CAPI are registered, they drain to the sink here too.
  for (const kind of vendorKinds) {
    runs.push(await scenario(`${kind} → sink`, EVENTS, (config) => configured(config).filter((d) => d.config.type === kind), sink));
  }
  runs.push(await scenario('all configured destinations', EVENTS, configured, sink));
  console.log('## drain rate (in process)');
  printTable(
    ['scenario', 'events', 'outbox items', 'enqueue ev/s', 'drain s', 'delivered items/s', 'left', 'sink requests'],
    runs.map((r) => [r.scenario, r.events, r.items, r.events / (r.enqueueMs / 1000), r.drainMs / 1000, r.delivered / (r.drainMs / 1000), r.left, r.requests]),
  );

  console.log(`filling ${QUEUED} events for the memory run …`);
  const deep = await deepOutbox(QUEUED, sink, build);
  await sink.stop();
  console.log(`## server process with ${QUEUED} events (${deep.items} outbox items) queued`);
  printTable(
    ['RSS started', 'RSS queued (3 s)', 'RSS peak draining', 'RSS after', 'drain s', 'items/s', 'left'],
    [[mib(deep.rssStarted), mib(deep.rssQueued), mib(deep.rssDrainPeak), mib(deep.rssAfter), deep.drainMs / 1000, (deep.items - deep.left) / (deep.drainMs / 1000), deep.left]],
  );
  console.log(`RSS with ${QUEUED} events queued: ${mib(deep.rssQueued)}; peak while draining: ${mib(deep.rssDrainPeak)}   (target ≤ 150 MB)`);
  const lost = runs.filter((r) => r.left > 0 || r.delivered !== r.items);
  if (lost.length > 0 || deep.left > 0) console.log(`WARNING: not everything was delivered in: ${[...lost.map((r) => r.scenario), ...(deep.left ? ['memory run'] : [])].join(', ')}`);
  if (build) rmSync(build.root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
