/**
 * @module bench:soak — tagrelay at a steady realistic rate for a long time, with a vendor outage in the
 * middle: memory stays flat, nothing accepted is lost, nothing is dead-lettered, resends stay bounded.
 *
 * Usage: npm run bench:soak -- [--minutes 30] [--outage-s 300] [--outage 503|refuse] [--rate 300] [--delay-ms 30]
 *                               [--drain-s 300] [--connections 64] [--rss-growth 20] [--tsx] [--profile]
 */
import { parseArgs } from 'node:util';
import os from 'node:os';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { printHeader, printTable, fmt, mib, percentile } from './lib/report.js';
import { cpuSeconds, rssOf } from './lib/proc.js';
import { startSink, type OutageMode, type SinkStats } from './lib/sink.js';
import { writeBenchConfig, benchDestinations } from './lib/config.js';
import { buildDist, startTagrelay, tagrelayCommand } from './lib/build.js';
import { openLoop } from './lib/open-loop.js';
import { deliveryProgress, storeBreakdown, warehouseEventIds, type DeliveryProgress } from './lib/store.js';
import { deliveryConfigSchema } from '../src/delivery/config.js';
import { printSummary } from './profile-summary.js';

const { values: opts } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    'outage-s': { type: 'string', default: '300' },
    outage: { type: 'string', default: '503' },
    rate: { type: 'string', default: '300' },
    'delay-ms': { type: 'string', default: '30' },
    'drain-s': { type: 'string', default: '300' },
    connections: { type: 'string', default: '64' },
    'rss-growth': { type: 'string', default: '20' },
    tsx: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const MINUTES = Number(opts.minutes);
const LOAD_S = MINUTES * 60;
const OUTAGE_S = Number(opts['outage-s']);
const OUTAGE_MODE = opts.outage as OutageMode;
const RATE = Number(opts.rate);
const DRAIN_MS = Number(opts['drain-s']) * 1000;
const CONNECTIONS = Number(opts.connections);
const RSS_GROWTH = Number(opts['rss-growth']) / 100;
const TIMEOUT_MS = 10_000;
/** The run label: event n is `soak-<n>`, GA4 client id `<n>.soak` (lib/event.ts visitorTemplate). */
const RUN = 'soak';

if (!(MINUTES >= 1) || !Number.isInteger(MINUTES)) throw new Error(`--minutes must be a whole number ≥ 1, got ${opts.minutes}`);
if (!(OUTAGE_S >= 0 && OUTAGE_S < LOAD_S)) throw new Error(`--outage-s must be ≥ 0 and shorter than the run (${LOAD_S} s), got ${opts['outage-s']}`);
if (OUTAGE_MODE !== '503' && OUTAGE_MODE !== 'refuse') throw new Error(`--outage must be 503 or refuse, got ${opts.outage}`);
if (!(RATE > 0)) throw new Error(`--rate must be > 0, got ${opts.rate}`);

/** The outage sits in the middle of the load: [OUTAGE_FROM, OUTAGE_TO) seconds after the load started. */
const OUTAGE_FROM = (LOAD_S - OUTAGE_S) / 2;
const OUTAGE_TO = OUTAGE_FROM + OUTAGE_S;

/**
 * The duplicate bound: one in-flight batch per destination. The worker claims at most one
 * `delivery.claim_batch` per destination ahead of its settled outcomes (README, delivery), so that is
 * the most it can have sent without a recorded outcome.
 */
const delivery = deliveryConfigSchema.parse({});
const BATCH = { ga4: delivery.claim_batch, meta: delivery.claim_batch };

const clock = (s: number): string => `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(Math.floor(s % 60)).padStart(2, '0')}`;
const share = (n: number, of: number): string => (of > 0 ? `${fmt((100 * n) / of, 2)} %` : 'n/a');
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');

/** One row a minute: the server's memory and where every accepted event stands. */
interface Row {
  minute: number;
  phase: string;
  /** Mean of the minute's 1 s VmRSS samples (the value at the row when there were none). */
  rss: number;
  rssMax: number;
  /** tagrelay's CPU over the minute, % of one core. */
  cpu: number;
  accepted: number;
  failed: number;
  p99: number;
  ga4: number;
  meta: number;
  dupGa4: number;
  dupMeta: number;
  dead: number;
  pending: Record<string, number>;
  warehouse: number;
}

