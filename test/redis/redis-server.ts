/**
 * @module A real redis-server (Debian's package) for tests: on 127.0.0.1, a free port, its data and
 * AOF in a temp dir; stopped (or killed) and restarted on the same dir and port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from '../../bench/lib/proc.js';

export const REDIS_SERVER = '/usr/bin/redis-server';

/** A running (or stopped) redis-server. */
export interface TestRedis {
  url: string;
  port: number;
  dir: string;
  /** A client for assertions (connects lazily, reconnects after a restart). */
  client(): Redis;
  /** SIGKILL (no shutdown save) or SIGTERM; resolves once the process is gone. */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Start again on the same port and dir (AOF replayed). */
  start(): Promise<void>;
  /** Stop and remove the dir. */
  close(): Promise<void>;
}

/**
 * Start redis-server with AOF (`appendfsync` as given; `always` loses nothing acknowledged).
 *
 * @example
 * const redis = await startRedis({ appendfsync: 'always' })
 */
export async function startRedis(opts: { appendfsync?: 'always' | 'everysec' } = {}): Promise<TestRedis> {
  if (spawnSync(REDIS_SERVER, ['--version']).status !== 0) throw new Error(`${REDIS_SERVER} does not run: install Debian's redis-server (test/tools/ensure-tools.mjs does)`);
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();
  let log = '';
  let client: Redis | undefined;

  async function start(): Promise<void> {
    log = '';
    const c = spawn(
      REDIS_SERVER,
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--appendonly', 'yes', '--appendfsync', opts.appendfsync ?? 'always', '--save', '', '--protected-mode', 'yes', '--daemonize', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = c;
    exited = new Promise((done) => c.once('exit', () => done()));
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${log}`)), 15_000);
      const onData = (chunk: Buffer) => {
        log += chunk.toString();
        if (/Ready to accept connections/.test(log)) {
          clearTimeout(timer);
          ok();
        }
      };
      c.stdout!.on('data', onData);
      c.stderr!.on('data', onData);
      c.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited with ${code}: ${log}`));
      });
    });
  }

  async function stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    if (child && child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  }

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    client() {
      client ??= new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1, retryStrategy: () => 200 });
      return client;
    },
    stop,
    start,
    async close() {
      client?.disconnect();
      await stop('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
