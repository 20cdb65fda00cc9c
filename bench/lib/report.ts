/**
 * @module Shared output for the benchmarks: the reproduce header, machine facts and aligned tables.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';

/** The exact command that reproduces this run (the npm script when run through npm). */
export function reproduceCommand(script: string): string {
  const args = process.argv.slice(2).map((a) => (/[\s"'$]/.test(a) ? JSON.stringify(a) : a));
  const npm = process.env.npm_lifecycle_event;
  if (npm === script) return `npm run ${script}${args.length ? ' -- ' + args.join(' ') : ''}`;
  const flags = process.execArgv.join(' ');
  return `node ${flags} ${process.argv[1] ?? ''} ${args.join(' ')}`.replace(/\s+/g, ' ').trim();
}

/** Print the header every benchmark starts with. */
export function printHeader(title: string, script: string, notes: string[] = []): void {
  const cpus = os.cpus();
  let mem = `${Math.round(os.totalmem() / 2 ** 20)} MiB`;
  try {
    const avail = /MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
    if (avail) mem += ` (${Math.round(Number(avail) / 1024)} MiB available)`;
  } catch {
    // not Linux: total memory is enough
  }
  const [l1, l5] = os.loadavg();
  console.log(`# ${title}`);
  console.log(`reproduce: ${reproduceCommand(script)}`);
  console.log(`machine:   ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, ${mem}, ${os.platform()} ${os.release()}`);
  console.log(`runtime:   node ${process.version} (${process.arch}), load average ${l1?.toFixed(2)} / ${l5?.toFixed(2)} (1 / 5 min)`);
  console.log(`date:      ${new Date().toISOString()}`);
  for (const n of notes) console.log(`note:      ${n}`);
  console.log('');
}

/** Print rows as an aligned table; numbers right-aligned, text left-aligned. */
export function printTable(columns: string[], rows: (string | number)[][]): void {
  const cells = [columns, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)))];
  const numeric = columns.map((_, i) => rows.every((r) => typeof r[i] === 'number' || /^[-\d.,×%\s]+[a-zA-Z/%]*$/.test(String(r[i]))));
  const widths = columns.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r.map((c, i) => (numeric[i] && i > 0 ? String(c).padStart(widths[i]!) : String(c).padEnd(widths[i]!))).join('  ').trimEnd();
  console.log(line(cells[0]!));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
  console.log('');
}

/** A number with sensible precision and thousands separators. */
export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Number.isInteger(n) || Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** Bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** The p-th percentile (0–100) of a sorted array (nearest rank). */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