const COLUMNS: [string, number][] = [
  ['min', 4],
  ['phase', 12],
  ['RSS avg', 8],
  ['max MiB', 8],
  ['CPU %', 6],
  ['accepted', 9],
  ['failed', 7],
  ['p99 ms', 8],
  ['GA4', 9],
  ['Meta', 9],
  ['dup GA4', 8],
  ['dup Meta', 9],
  ['dead', 6],
  ['pend GA4', 9],
  ['pend Meta', 10],
  ['pend lake', 10],
  ['lake rows', 10],
];

function printRowHeader(): void {
  console.log(COLUMNS.map(([c, w], i) => (i === 1 ? c.padEnd(w) : c.padStart(w))).join('  '));
  console.log(COLUMNS.map(([, w]) => '-'.repeat(w)).join('  '));
}

function printRow(r: Row): void {
  const cells = [
    String(r.minute),
    r.phase,
    (r.rss / 2 ** 20).toFixed(1),
    (r.rssMax / 2 ** 20).toFixed(1),
    fmt(r.cpu, 0),
    fmt(r.accepted),
    fmt(r.failed),
    Number.isFinite(r.p99) ? fmt(r.p99, 2) : '—',
    fmt(r.ga4),
    fmt(r.meta),
    fmt(r.dupGa4),
    fmt(r.dupMeta),
    fmt(r.dead),
    fmt(r.pending.ga4 ?? NaN),
    fmt(r.pending.meta ?? NaN),
    fmt(r.pending.lake ?? NaN),
    fmt(r.warehouse),
  ];
  console.log(cells.map((c, i) => (i === 1 ? c.padEnd(COLUMNS[i]![1]) : c.padStart(COLUMNS[i]![1]))).join('  '));
}

/** What the vendors were doing during minute m (seconds [60(m−1), 60m) of the load). */
function phaseOf(minute: number): string {
  const from = (minute - 1) * 60;
  const to = minute * 60;
  if (from >= LOAD_S) return 'drain';
  const down = Math.max(0, Math.min(to, OUTAGE_TO) - Math.max(from, OUTAGE_FROM));
  if (down <= 0) return 'up';
  return down >= 60 ? 'DOWN' : `DOWN ${Math.round(down)} s`;
}

/** Tally tagrelay's log lines by level and message, and note when its breakers opened and closed. */
function watchLog(stream: NodeJS.ReadableStream, since: () => number, tally: Map<string, number>, events: string[]): void {
  let rest = '';
  stream.on('data', (buf: Buffer) => {
    const lines = (rest + buf.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      if (!line) continue;
      let entry: { level?: string; msg?: string; destination?: string; cooldown_ms?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        tally.set(`(not JSON) ${line.slice(0, 80)}`, (tally.get(`(not JSON) ${line.slice(0, 80)}`) ?? 0) + 1);
        continue;
      }
      if (entry.level !== 'warn' && entry.level !== 'error' && !/breaker|resumed|paused/.test(entry.msg ?? '')) continue;
      const key = `${entry.level} ${entry.msg}`;
      tally.set(key, (tally.get(key) ?? 0) + 1);
      if (/breaker (opened|closed)/.test(entry.msg ?? '') && events.length < 200) {
        const cooldown = entry.cooldown_ms !== undefined ? ` (cooldown ${fmt(entry.cooldown_ms / 1000, 0)} s)` : '';
        events.push(`${clock(since() / 1000)} ${entry.destination} ${entry.msg?.replace('delivery ', '')}${cooldown}`);
      }
    }
  });
}

/** The request numbers in a list of ids of this run (`parse` returns undefined for an id of another shape). */
function numbers(ids: string[], parse: (id: string) => number | undefined): { set: Set<number>; other: number } {
  const set = new Set<number>();
  let other = 0;
  for (const id of ids) {
    const n = parse(id);
    if (n === undefined) other++;
    else set.add(n);
  }
  return { set, other };
}
const fromEventId = (id: string): number | undefined => (id.startsWith(`${RUN}-`) && /^\d+$/.test(id.slice(RUN.length + 1)) ? Number(id.slice(RUN.length + 1)) : undefined);
/** GA4 identity `client_id|name|timestamp_micros`, client id `<n>.soak`. */
const fromGa4Key = (key: string): number | undefined => {
  const m = new RegExp(`^(\\d+)\\.${RUN}\\|`).exec(key);
  return m ? Number(m[1]) : undefined;
};

