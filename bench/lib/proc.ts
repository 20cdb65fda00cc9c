/**
 * @module Child processes for the benchmarks: spawn, wait for a log line, sample RSS, stop.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** RSS of a process in bytes, from /proc/<pid>/status (VmRSS); `ps` where /proc is absent. */
export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Samples a process's RSS every `everyMs` until stopped; keeps the peak and the last value. */
export function sampleRss(pid: number, everyMs = 200): { stop(): { peak: number; last: number } } {
  let peak = rssOf(pid);
  let last = peak;
  const timer = setInterval(() => {
    last = rssOf(pid);
    if (last > peak || Number.isNaN(peak)) peak = last;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      last = rssOf(pid);
      if (last > peak) peak = last;
      return { peak, last };
    },
  };
}

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

/** A spawned child with its collected stderr lines. */
export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Lines the child wrote to stderr and stdout (bounded). */
  lines: string[];
  /** Resolves with the first line matching, rejects when the child exits first or after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * Children still running and temp dirs not yet removed: at exit the children are killed and the dirs
 * removed, so a benchmark that fails half-way leaves no server or data behind.
 */
const running = new Set<ChildProcess>();
const tempDirs = new Set<string>();
process.once('exit', () => {
  for (const p of running) p.kill('SIGKILL');
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when this process exits (earlier removal is fine). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/**
 * @example
 * const child = startChild(process.execPath, ['server.mjs'], { env: { PORT: '0' } })
 * await child.waitFor(/listening/)
 */
export function startChild(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Child {
  const proc = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(proc);
  const lines: string[] = [];
  const waiters: { pattern: RegExp; ok(line: string): void }[] = [];
  let exited = false;
  const onData = (buf: Buffer) => {
    for (const line of buf.toString('utf8').split('\n')) {
      if (!line) continue;
      if (lines.length < 5000) lines.push(line);
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.ok(line);
        }
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exit = new Promise<number | null>((done) =>
    proc.once('exit', (code) => {
      exited = true;
      running.delete(proc);
      done(code);
    }),
  );
  return {
    proc,
    pid: proc.pid!,
    lines,
    waitFor(pattern, timeoutMs = 60_000) {
      const hit = lines.find((l) => pattern.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`timed out waiting for ${pattern}; output:\n${lines.slice(-20).join('\n')}`)), timeoutMs);
        waiters.push({ pattern, ok: (l) => (clearTimeout(timer), ok(l)) });
        void exit.then((code) => {
          clearTimeout(timer);
          fail(new Error(`child exited (${code}) before ${pattern}; output:\n${lines.slice(-20).join('\n')}`));
        });
      });
    },
    async stop(graceMs = 10_000) {
      if (!exited) proc.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) proc.kill('SIGKILL');
      }, graceMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Start a server child and wait for its JSON "listening" log line (`{"port": …}`); returns the child
 * and its base URL on 127.0.0.1.
 *
 * @example
 * const { child, url } = await startListening(process.execPath, ['bench/bare-hono.mjs'], /listening/)
 */
export async function startListening(
  cmd: string,
  args: string[],
  pattern: RegExp,
  opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Promise<{ child: Child; url: string }> {
  const child = startChild(cmd, args, { ...opts, env: { PORT: '0', ...opts.env } });
  const line = await child.waitFor(pattern);
  return { child, url: `http://127.0.0.1:${(JSON.parse(line) as { port: number }).port}` };
}

/** Clock ticks per second of /proc/<pid>/stat times. */
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** CPU seconds (user + system) a process (or one of its threads, `tid`) has used so far, from /proc; NaN when unreadable. */
export function cpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return NaN;
  }
}
