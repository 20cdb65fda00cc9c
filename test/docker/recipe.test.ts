/**
 * @module Proves the Dockerfile without a Docker engine: interpret its stages on the host, then run the final CMD.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStoreFile } from '../helpers/store-file.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dockerignore, parseDockerfile, type Stage } from './dockerfile.js';
import { exec, interpret, isOsStep, makeContext, type BuiltStage } from './interpret.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_TIMEOUT = 600_000;

/** Wait until the server answers /healthz or the process dies (no timing assertion: a readiness wait). */
async function waitReady(child: ChildProcess, url: string, output: () => string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`CMD exited ${child.exitCode} before listening:\n${output()}`);
    try {
      const res = await fetch(url);
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`CMD never became healthy:\n${output()}`);
}

/**
 * The npm major the official image ships (node 20 and 22 bundle npm 10, node 24+ npm 11). RUN steps use
 * it rather than the host's npm: npm 11.19 rejects this lockfile in `npm ci` (deno declares platform
 * packages that were never published), npm 10 accepts it, and the image is what matters here.
 */
function imageNpmMajor(from: string): number {
  const major = Number(from.match(/^node:(\d+)/)?.[1]);
  return major >= 24 ? 11 : 10;
}

describe('Dockerfile recipe (interpreted without an engine)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tagrelay-docker-'));
  let stages: Stage[];
  let built: BuiltStage[];
  let final: BuiltStage;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    stages = parseDockerfile(readFileSync(join(REPO, 'Dockerfile'), 'utf8'));
    makeContext(REPO, join(root, 'context'));
    const npm = `npm@${imageNpmMajor(stages.at(-1)!.from)}`;
    const tools = join(root, 'toolchain');
    const setup = await exec('npm', ['install', '--prefix', tools, npm, '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: root,
      env: process.env,
    });
    if (setup.code !== 0) throw new Error(`installing ${npm} failed:\n${setup.output}`);
    const PATH = `${join(tools, 'node_modules/.bin')}:${process.env.PATH ?? ''}`;
    console.log(`RUN steps use ${npm} (the image's npm), host node ${process.version}`);
    built = await interpret(stages, join(root, 'context'), join(root, 'stages'), { PATH, npm_config_prefer_offline: 'true' });
    final = built.at(-1)!;
    for (const b of built) {
      console.log(`stage ${b.stage.index} (${b.stage.name ?? 'final'}, FROM ${b.stage.from})`);
      for (const s of b.ran) console.log(`  ran:     ${s}`);
      for (const s of b.skipped) console.log(`  skipped: ${s}  (OS package/user step, needs a container)`);
    }
  }, BUILD_TIMEOUT);

  // Removing two node_modules trees can take a while on a busy disk.
  afterAll(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  }, 180_000);

  it('final stage: node:22-slim or newer, non-root USER, data volume, port 8080, compiled CMD', () => {
    const m = final.stage.from.match(/^node:(\d+)(?:\.[\d.]+)?-slim$/);
    expect(m, final.stage.from).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThanOrEqual(22);
    expect(final.user).toBeDefined();
    expect(['root', '0', '0:0', 'root:root']).not.toContain(final.user);
    expect(final.stage.instructions.find((i) => i.keyword === 'ENV' && /TAGRELAY_DATA_DIR=\/app\/data\b/.test(i.args))).toBeDefined();
    expect(final.volumes).toContain('/app/data');
    expect(final.exposed).toContain('8080');
    expect(final.workdir).toBe('/app');
    expect(final.cmd).toEqual(['node', 'dist/runtime/node/cli.js', 'serve']);
  });

  it('final stage installs with npm ci --omit=dev, and installs and purges the toolchain in that same layer', () => {
    const runs = final.stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    const install = runs.find((r) => /npm ci\b[^&]*--omit=dev/.test(r));
    expect(install).toBeDefined();
    expect(install).toMatch(/apt-get install[^&]*\bg\+\+/);
    expect(install).toMatch(/apt-get (?:purge|remove)[^&]*\bg\+\+/);
    expect(install!.indexOf('apt-get install')).toBeLessThan(install!.indexOf('npm ci'));
    expect(install!.indexOf('npm ci')).toBeLessThan(install!.search(/apt-get (?:purge|remove)/));
  });

  it('HEALTHCHECK probes /healthz with node (slim has no curl)', () => {
    expect(final.healthcheck).toBeDefined();
    expect(final.healthcheck!.command[0]).toBe('node');
    expect(final.healthcheck!.command.join(' ')).toContain('/healthz');
  });

  it('the build context honours .dockerignore', () => {
    const rules = dockerignore(readFileSync(join(REPO, '.dockerignore'), 'utf8'));
    for (const name of ['node_modules', 'data', 'dist', '.git']) {
      expect(rules.ignored(name), name).toBe(true);
      expect(existsSync(join(root, 'context', name)), name).toBe(false);
    }
    expect(rules.ignored('src/app.ts')).toBe(false);
    expect(existsSync(join(root, 'context', 'src', 'app.ts'))).toBe(true);
    expect(existsSync(join(root, 'context', 'package-lock.json'))).toBe(true);
  });

  it('ran every project step, skipping only OS-package steps', () => {
    for (const b of built) {
      expect(b.ran.some((s) => s.startsWith('npm ')), `stage ${b.stage.index}`).toBe(true);
      for (const s of b.skipped) expect(isOsStep(s), s).toBe(true);
    }
    expect(built[0]!.ran.some((s) => s.startsWith('npm run build'))).toBe(true);
    expect(final.ran.some((s) => /^npm ci\b.*--omit=dev/.test(s))).toBe(true);
  });

  it('final stage holds compiled code, config, production deps and the native addon, but no sources or dev tools', () => {
    expect(existsSync(join(final.dir, 'dist/runtime/node/cli.js'))).toBe(true);
    expect(existsSync(join(final.dir, 'config/default.yaml'))).toBe(true);
    expect(existsSync(join(final.dir, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    expect(existsSync(join(final.dir, 'node_modules/hono/package.json'))).toBe(true);
    expect(existsSync(join(final.dir, 'node_modules/typescript'))).toBe(false);
    expect(existsSync(join(final.dir, 'node_modules/vitest'))).toBe(false);
    expect(existsSync(join(final.dir, 'src'))).toBe(false);
    expect(existsSync(join(final.dir, 'data'))).toBe(true);
  });

  it('the CMD serves: HEALTHCHECK exits 0, an event is accepted, SIGTERM exits cleanly, store in the data volume', async () => {
    const port = await freePort();
    // Only what the image sets, plus what `docker run -e` would: no dev-machine variables leak in.
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...final.env, PORT: String(port), HOST: '127.0.0.1' };
    const dataDir = env.TAGRELAY_DATA_DIR;
    expect(dataDir).toBe(join(final.dir, 'data'));
    const [cmd, ...args] = final.cmd!;
    let output = '';
    const proc = spawn(cmd!, args, { cwd: final.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout.on('data', (b: Buffer) => (output += b.toString()));
    proc.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const base = `http://127.0.0.1:${port}`;
    await waitReady(proc, `${base}/healthz`, () => output);

    const [hcCmd, ...hcArgs] = final.healthcheck!.command;
    const healthy = await exec(hcCmd!, hcArgs, { cwd: final.dir, env });
    expect(healthy.code, healthy.output).toBe(0);

    const eventId = `docker-${Date.now().toString(36)}`;
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'page_view', event_id: eventId }),
    });
    expect(res.status).toBe(202);

    proc.kill('SIGTERM');
    const { code, signal } = await exited;
    expect({ code, signal }, output).toEqual({ code: 0, signal: null });

    const down = await exec(hcCmd!, hcArgs, { cwd: final.dir, env });
    expect(down.code).not.toBe(0);

    // The store opened where the image's TAGRELAY_DATA_DIR (the /app/data volume) points, and holds
    // the accepted event's record (the 202 meant durable) and its warehouse row (delivered by shutdown at the latest).
    expect(readdirSync(dataDir!)).toContain('tagrelay.db');
    const store = openStoreFile(join(dataDir!, 'tagrelay.db'), { readonly: true, fileMustExist: true });
    try {
      expect(store.prepare('SELECT event_id FROM records WHERE event_id = ?').all(eventId)).toEqual([{ event_id: eventId }]);
      expect(store.prepare('SELECT name FROM events WHERE event_id = ?').all(eventId)).toEqual([{ name: 'page_view' }]);
    } finally {
      store.close();
    }
  });
});
