/**
 * @module Child processes for integration tests: the real tagrelay CLI on a random 127.0.0.1 port.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** A CLI child that logged its port. */
export interface StartedProcess {
  child: ChildProcess;
  port: number;
  /** Everything the child wrote to stderr so far (its JSON log). */
  stderr: () => string;
  /** SIGTERM, wait for exit (bounded), SIGKILL if it did not; resolves with the exit code. */
  stop: (timeoutMs?: number) => Promise<number | null>;
}

/** Start the real CLI as a child process on a random 127.0.0.1 port; resolve once it logs its port. */
export function startProcess(args: string[], env: Record<string, string>): Promise<StartedProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', ...args], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const stop = async (timeoutMs = 10_000): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    child.kill('SIGTERM');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const code = await Promise.race([exited, new Promise<'timeout'>((ok) => (timer = setTimeout(() => ok('timeout'), timeoutMs)))]);
    clearTimeout(timer);
    if (code !== 'timeout') return code;
    child.kill('SIGKILL');
    return exited;
  };
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${err}`)), 15_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      err += chunk.toString();
      const m = /"msg":"tagrelay listening".*?"port":(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        ok({ child, port: Number(m[1]), stderr: () => err, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`server exited with ${code}: ${err}`));
    });
  });
}

/** What a finished CLI run printed. */
export interface CliResult {
  code: number | null;
  out: string;
  err: string;
}

/** Run the real CLI to completion (`tagrelay <args>`) and resolve with its exit code and output. */
export function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  return new Promise((ok) => child.once('exit', (code) => ok({ code, out, err })));
}
