/**
 * A read-only data dir, for real: a tmpfs mounted `ro` for this test (root / CAP_SYS_ADMIN, which the
 * test container has; a 0555 directory would not stop root). The kernel answers EROFS to every create,
 * as on a read-only volume mount. Permission bits are tested with the CLI run as `nobody` (uid 65534),
 * for whom they do apply. The proxy must exit non-zero with one line that says why.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeConfig } from './harness.js';

/** Run `tagrelay <args>` to its end; its exit code and stderr. */
function runCli(args: string[], dataDir: string, as?: { uid: number; gid: number }): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/runtime/node/cli.ts', ...args], {
    ...as,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', TAGRELAY_DATA_DIR: dataDir, TAGRELAY_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // A proxy that did start would never exit by itself: the test's timeout then reports it.
  return new Promise((ok) => child.once('exit', (code) => ok({ code, stderr })));
}

describe('the data dir is read-only (a read-only tmpfs)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tagrelay-ro-'));
  const data = join(dir, 'data');

  beforeAll(() => {
    chmodSync(dir, 0o755);
    mkdirSync(data);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', data]);
  });
  afterAll(() => {
    execFileSync('umount', [data]);
    rmSync(dir, { recursive: true, force: true });
  });

  const config = () => {
    const file = writeConfig(dir, { destinations: [{ id: 'lake', type: 'sqlite' }] });
    chmodSync(file, 0o644);
    return file;
  };
  const nobody = { uid: 65534, gid: 65534 };

  it('serve exits non-zero with one line naming the store and the reason', async () => {
    const { code, stderr } = await runCli(['serve', '--config', config()], data);
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(stderr.trim().split('\n')).toEqual([`tagrelay: cannot open the store at ${join(data, 'tagrelay.db')}: read-only directory`]);
  });

  it('a data dir still to be created under a read-only mount: the same one line', async () => {
    const { code, stderr } = await runCli(['serve', '--config', config()], join(data, 'sub'));
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toEqual([`tagrelay: cannot open the store at ${join(data, 'sub', 'tagrelay.db')}: read-only directory`]);
  });

  it('offline commands (purge) say the same', async () => {
    const { code, stderr } = await runCli(['purge', '--dry-run', '--config', config()], data);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toEqual([`tagrelay: cannot open the store at ${join(data, 'tagrelay.db')}: read-only directory`]);
  });

  it('an existing store on a volume remounted read-only: the same one line', async () => {
    const volume = join(dir, 'volume');
    mkdirSync(volume);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', volume]);
    try {
      writeFileSync(join(volume, 'tagrelay.db'), '');
      execFileSync('mount', ['-o', 'remount,ro', volume]);
      const { code, stderr } = await runCli(['serve', '--config', config()], volume);
      expect(code).not.toBe(0);
      expect(stderr.trim().split('\n')).toEqual([`tagrelay: cannot open the store at ${join(volume, 'tagrelay.db')}: read-only directory`]);
    } finally {
      execFileSync('umount', [volume]);
    }
  });

  it('as an unprivileged user, a 0555 data dir: the same one line', async () => {
    const locked = join(dir, 'locked');
    mkdirSync(locked, { mode: 0o555 });
    const { code, stderr } = await runCli(['serve', '--config', config()], locked, nobody);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toEqual([`tagrelay: cannot open the store at ${join(locked, 'tagrelay.db')}: read-only directory`]);
  });

  it('as an unprivileged user, a 0444 store file in a writable dir: says the file is read-only', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'tagrelay.db'), '', { mode: 0o444 });
    const { code, stderr } = await runCli(['serve', '--config', config()], open, nobody);
    expect(code).not.toBe(0);
    expect(stderr.trim().split('\n')).toEqual([`tagrelay: cannot open the store at ${join(open, 'tagrelay.db')}: read-only file`]);
  });
});
