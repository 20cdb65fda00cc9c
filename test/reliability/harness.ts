/**
 * @module Reliability harness: the real CLI as a child process on 127.0.0.1, a config file, event posting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A running proxy process. */
export interface ProxyProcess {
  child: ChildProcess;
  base: string;
  pid: number;
  stderr(): string;
  /** Resolves with the exit code or signal once the process is gone. */
  exited: Promise<string>;
}

/** Write `config` (JSON is valid YAML) into `dir` and return its path. */
export function writeConfig(dir: string, config: unknown, name = 'tagrelay.yaml'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** Start `tagrelay serve` on a random port with its store in `dataDir`; resolves once it listens. */
export function startProxy(configFile: string, dataDir: string): Promise<ProxyProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', 'serve', '--config', configFile], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_DATA_DIR: dataDir, TAGRELAY_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  const exited = new Promise<string>((done) => child.once('exit', (code, signal) => done(signal ?? String(code))));
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`proxy did not start: ${err.slice(-2000)}`)), 20_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        ok({ child, base: `http://127.0.0.1:${m[1]}`, pid: child.pid!, stderr: () => err, exited });
      }
    });
    void exited.then((how) => {
      clearTimeout(timer);
      fail(new Error(`proxy exited (${how}) before listening: ${err.slice(-2000)}`));
    });
  });
}

/** SIGKILL the process (if still running) and wait until it is gone. */
export async function kill(proxy: ProxyProcess | undefined): Promise<void> {
  if (!proxy) return;
  if (proxy.child.exitCode === null && proxy.child.signalCode === null) proxy.child.kill('SIGKILL');
  await proxy.exited;
}

/** One native event with its id in the params too (`eid`), so vendor payloads can be matched. */
export function event(id: string, name = 'purchase') {
  return { name, event_id: id, params: { eid: id, currency: 'EUR', value: 1 }, consent: { analytics_storage: 'granted', ad_storage: 'granted', ad_user_data: 'granted', ad_personalization: 'granted' } };
}

/** POST one event; the status, or `'no answer'` when the connection failed. */
export async function postEvent(base: string, id: string): Promise<number | 'no answer'> {
  try {
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(event(id)),
      signal: AbortSignal.timeout(10_000),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'no answer';
  }
}

/** The GA4 destination entry for a fake at `url`. */
export function ga4Destination(id: string, url: string, extra: Record<string, unknown> = {}) {
  return { id, type: 'ga4', measurement_id: 'G-RELIABLE1', api_secret: 'test-secret', endpoint: url, ...extra };
}

/** Event ids (`eid` params) in GA4 request bodies. */
export function ga4EventIds(bodies: ({ events?: { params?: Record<string, unknown> }[] } | undefined)[]): string[] {
  return bodies.flatMap((b) => (b?.events ?? []).map((e) => String(e.params?.eid)));
}
