/**
 * @module Interpret parsed Dockerfile stages on the host: one temp directory per stage's WORKDIR, real COPY and RUN.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, posix, relative } from 'node:path';
import { dockerignore, parseEnv, shellWords, splitAndChain, type Stage } from './dockerfile.js';

/** What a stage left behind once interpreted. */
export interface BuiltStage {
  stage: Stage;
  /** The host directory standing in for the stage's WORKDIR. */
  dir: string;
  workdir: string;
  /** ENV as set in the image, with paths under WORKDIR mapped to `dir`. */
  env: Record<string, string>;
  user?: string;
  cmd?: string[];
  healthcheck?: { flags: Record<string, string>; command: string[] };
  volumes: string[];
  exposed: string[];
  /** RUN steps executed on the host, and OS-package steps skipped. */
  ran: string[];
  skipped: string[];
}

/** Steps that change the OS image rather than the project: no meaning outside a container, never run here. */
const OS_STEP = /^(?:apt-get|apt|dpkg|useradd|groupadd|adduser|addgroup|chown)\b|^rm -rf \/var\/lib\/apt\/lists\//;

/** Whether a RUN step is an OS-package/user step that the interpreter skips. */
export function isOsStep(step: string): boolean {
  return OS_STEP.test(step);
}

/** Run a command, resolving with its exit code and output. */
export function exec(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/**
 * Copy `repoDir` into `contextDir` the way `docker build` sends its context: every file on disk
 * (not just git-tracked ones) except what `.dockerignore` excludes.
 */
export function makeContext(repoDir: string, contextDir: string): void {
  const ignoreFile = join(repoDir, '.dockerignore');
  const rules = dockerignore(existsSync(ignoreFile) ? readFileSync(ignoreFile, 'utf8') : '');
  cpSync(repoDir, contextDir, {
    recursive: true,
    filter: (src) => {
      const rel = relative(repoDir, src).split('\\').join('/');
      if (rel === '') return true;
      if (!rules.ignored(rel)) return true;
      // Descend into an excluded directory only if some `!` rule could re-include something below it.
      return rules.hasExceptions && statSync(src).isDirectory();
    },
  });
}

/** Environment for RUN steps: the host's PATH/HOME (npm cache, node-gyp headers), not the test runner's npm/vitest variables. */
function runEnv(stageEnv: Record<string, string>, extra: Record<string, string>): NodeJS.ProcessEnv {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !/^(npm_|NODE_ENV$|VITEST|TEST$)/i.test(k)),
  );
  return { ...base, ...stageEnv, ...extra };
}

/**
 * Interpret every stage in order. `root` holds one directory per stage; `extraRunEnv` is added to
 * each executed RUN step (e.g. `npm_config_prefer_offline`).
 */
export async function interpret(
  stages: Stage[],
  contextDir: string,
  root: string,
  extraRunEnv: Record<string, string> = {},
): Promise<BuiltStage[]> {
  const built: BuiltStage[] = [];
  for (const stage of stages) {
    const b: BuiltStage = {
      stage,
      dir: join(root, `stage-${stage.index}${stage.name ? '-' + stage.name : ''}`),
      workdir: '/',
      env: {},
      volumes: [],
      exposed: [],
      ran: [],
      skipped: [],
    };
    mkdirSync(b.dir, { recursive: true });
    const toHost = (owner: BuiltStage, p: string): string => {
      const abs = posix.resolve(owner.workdir, p);
      const rel = posix.relative(owner.workdir, abs);
      if (rel.startsWith('..')) throw new Error(`${p}: outside WORKDIR ${owner.workdir}, not modelled`);
      return join(owner.dir, rel);
    };
    const mapValue = (v: string): string =>
      b.workdir !== '/' && (v === b.workdir || v.startsWith(b.workdir + '/')) ? toHost(b, v) : v;

    for (const ins of stage.instructions) {
      const where = `line ${ins.line} ${ins.keyword}`;
      switch (ins.keyword) {
        case 'WORKDIR':
          b.workdir = posix.resolve(b.workdir, ins.args);
          break;
        case 'ENV':
          for (const [k, v] of Object.entries(parseEnv(ins.args))) b.env[k] = mapValue(v);
          break;
        case 'COPY': {
          const words = ins.exec ?? shellWords(ins.args);
          const dest = words.at(-1)!;
          const sources = words.slice(0, -1);
          const from = ins.flags.from;
          const owner = from === undefined ? undefined : built.find((s) => s.stage.name === from || String(s.stage.index) === from);
          if (from !== undefined && !owner) throw new Error(`${where}: unknown stage ${from}`);
          const intoDir = sources.length > 1 || dest.endsWith('/');
          const target = toHost(b, dest);
          for (const src of sources) {
            if (/[*?[]/.test(src)) throw new Error(`${where}: wildcards not modelled`);
            const hostSrc = owner ? toHost(owner, src) : join(contextDir, src.replace(/^\/+/, ''));
            if (!existsSync(hostSrc)) throw new Error(`${where}: ${src} not found in ${owner ? 'stage ' + from : 'build context'}`);
            const isDir = statSync(hostSrc).isDirectory();
            const out = !isDir && intoDir ? join(target, basename(hostSrc)) : target;
            cpSync(hostSrc, out, { recursive: true });
          }
          break;
        }
        case 'RUN': {
          const steps = ins.exec ? [ins.exec.join(' ')] : splitAndChain(ins.args);
          for (const step of steps) {
            if (isOsStep(step)) {
              b.skipped.push(step);
              continue;
            }
            // Never let a recipe step touch host paths outside the stage directory.
            const outside = shellWords(step).find((w) => w.startsWith('/') && posix.relative(b.workdir, w).startsWith('..'));
            if (outside) throw new Error(`${where}: refusing to run "${step}" on the host (touches ${outside})`);
            const cwd = toHost(b, '.');
            mkdirSync(cwd, { recursive: true });
            const result = ins.exec
              ? await exec(ins.exec[0]!, ins.exec.slice(1), { cwd, env: runEnv(b.env, extraRunEnv) })
              : await exec('sh', ['-c', step], { cwd, env: runEnv(b.env, extraRunEnv) });
            if (result.code !== 0) throw new Error(`${where}: "${step}" exited ${result.code}\n${result.output.slice(-4000)}`);
            b.ran.push(step);
          }
          break;
        }
        case 'USER':
          b.user = ins.args;
          break;
        case 'VOLUME':
          b.volumes.push(...(ins.exec ?? shellWords(ins.args)));
          break;
        case 'EXPOSE':
          b.exposed.push(...shellWords(ins.args));
          break;
        case 'CMD':
          b.cmd = ins.exec ?? ['/bin/sh', '-c', ins.args];
          break;
        case 'HEALTHCHECK': {
          const m = ins.args.match(/^CMD\s+([\s\S]*)$/i);
          if (!m) throw new Error(`${where}: only HEALTHCHECK CMD is modelled`);
          const body = m[1]!.trim();
          const command = body.startsWith('[') ? (JSON.parse(body) as string[]) : ['/bin/sh', '-c', body];
          b.healthcheck = { flags: ins.flags, command };
          break;
        }
        default:
          throw new Error(`${where}: instruction not modelled`);
      }
    }
    built.push(b);
  }
  return built;
}
