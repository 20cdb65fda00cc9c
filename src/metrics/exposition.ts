/**
 * @module Prometheus text exposition format 0.0.4 of a registry
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format).
 */
import type { CounterSeries, Family, HistogramSeries, Registry } from './registry.js';

/** The Content-Type Prometheus expects for this format. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Label values escape backslash, double quote and newline. */
function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatNumber(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

function labelText(names: readonly string[], values: readonly string[], extra?: [string, string]): string {
  const parts: string[] = [];
  names.forEach((n, i) => parts.push(`${n}="${escapeLabel(values[i] ?? '')}"`));
  if (extra) parts.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
  return parts.length === 0 ? '' : `{${parts.join(',')}}`;
}

/** Render one family (HELP, TYPE and every series). */
export function renderFamily(family: Family<unknown>): string {
  const lines = [`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`];
  for (const { labels, value } of family.series) {
    if (family.type === 'histogram') {
      const h = value as HistogramSeries;
      const buckets = family.buckets ?? [];
      let cumulative = 0;
      buckets.forEach((le, i) => {
        cumulative += h.counts[i]!;
        lines.push(`${family.name}_bucket${labelText(family.labelNames, labels, ['le', formatNumber(le)])} ${cumulative}`);
      });
      cumulative += h.counts[buckets.length]!;
      lines.push(`${family.name}_bucket${labelText(family.labelNames, labels, ['le', '+Inf'])} ${cumulative}`);
      lines.push(`${family.name}_sum${labelText(family.labelNames, labels)} ${formatNumber(h.sum)}`);
      lines.push(`${family.name}_count${labelText(family.labelNames, labels)} ${h.count}`);
    } else {
      lines.push(`${family.name}${labelText(family.labelNames, labels)} ${formatNumber((value as CounterSeries).value)}`);
    }
  }
  return lines.join('\n');
}

/** Run the collectors, then render every family. */
export async function exposition(registry: Registry): Promise<string> {
  for (const collect of registry.collectors) await collect();
  return registry.families.map(renderFamily).join('\n') + '\n';
}
