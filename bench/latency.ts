/**
 * @module bench:latency — one request at a time (no queueing): the latency a single browser sees.
 *
 * Usage: npm run bench:latency -- [--requests 2000]
 * Starts the sink, the compiled tagrelay (same config as bench:ingest) and bare Hono, then sends
 * the 660-byte event sequentially with undici keep-alive and prints p50/p90/p99/max for both.
 */
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { rmSync } from 'node:fs';
import { Agent, request } from 'undici';
import { printHeader, printTable, fmt, percentile } from './lib/report.js';
import { startListening } from './lib/proc.js';
import { startSink } from './lib/sink.js';
import { writeBenchConfig } from './lib/config.js';
import { buildDist, startTagrelay, tagrelayCommand } from './lib/build.js';
import { eventBody, EVENT_HEADERS } from './lib/event.js';

const { values } = parseArgs({ options: { requests: { type: 'string', default: '2000' } } });
const total = Number(values.requests);

async function run(url: string, label: string): Promise<(string | number)[]> {
  const dispatcher = new Agent({ connections: 1 });
  const times: number[] = [];
  for (let i = 0; i < total + 200; i++) {
    const started = performance.now();
    const res = await request(`${url}/v1/events`, { method: 'POST', headers: EVENT_HEADERS, body: eventBody(`lat-${label}-${i}`), dispatcher });
    await res.body.dump();
    if (res.statusCode >= 300) throw new Error(`${label}: HTTP ${res.statusCode}`);
    if (i >= 200) times.push(performance.now() - started); // the first 200 warm up
  }
  await dispatcher.close();
  times.sort((a, b) => a - b);
  return [label, total, fmt(percentile(times, 50), 2), fmt(percentile(times, 90), 2), fmt(percentile(times, 99), 2), fmt(times.at(-1)!, 2)];
}

printHeader('bench:latency — one request at a time', 'bench:latency', [`${total} sequential requests per target after 200 warm-up; undici, one keep-alive connection`]);
const build = buildDist();
const sink = await startSink();
const cfg = writeBenchConfig(sink.url);
const rows: (string | number)[][] = [];
const bare = await startListening(process.execPath, [fileURLToPath(new URL('./bare-hono.mjs', import.meta.url))], /listening/);
rows.push(await run(bare.url, 'bare hono'));
await bare.child.stop();
const tagrelay = await startTagrelay(tagrelayCommand(build), cfg);
rows.push(await run(tagrelay.url, 'tagrelay'));
await tagrelay.child.stop(30_000);
await sink.stop();
printTable(['target', 'requests', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], rows);
rmSync(cfg.dir, { recursive: true, force: true });
rmSync(build.root, { recursive: true, force: true });
