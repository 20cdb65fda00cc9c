/**
 * @module Summarize a V8 .cpuprofile: top functions by self time, and self time by package.
 *
 * Usage: npm run bench:profile -- <file.cpuprofile> [--top N] [--last-ms MS]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { printTable } from './lib/report.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  children?: number[];
}

/** The parts of a .cpuprofile the summary reads. */
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** One function's share of the profile. */
export interface FunctionCost {
  name: string;
  location: string;
  group: string;
  selfMs: number;
  totalMs: number;
}

/** Where a script lives, short: `hono/dist/…`, `tagrelay src/app.ts`, `node:internal/…`. */
export function shortLocation(url: string, line: number): string {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) u = u.slice(nm + '/node_modules/'.length);
  else {
    // The last /src/, /dist/ or /bench/ segment: worktree paths may contain those names too.
    const at = Math.max(u.lastIndexOf('/src/'), u.lastIndexOf('/dist/'), u.lastIndexOf('/bench/'));
    if (at >= 0) u = u.slice(at + 1);
  }
  return `${u}:${line + 1}`;
}

/** The package (or area) a script belongs to. */
export function groupOf(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  if (url.startsWith('node:')) return 'node core';
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + '/node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (/\/(dist|src)\//.test(url)) return 'tagrelay';
  return 'other';
}

/**
 * Self and inclusive time per function (idle excluded from `busyMs`). `lastMs` keeps only the samples
 * of the last `lastMs` before the profile ended (the load phase, without start-up).
 */
export function summarize(
  profile: CpuProfile,
  lastMs = Infinity,
): { functions: FunctionCost[]; groups: Map<string, number>; busyMs: number; wallMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\u0000${n.callFrame.url}\u0000${n.callFrame.lineNumber}`;
  const costs = new Map<string, FunctionCost>();
  const groups = new Map<string, number>();
  let busy = 0;
  const from = profile.endTime - lastMs * 1000;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from) continue;
    // A sample's duration is the gap to the next sample (as DevTools counts it).
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const node = byId.get(profile.samples[i]!);
    if (!node) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') continue;
    busy += ms;
    const seen = new Set<string>();
    for (let cur: ProfileNode | undefined = node; cur; cur = byId.get(parent.get(cur.id) ?? -1)) {
      const key = keyOf(cur);
      if (seen.has(key)) continue;
      seen.add(key);
      let cost = costs.get(key);
      if (!cost) {
        const f = cur.callFrame;
        cost = { name: f.functionName || '(anonymous)', location: shortLocation(f.url, f.lineNumber), group: groupOf(f.url, f.functionName), selfMs: 0, totalMs: 0 };
        costs.set(key, cost);
      }
      cost.totalMs += ms;
      if (cur === node) {
        cost.selfMs += ms;
        groups.set(cost.group, (groups.get(cost.group) ?? 0) + ms);
      }
    }
  }
  const functions = [...costs.values()].filter((c) => c.name !== '(root)');
  return { functions, groups, busyMs: busy, wallMs: Math.min(lastMs, (profile.endTime - profile.startTime) / 1000) };
}

/** Print the top functions by self time and the self time per package. */
export function printSummary(file: string, top = 15, lastMs = Infinity): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const { functions, groups, busyMs, wallMs } = summarize(profile, lastMs);
  const pct = (ms: number) => `${((100 * ms) / busyMs).toFixed(1)}%`;
  console.log(`profile: ${file}`);
  if (Number.isFinite(lastMs)) console.log(`window: the last ${(lastMs / 1000).toFixed(1)} s before the process exited`);
  console.log(`wall ${(wallMs / 1000).toFixed(1)} s, busy (not idle) ${(busyMs / 1000).toFixed(1)} s; percentages are of busy time\n`);
  console.log(`## top ${top} functions by self time`);
  printTable(
    ['#', 'self ms', 'self', 'total', 'function', 'where'],
    functions
      .sort((a, b) => b.selfMs - a.selfMs)
      .slice(0, top)
      .map((f, i) => [i + 1, f.selfMs, pct(f.selfMs), pct(f.totalMs), f.name, f.location]),
  );
  console.log('## self time by package');
  printTable(
    ['package', 'self ms', 'self'],
    [...groups.entries()].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([g, ms]) => [g, ms, pct(ms)]),
  );
  console.log(`## tagrelay functions by inclusive time (top ${top})`);
  printTable(
    ['#', 'total ms', 'total', 'self', 'function', 'where'],
    functions
      .filter((f) => f.group === 'tagrelay')
      .sort((a, b) => b.totalMs - a.totalMs)
      .slice(0, top)
      .map((f, i) => [i + 1, f.totalMs, pct(f.totalMs), pct(f.selfMs), f.name, f.location]),
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a));
  const topAt = args.indexOf('--top');
  const lastAt = args.indexOf('--last-ms');
  if (!file) {
    console.error('usage: npm run bench:profile -- <file.cpuprofile> [--top N] [--last-ms MS]');
    process.exit(2);
  }
  printSummary(file, topAt >= 0 ? Number(args[topAt + 1]) : 15, lastAt >= 0 ? Number(args[lastAt + 1]) : Infinity);
}