async function main(): Promise<void> {
  process.once('SIGINT', () => process.exit(130));
  const build = opts.tsx ? undefined : buildDist();
  const sink = await startSink({ delayMs: Number(opts['delay-ms']), control: true });
  const cfg = writeBenchConfig(sink.url);
  const { list, missing: kindsMissing } = benchDestinations(sink.url);
  if (kindsMissing.length > 0) throw new Error(`the soak needs GA4 and Meta; missing destination kinds: ${kindsMissing.join(', ')}`);
  const profDir = join(cfg.dir, 'prof');
  const command = tagrelayCommand(build, opts.profile ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []);
  const total = Math.round(RATE * LOAD_S);
  printHeader(`bench:soak — tagrelay at ${RATE} events/s for ${MINUTES} min, vendors down for ${OUTAGE_S} s in the middle`, 'bench:soak', [
    `open loop in this process: undici Pool (${CONNECTIONS} keep-alive connections), send times on a fixed clock, ${RATE}/s for ${LOAD_S} s = ${fmt(total)} requests, a distinct visitor per request (event_id ${RUN}-<n>)`,
    `tagrelay: ${command.label}${build ? ` built in ${(build.ms / 1000).toFixed(1)} s` : ''}; destinations: ${list.map((d) => `${d.id} (${d.type})`).join(', ')}; delivery defaults (claim_batch ${delivery.claim_batch}, breaker ${delivery.breaker.failures} failures, cooldown ${delivery.breaker.cooldown / 1000}–${delivery.breaker.max_cooldown / 1000} s, max_attempts ${delivery.max_attempts}, max_age ${delivery.max_age / 3_600_000} h)`,
    `vendors: bench/sink.mjs answering after ${sink.delayMs} ms; OUTAGE ${clock(OUTAGE_FROM)}–${clock(OUTAGE_TO)} of the load: GA4 and Meta ${OUTAGE_MODE === '503' ? 'answer every request 503 (after the same delay; nothing taken)' : 'refuse connections (port closed; requests on open connections dropped unread)'}`,
    `every minute: RSS avg / max = mean / highest of the minute's VmRSS samples (one a second); CPU = tagrelay's user + system time over the minute, % of one core; accepted = 2xx so far; failed = non-2xx + errors so far; p99 of the answers of the minute (from the scheduled send time); GA4/Meta = unique events at the sink; dup = events the sink took again; dead = dead_letter rows; pend = records past the destination's delivery_cursor + its delivery_retry rows (store read read-only)`,
    `after the load: wait up to ${DRAIN_MS / 1000} s until nothing is pending, then check every accepted event id at GA4, Meta and in the warehouse`,
    `targets: RSS flat (mean of the last load minute ≤ mean of minute 2 + ${Math.round(RSS_GROWTH * 100)} %), 0 accepted events lost, 0 dead-lettered, duplicates ≤ one in-flight batch per destination (GA4 ${BATCH.ga4}, Meta ${BATCH.meta} events)`,
    'load generator, server and sink share the same cores',
    ...(opts.profile ? ['PROFILING: tagrelay runs under --cpu-prof, its numbers are slower than normal; the profile is summarized at the end'] : []),
  ]);

  const { child, url } = await startTagrelay(command, cfg);
  let loadStart = performance.now();
  const since = () => performance.now() - loadStart;
  const logTally = new Map<string, number>();
  const breakerEvents: string[] = [];
  watchLog(child.proc.stdout!, since, logTally, breakerEvents);
  watchLog(child.proc.stderr!, since, logTally, breakerEvents);

  // Per request: 1 = 2xx, 2 = non-2xx, 3 = error or timeout (0 = not answered yet).
  const status = new Uint8Array(total);
  let accepted = 0;
  let failed = 0;
  let minuteLatencies: number[] = [];
  const onAnswer = (n: number, code: number, ms: number): void => {
    const ok = code >= 200 && code < 300;
    status[n] = ok ? 1 : code === 0 ? 3 : 2;
    if (ok) accepted++;
    else failed++;
    minuteLatencies.push(code === 0 ? Infinity : ms);
  };

  // RSS every second: the row shows the value at the minute mark and the highest sample of the minute.
  let rssMax = 0;
  let rssPeak = 0;
  let rssSum = 0;
  let rssCount = 0;
  const rssTimer = setInterval(() => {
    const v = rssOf(child.pid);
    if (!Number.isFinite(v)) return;
    rssSum += v;
    rssCount++;
    if (v > rssMax) rssMax = v;
    if (v > rssPeak) rssPeak = v;
  }, 1000);

  const rows: Row[] = [];
  let cpuMark = { at: performance.now(), cpu: cpuSeconds(child.pid) };
  let last: { stats: SinkStats; progress?: DeliveryProgress } | undefined;
  const snapshot = async (minute: number, phase: string): Promise<Row> => {
    const stats = await sink.stats();
    const progress = deliveryProgress(cfg.dataDir);
    last = { stats, progress };
    const lat = Float64Array.from(minuteLatencies).sort();
    minuteLatencies = [];
    const rss = rssOf(child.pid);
    const now = { at: performance.now(), cpu: cpuSeconds(child.pid) };
    const cpu = (100 * (now.cpu - cpuMark.cpu)) / ((now.at - cpuMark.at) / 1000);
    cpuMark = now;
    const row: Row = {
      minute,
      phase,
      rss: rssCount > 0 ? rssSum / rssCount : rss,
      rssMax: Math.max(rssMax, rss),
      cpu,
      accepted,
      failed,
      p99: lat.length > 0 ? percentile(lat, 99) : NaN,
      ga4: stats.unique.ga4,
      meta: stats.unique.meta,
      dupGa4: stats.duplicates.ga4,
      dupMeta: stats.duplicates.meta,
      dead: progress ? Object.values(progress.dead).reduce((a, b) => a + b, 0) : NaN,
      pending: progress?.pending ?? {},
      warehouse: progress?.warehouse ?? NaN,
    };
    rssMax = 0;
    rssSum = 0;
    rssCount = 0;
    return row;
  };

  // A row at every full minute from the start of the load, through the drain.
  let minute = 0;
  let rowTimer: ReturnType<typeof setTimeout> | undefined;
  let rowChain = Promise.resolve();
  const nextRow = (): void => {
    minute++;
    rowTimer = setTimeout(() => {
      const m = minute;
      rowChain = rowChain.then(async () => {
        const row = await snapshot(m, phaseOf(m));
        rows.push(row);
        printRow(row);
      });
      nextRow();
    }, Math.max(0, loadStart + minute * 60_000 - performance.now()));
  };

  // The outage, in the middle of the load.
  const outageTimers: ReturnType<typeof setTimeout>[] = [];
  let outageEnded = OUTAGE_S === 0;
  const at = (s: number, fn: () => Promise<void>) => outageTimers.push(setTimeout(() => void fn().catch((err: unknown) => console.error('outage switch failed:', err)), Math.max(0, loadStart + s * 1000 - performance.now())));

  console.log(`[soak] load: ${RATE}/s for ${MINUTES} min; vendors down ${clock(OUTAGE_FROM)}–${clock(OUTAGE_TO)} (${OUTAGE_MODE})`);
  printRowHeader();
  loadStart = performance.now();
  rssMax = rssSum = rssCount = 0;
  cpuMark = { at: loadStart, cpu: cpuSeconds(child.pid) };
  const cpuAtStart = { server: cpuMark.cpu, sink: cpuSeconds(sink.child.pid), generator: process.cpuUsage() };
  if (OUTAGE_S > 0) {
    at(OUTAGE_FROM, async () => {
      await sink.outage(OUTAGE_MODE);
      console.log(`  ${clock(since() / 1000)} vendors DOWN (${OUTAGE_MODE === '503' ? 'every request answered 503' : 'connections refused'})`);
    });
    at(OUTAGE_TO, async () => {
      await sink.up();
      outageEnded = true;
      console.log(`  ${clock(since() / 1000)} vendors UP`);
    });
  }
  nextRow();
  const run = await openLoop(url, { rate: RATE, seconds: LOAD_S, run: RUN, connections: CONNECTIONS, timeoutMs: TIMEOUT_MS, onAnswer });
  const loadWall = (performance.now() - loadStart) / 1000;
  const gen = process.cpuUsage(cpuAtStart.generator);
  const cpuLoad = {
    server: (100 * (cpuSeconds(child.pid) - cpuAtStart.server)) / loadWall,
    sink: (100 * (cpuSeconds(sink.child.pid) - cpuAtStart.sink)) / loadWall,
    generator: (100 * (gen.user + gen.system)) / 1e6 / loadWall,
  };

  // Drain: until nothing is pending at any destination (bounded).
  const drainStart = performance.now();
  let drained: number | undefined;
  while (performance.now() - drainStart < DRAIN_MS) {
    const p = deliveryProgress(cfg.dataDir);
    if (outageEnded && p && Object.keys(p.pending).length > 0 && Object.values(p.pending).every((n) => n === 0)) {
      drained = performance.now() - drainStart;
      break;
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (rowTimer) clearTimeout(rowTimer);
  for (const t of outageTimers) clearTimeout(t);
  await rowChain;
  const endRow = await snapshot(minute, 'end');
  printRow(endRow);
  clearInterval(rssTimer);
  console.log('');

  // Where every accepted event is: at each vendor (sink) and in the warehouse.
  const [ga4Ids, metaIds] = await Promise.all([sink.ids('ga4'), sink.ids('meta')]);
  const lakeIds = warehouseEventIds(cfg.dataDir);
  const ga4 = numbers(ga4Ids, fromGa4Key);
  const meta = numbers(metaIds, fromEventId);
  const lake = lakeIds ? numbers(lakeIds, fromEventId) : undefined;
  const missing = { ga4: 0, meta: 0, lake: 0 };
  let notAnswered = 0;
  let takenAnyway = 0;
  for (let n = 0; n < total; n++) {
    if (status[n] === 1) {
      if (!ga4.set.has(n)) missing.ga4++;
      if (!meta.set.has(n)) missing.meta++;
      if (!lake?.set.has(n)) missing.lake++;
    } else {
      if (status[n] === 0) notAnswered++;
      if (lake?.set.has(n)) takenAnyway++;
    }
  }
  const stats = last!.stats;
  const progress = deliveryProgress(cfg.dataDir) ?? last!.progress;
  const deadTotal = progress ? Object.values(progress.dead).reduce((a, b) => a + b, 0) : NaN;
  const pendingTotal = progress ? Object.values(progress.pending).reduce((a, b) => a + b, 0) : NaN;

  const stopStart = performance.now();
  const exitCode = await child.stop(10_000);
  const stopMs = performance.now() - stopStart;
  await sink.stop();
  let storeBytes = 0;
  for (const f of readdirSync(cfg.dataDir)) storeBytes += statSync(join(cfg.dataDir, f)).size;

  const codes = Object.entries(run.codes).map(([c, n]) => `${c}×${n}`).join(' ');
  console.log(`load: ${fmt(run.offered)} offered, ${fmt(run.ok)} 2xx, ${fmt(run.non2xx)} non-2xx, ${fmt(run.errors)} errors, ${fmt(run.timeouts)} timeouts (${codes}); p50 ${fmt(percentile(run.latencies, 50), 2)} ms, p99 (all) ${Number.isFinite(run.percentileAll(99)) ? fmt(run.percentileAll(99), 2) + ' ms' : '> 10 s'}, max ${fmt(run.latencies[run.latencies.length - 1] ?? NaN, 1)} ms; send lag p99 ${fmt(percentile(run.sendLag, 99), 2)} ms; generator ${fmt(run.cpuPerRequest, 0)} µs CPU/request`);
  console.log(`CPU during the load (% of one core, ${os.cpus().length} cores): tagrelay ${fmt(cpuLoad.server, 0)} %, sink ${fmt(cpuLoad.sink, 0)} %, load generator (this process) ${fmt(cpuLoad.generator, 0)} %`);
  console.log(`drain: ${drained !== undefined ? `nothing pending ${fmt((drainStart + drained - run.scheduleEnd) / 1000, 1)} s after the send schedule ended` : `still ${fmt(pendingTotal)} pending after ${DRAIN_MS / 1000} s (${Object.entries(progress?.pending ?? {}).map(([d, n]) => `${d} ${n}`).join(', ')})`}`);
  const turnedAway =
    OUTAGE_MODE === '503'
      ? `answered ${fmt(stats.outage.rejected_requests)} requests (${fmt(stats.outage.rejected_events)} events) 503`
      : `refused connections (not counted) and dropped ${fmt(stats.outage.dropped_sockets)} requests on open connections unread`;
  console.log(`sink: ${fmt(stats.requests)} requests read; during the outage it ${turnedAway}; bad JSON ${stats.bad_json}`);
  if (breakerEvents.length > 0) console.log(`breaker: ${breakerEvents.join('; ')}`);
  const tally = [...logTally.entries()].sort((a, b) => b[1] - a[1]);
  console.log(`tagrelay log (warn/error/breaker lines by message): ${tally.map(([k, n]) => `${k} × ${n}`).join('; ') || 'none'}`);
  if (progress && progress.deadReasons.length > 0) console.log(`dead-letter reasons: ${progress.deadReasons.join('; ')}`);
  if (ga4.other + meta.other + (lake?.other ?? 0) > 0) console.log(`ids of another shape: GA4 ${ga4.other}, Meta ${meta.other}, warehouse ${lake?.other ?? 'n/a'}`);
  const breakdown = storeBreakdown(cfg.dataDir);
  const perEvent = accepted > 0 ? ` = ${fmt(storeBytes / accepted / 1024, 1)} KiB per accepted event` : '';
  const tables = breakdown ? `; by table with its indexes: ${breakdown.filter((t) => t.bytes >= 2 ** 20).map((t) => `${t.name} ${mib(t.bytes)}`).join(', ')}` : '';
  console.log(`shutdown: tagrelay exited ${exitCode === null ? 'by SIGKILL (no exit within 10 s of SIGTERM)' : `with code ${exitCode}`} ${fmt(stopMs / 1000, 1)} s after SIGTERM`);
  console.log(`store: ${mib(storeBytes)} in the data dir after shutdown (${readdirSync(cfg.dataDir).join(', ')})${perEvent}${tables}`);
  console.log(`accepted ${fmt(accepted)} (2xx); not answered by the deadline ${fmt(notAnswered)}; taken by the server without a 2xx seen by the client ${fmt(takenAnyway)} (in the warehouse)`);
  console.log('');

  // Verdicts.
  const byMinute = new Map(rows.map((r) => [r.minute, r]));
  // Minute 2 (start-up and JIT settled) against the last minute of the load: needs ≥ 3 load minutes.
  const m2 = MINUTES >= 3 ? byMinute.get(2) : undefined;
  const mLast = MINUTES >= 3 ? byMinute.get(MINUTES) : undefined;
  const growth = m2 && mLast ? mLast.rss / m2.rss - 1 : NaN;
  const rssOk = Number.isFinite(growth) && growth <= RSS_GROWTH;
  const lost = missing.ga4 + missing.meta + missing.lake;
  printTable(
    ['target', 'measured', 'verdict'],
    [
      [
        `RSS flat: mean of minute ${MINUTES} ≤ minute 2 + ${Math.round(RSS_GROWTH * 100)} %`,
        m2 && mLast ? `${mib(m2.rss)} → ${mib(mLast.rss)} (${growth >= 0 ? '+' : ''}${fmt(100 * growth, 1)} %); peak ${mib(rssPeak)}` : `n/a (needs ≥ 3 load minutes; peak ${mib(rssPeak)})`,
        m2 && mLast ? verdict(rssOk) : 'n/a',
      ],
      [
        '0 accepted events lost (GA4, Meta, warehouse)',
        `missing of ${fmt(accepted)}: GA4 ${fmt(missing.ga4)}, Meta ${fmt(missing.meta)}, warehouse ${lake ? fmt(missing.lake) : 'n/a'} (at GA4 ${share(accepted - missing.ga4, accepted)})`,
        verdict(lost === 0 && lake !== undefined && accepted > 0),
      ],
      ['0 dead-lettered', `${fmt(deadTotal)}${progress ? ` (${Object.entries(progress.dead).map(([d, n]) => `${d} ${n}`).join(', ') || 'none'})` : ''}`, verdict(deadTotal === 0)],
      [
        `duplicates ≤ one in-flight batch (GA4 ${BATCH.ga4}, Meta ${BATCH.meta})`,
        `GA4 ${fmt(stats.duplicates.ga4)}, Meta ${fmt(stats.duplicates.meta)}`,
        verdict(stats.duplicates.ga4 <= BATCH.ga4 && stats.duplicates.meta <= BATCH.meta),
      ],
      ['delivery finished within the drain bound', drained !== undefined ? `${fmt((drainStart + drained - run.scheduleEnd) / 1000, 1)} s after the load` : `${fmt(pendingTotal)} still pending after ${DRAIN_MS / 1000} s`, verdict(drained !== undefined)],
    ],
  );
  if (opts.profile) {
    const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
    const copyDir = mkdtempSync(join(os.tmpdir(), 'tagrelay-prof-'));
    for (const f of files) {
      const target = join(copyDir, f);
      copyFileSync(join(profDir, f), target);
      console.log(`cpu profile of the whole run (start-up to shutdown): ${target}\n(summarize again: npm run bench:profile -- ${target})\n`);
      printSummary(target, 15);
    }
    if (files.length === 0) console.log('no .cpuprofile was written (did the server exit cleanly?)');
  }
  rmSync(cfg.dir, { recursive: true, force: true });
  if (build) rmSync(build.root, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
