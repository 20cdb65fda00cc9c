/**
 * @module The realistic benchmark configuration: regional consent, a warehouse, vendor destinations at the local sink.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { ConfigInput } from '../../src/config/schema.js';
import { destinations as registry } from '../../src/destinations/index.js';
import { tempDir } from './proc.js';

type DestinationInput = NonNullable<ConfigInput['destinations']>[number];

/**
 * Vendor destinations pointed at the local sink.
 *
 * >>> VENDOR DESTINATIONS: GA4 and Meta CAPI are added here automatically once their kinds are in
 * src/destinations/index.ts (feat/vendors). Each kind missing from the registry is skipped and
 * listed by {@link benchDestinations}, so the benchmark says which ones it could not include.
 */
function vendorDestinations(sinkUrl: string): DestinationInput[] {
  const list: Record<string, unknown>[] = [
    { id: 'ga4', type: 'ga4', measurement_id: 'G-BENCH12345', api_secret: 'bench-secret', endpoint: sinkUrl },
    { id: 'meta', type: 'meta_capi', pixel_id: '123456789012345', access_token: 'bench-token', endpoint: sinkUrl },
  ];
  return list.filter((d) => (d.type as string) in registry) as unknown as DestinationInput[];
}

/** The destinations of the benchmark config, and the vendor kinds not available in this build. */
export function benchDestinations(sinkUrl: string): { list: DestinationInput[]; missing: string[] } {
  // BENCH_VENDORS=0 measures the warehouse-only path (no vendor deliveries in the background).
  const vendors = process.env.BENCH_VENDORS === '0' ? [] : vendorDestinations(sinkUrl);
  const missing = ['ga4', 'meta_capi'].filter((k) => !vendors.some((d) => d.type === k));
  const list: DestinationInput[] = [{ id: 'lake', type: 'sqlite' }, ...vendors];
  // With no vendor kind available yet, a second warehouse keeps two destinations on the path.
  if (vendors.length === 0) list.push({ id: 'archive', type: 'sqlite' });
  return { list, missing };
}

/** The config as data. */
export function benchConfig(sinkUrl: string): ConfigInput {
  return {
    dev_mode: false,
    server: { host: '127.0.0.1', port: 0, cors_origins: ['https://shop.example.com'] },
    consent: {
      geo_headers: ['cf-ipcountry'],
      policy_version: '2024-05',
      regions: { EEA: 'opt_in', UK: 'opt_in', CH: 'opt_in', US: 'opt_out', 'US-CA': 'opt_out', default: 'opt_in' },
    },
    destinations: benchDestinations(sinkUrl).list,
    // BENCH_THREAD_NICE=N compares the delivery thread's priority (delivery.thread_nice; default 10).
    ...(process.env.BENCH_THREAD_NICE ? { delivery: { thread_nice: Number(process.env.BENCH_THREAD_NICE) } } : {}),
    // BENCH_NOTHREAD=1 delivers in the accepting event loop (delivery.thread: false).
    ...(process.env.BENCH_NOTHREAD ? { delivery: { thread: false } } : {}),
  };
}

/** Write the config to a fresh temp dir; returns the file and a data dir beside it. */
export function writeBenchConfig(sinkUrl: string): { file: string; dataDir: string; dir: string } {
  const dir = tempDir('tagrelay-bench-');
  const file = join(dir, 'tagrelay.yaml');
  writeFileSync(file, `# written by bench/lib/config.ts\n${stringify(benchConfig(sinkUrl))}`);
  return { file, dataDir: join(dir, 'data'), dir };
}
