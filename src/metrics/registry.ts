/**
 * @module Metrics as plain objects: counters, gauges and histograms whose label sets are resolved once,
 * so recording is a property increment (O(1), no allocation, no string building); the Prometheus text
 * is built only at scrape time (exposition.ts).
 */

/** One counter series: `series.value++`. */
export interface CounterSeries {
  value: number;
}

/** One histogram series: call {@link observe}. `counts[i]` counts observations in bucket i alone (not cumulative). */
export interface HistogramSeries {
  counts: number[];
  sum: number;
  count: number;
}

/** A family of series sharing a name and label names. */
export interface Family<S> {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram';
  labelNames: readonly string[];
  /** Histograms: upper bounds, ascending (`+Inf` implied). */
  buckets?: readonly number[];
  /** Every series with its label values, in creation order. */
  series: { labels: readonly string[]; value: S }[];
}

/** Series of one family beyond this number fold into one `other` series (bounded cardinality). */
export const MAX_SERIES = 500;

/** A counter family with series looked up by label values (resolve once, keep the series). */
export interface CounterFamily extends Family<CounterSeries> {
  /** The series for these label values (created on first use). Builds a key: call at set-up, not per event. */
  with(...labels: string[]): CounterSeries;
}

/** A histogram family. */
export interface HistogramFamily extends Family<HistogramSeries> {
  with(...labels: string[]): HistogramSeries;
}

/** A gauge family whose series are read at scrape time. */
export interface GaugeFamily extends Family<CounterSeries> {
  /** Replace every series (called by a collector at scrape time). */
  set(rows: readonly { labels: readonly string[]; value: number }[]): void;
}

/** Collects gauges right before a scrape (store queries, runtime stats). */
export type Collector = () => Promise<void> | void;

/** All families of one process, and the collectors run before each scrape. */
export interface Registry {
  families: Family<unknown>[];
  collectors: Collector[];
  counter(name: string, help: string, labelNames?: readonly string[]): CounterFamily;
  histogram(name: string, help: string, buckets: readonly number[], labelNames?: readonly string[]): HistogramFamily;
  gauge(name: string, help: string, labelNames?: readonly string[]): GaugeFamily;
  collect(fn: Collector): void;
}

function keyed<S>(family: Family<S>, make: () => S): (...labels: string[]) => S {
  const index = new Map<string, S>();
  let other: S | undefined;
  return (...labels) => {
    const key = labels.join('\u0000');
    let s = index.get(key);
    if (s) return s;
    if (index.size >= MAX_SERIES) {
      if (!other) {
        other = make();
        family.series.push({ labels: family.labelNames.map(() => 'other'), value: other });
      }
      return other;
    }
    s = make();
    index.set(key, s);
    family.series.push({ labels, value: s });
    return s;
  };
}

/** Record one observation (bucket search over a fixed, short list: constant time, no allocation). */
export function observe(h: HistogramSeries, buckets: readonly number[], value: number): void {
  let i = 0;
  while (i < buckets.length && value > buckets[i]!) i++;
  h.counts[i]!++;
  h.sum += value;
  h.count++;
}

/**
 * @example
 * const reg = createRegistry()
 * const accepted = reg.counter('tagrelay_events_total', 'Events by outcome', ['outcome']).with('accepted')
 * accepted.value++ // per event: nothing else
 */
export function createRegistry(): Registry {
  const families: Family<unknown>[] = [];
  const collectors: Collector[] = [];
  return {
    families,
    collectors,
    counter(name, help, labelNames = []) {
      const f = { name, help, type: 'counter', labelNames, series: [] } as unknown as CounterFamily;
      f.with = keyed(f, () => ({ value: 0 }));
      families.push(f as Family<unknown>);
      return f;
    },
    histogram(name, help, buckets, labelNames = []) {
      const f = { name, help, type: 'histogram', labelNames, buckets, series: [] } as unknown as HistogramFamily;
      f.with = keyed(f, () => ({ counts: new Array<number>(buckets.length + 1).fill(0), sum: 0, count: 0 }));
      families.push(f as Family<unknown>);
      return f;
    },
    gauge(name, help, labelNames = []) {
      const f = { name, help, type: 'gauge', labelNames, series: [] } as unknown as GaugeFamily;
      f.set = (rows) => {
        f.series = rows.map((r) => ({ labels: r.labels, value: { value: r.value } }));
      };
      families.push(f as Family<unknown>);
      return f;
    },
    collect(fn) {
      collectors.push(fn);
    },
  };
}
