/**
 * @module Reliability harness: the real CLI as a child process on 127.0.0.1, a config file, event posting,
 * reading its store, and the tally of accepted / delivered / duplicated / dead-lettered events a
 * reliability test reports (issue 13).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openStoreFile } from '../helpers/store-file.js';

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

/** The Meta Conversions API destination entry for a fake at `url`. */
export function metaDestination(id: string, url: string, extra: Record<string, unknown> = {}) {
  // The harness posts server events without a page URL: Meta takes them as action_source other (a
  // website event without event_source_url would be skipped, as Meta requires).
  return { id, type: 'meta_capi', pixel_id: META_PIXEL, access_token: META_TOKEN, endpoint: url, server_action_source: 'other', ...extra };
}
export const META_PIXEL = '123456789012345';
export const META_TOKEN = 'reliability-meta-token';

/** Event ids in Meta request bodies. */
export function metaEventIds(bodies: ({ data?: { event_id?: unknown }[] } | undefined)[]): string[] {
  return bodies.flatMap((b) => (b?.data ?? []).map((e) => String(e.event_id)));
}

/** How many times each id occurs. */
export function copies(ids: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const id of ids) out.set(id, (out.get(id) ?? 0) + 1);
  return out;
}

/** Run `fn` on a read-only connection to the proxy's store in `dataDir` (safe while it runs: WAL). */
export function readStore<T>(dataDir: string, fn: (db: Database.Database) => T): T {
  const db = openStoreFile(join(dataDir, 'tagrelay.db'), { readonly: true, fileMustExist: true });
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

/** Event ids the store recorded as delivered to `destination`. */
export function deliveredInStore(db: Database.Database, destination: string): Set<string> {
  const rows = db.prepare("SELECT event_id FROM delivery_log WHERE destination_id = ? AND status = 'delivered'").all(destination) as { event_id: string }[];
  return new Set(rows.map((r) => r.event_id));
}

/** What one destination ended with: exact counts, never rates. */
export interface DestinationTally {
  /** Distinct accepted events the vendor answered 2xx for. */
  delivered: number;
  /** Events the vendor received (2xx) more than once. */
  duplicated: number;
  /** Copies beyond the first, summed over events. */
  extra_copies: number;
  /** Rows in the dead-letter store. */
  dead_lettered: number;
  /** Accepted events neither delivered nor dead-lettered. */
  lost: number;
}

/** Tally one destination from the ids its vendor answered 2xx for and its dead-letter count. */
export function tally(accepted: readonly string[], vendorIds: readonly string[], deadLettered: number): DestinationTally {
  const counts = copies(vendorIds);
  const delivered = accepted.filter((id) => counts.has(id)).length;
  const repeated = [...counts.values()].filter((n) => n > 1);
  return {
    delivered,
    duplicated: repeated.length,
    extra_copies: repeated.reduce((sum, n) => sum + n - 1, 0),
    dead_lettered: deadLettered,
    lost: accepted.length - delivered - deadLettered,
  };
}

/**
 * Report a scenario's exact counts: one line on stdout and a test annotation, so a run's output shows
 * what happened and not only that the bounds held.
 */
export async function report(
  annotate: (message: string, type?: string) => Promise<unknown>,
  scenario: string,
  counts: { accepted: number; [key: string]: number | DestinationTally | Record<string, number> },
): Promise<void> {
  const line = `${scenario}: ${JSON.stringify(counts)}`;
  console.info(`[reliability] ${line}`);
  await annotate(line, 'counts');
}
