/**
 * @module Closed-loop HTTP load (as fast as the server answers) with a distinct visitor per request: wrk with a Lua script, autocannon as the fallback.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { percentile } from './report.js';
import { EVENT_HEADERS, visitorBody, visitorTemplate } from './event.js';
import { tempDir } from './proc.js';

/** The load generator in use, and what the header should say about how it was chosen. */
export interface Loader {
  tool: 'wrk' | 'autocannon';
  note: string;
}

const hasWrk = (): boolean => !spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error;

/**
 * wrk when it is on the PATH; when it is not, install it with apt-get (saying so); autocannon (in this
 * process, slower and sharing this process's core) only when that fails or `prefer` says so.
 */
export function chooseLoader(prefer: 'wrk' | 'autocannon' = 'wrk'): Loader {
  if (prefer === 'autocannon') return { tool: 'autocannon', note: 'autocannon in this process (asked for with --loader autocannon)' };
  if (hasWrk()) return { tool: 'wrk', note: 'wrk (found on the PATH)' };
  console.log('wrk is not installed: installing it with `apt-get update && apt-get install -y wrk` …');
  try {
    const apt = { stdio: 'inherit' as const, timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } };
    execFileSync('apt-get', ['update', '-qq'], apt);
    execFileSync('apt-get', ['install', '-y', '-qq', 'wrk'], apt);
  } catch (err) {
    const why = String((err as Error).message).split('\n')[0];
    console.log(`apt-get failed (${why}); falling back to autocannon`);
    return { tool: 'autocannon', note: `FALLBACK: autocannon in this process — wrk is missing and apt-get failed (${why})` };
  }
  if (hasWrk()) return { tool: 'wrk', note: 'wrk (installed by this run with apt-get)' };
  return { tool: 'autocannon', note: 'FALLBACK: autocannon in this process — apt-get ran but wrk is still not on the PATH' };
}

/** One closed-loop run. Latencies in ms; `ok` counts 2xx responses. */
export interface LoadRun {
  seconds: number;
  ok: number;
  reqPerSec: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  detail: string;
}

export interface LoadOptions {
  /** Alphanumeric label that makes this run's visitors and event ids distinct from every other run's. */
  run: string;
  seconds: number;
  connections: number;
  /** wrk threads (ignored by autocannon). */
  threads: number;
}

/** A Lua long string that cannot be closed by its content. */
function luaString(s: string): string {
  let eq = '=';
  while (s.includes(`]${eq}]`)) eq += '=';
  return `[${eq}[${s}]${eq}]`;
}

/**
 * The wrk script: request n's body is the visitor template joined with n (each thread numbers its own
 * requests `counter × threads + thread`, so no two requests share a visitor); `done` prints one JSON line.
 */
function wrkScript(run: string, threads: number): string {
  const parts = visitorTemplate(run);
  const headers = Object.entries(EVENT_HEADERS)
    .map(([k, v]) => `wrk.headers[ ${luaString(k)} ] = ${luaString(v)}`)
    .join('\n');
  const body = parts.map((p, i) => (i === 0 ? luaString(p) : `s .. ${luaString(p)}`)).join(' .. ');
  return `-- written by bench/lib/closed-loop.ts: a distinct visitor per request
wrk.method = "POST"
wrk.path = "/v1/events"
${headers}
local nthreads = ${threads}
local created = 0
local counter = 0
local me = 0
function setup(thread)
  thread:set("thread_no", created)
  created = created + 1
end
function init(args)
  me = thread_no or 0
end
function request()
  local s = string.format("%d", counter * nthreads + me)
  counter = counter + 1
  return wrk.format(nil, nil, nil, ${body})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_JSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%.0f,"p90":%.0f,"p99":%.0f,"max":%.0f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;
}

async function runWrk(url: string, o: LoadOptions): Promise<LoadRun> {
  const dir = tempDir('tagrelay-wrk-');
  try {
    const script = join(dir, 'visitors.lua');
    writeFileSync(script, wrkScript(o.run, o.threads));
    const args = ['-t', String(o.threads), '-c', String(o.connections), '-d', `${o.seconds}s`, '--timeout', '10s', '-s', script, `${url}/v1/events`];
    const out = await new Promise<string>((ok, fail) => {
      const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      p.stdout.on('data', (b: Buffer) => (text += b.toString()));
      p.stderr.on('data', (b: Buffer) => (text += b.toString()));
      p.once('error', fail);
      p.once('exit', (code) => (code === 0 ? ok(text) : fail(new Error(`wrk exited ${code}:\n${text}`))));
    });
    const line = /WRK_JSON (\{.*\})/.exec(out)?.[1];
    if (!line) throw new Error(`wrk printed no summary:\n${out}`);
    const r = JSON.parse(line) as Record<string, number>;
    const seconds = r.duration_us! / 1e6;
    // wrk counts a response with status > 399 as a "status" error; everything else it read is a 2xx here.
    const ok = r.requests! - r.status!;
    const errors = r.connect! + r.read! + r.write! + r.timeout!;
    return {
      seconds,
      ok,
      reqPerSec: ok / seconds,
      p50: r.p50! / 1000,
      p90: r.p90! / 1000,
      p99: r.p99! / 1000,
      max: r.max! / 1000,
      non2xx: r.status!,
      errors,
      detail: `connect ${r.connect} read ${r.read} write ${r.write} timeout ${r.timeout} status≥400 ${r.status}`,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function runAutocannon(url: string, o: LoadOptions): Promise<LoadRun> {
  const parts = visitorTemplate(o.run);
  let n = 0;
  const latencies: number[] = [];
  return new Promise((ok, fail) => {
    const instance = autocannon(
      {
        url,
        connections: o.connections,
        duration: o.seconds,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/v1/events',
            headers: EVENT_HEADERS,
            setupRequest: (req) => ({ ...req, body: visitorBody(parts, n++) }),
          },
        ],
      },
      (err, result) => {
        if (err) return fail(err);
        const sorted = Float64Array.from(latencies).sort();
        ok({
          seconds: result.duration,
          ok: result['2xx'],
          reqPerSec: result['2xx'] / result.duration,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          max: sorted[sorted.length - 1] ?? NaN,
          non2xx: result.non2xx,
          errors: result.errors + result.timeouts,
          detail: Object.entries(result.statusCodeStats).map(([c, s]) => `${c}×${s.count}`).join(' '),
        });
      },
    );
    // Exact per-response times of 2xx responses (autocannon's own histogram rounds to 1 ms).
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latencies.push(ms);
    });
  });
}

/**
 * Load `url`'s POST /v1/events with `connections` connections for `seconds` seconds.
 *
 * @example
 * const run = await closedLoop(chooseLoader(), 'http://127.0.0.1:8080', { run: 'peak', seconds: 10, connections: 50, threads: 1 })
 */
export function closedLoop(loader: Loader, url: string, o: LoadOptions): Promise<LoadRun> {
  return loader.tool === 'wrk' ? runWrk(url, o) : runAutocannon(url, o);
}
