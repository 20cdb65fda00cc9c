/**
 * @module Micro-benchmark: per-event enrichment cost (device + bots + geo + campaign), with and without the device cache.
 *
 * Run: npx tsx bench/enrich.ts
 *
 * Prints numbers only (no pass/fail). The event mix cycles through a small set of real User-Agent and
 * client-hint combinations, as traffic does: most events repeat a UA seen recently.
 */
import { createDeviceParser } from '../src/enrich/device.js';
import { detectBot } from '../src/enrich/bots.js';
import { geoFromHeaders } from '../src/enrich/geo.js';
import { campaignFrom } from '../src/enrich/campaign.js';
import { enrichConfigSchema } from '../src/enrich/config.js';
import { UA, HINTS_CHROME_WIN11 } from '../test/enrich/ua-fixtures.js';

const config = enrichConfigSchema.parse({});
const trusted = ['cf-ipcountry', 'cf-region-code', 'cf-ipcity'];
const uas = Object.values(UA);
const events = Array.from({ length: 64 }, (_, i) => ({
  ua: uas[i % uas.length]!,
  headers: { ...(i % 3 === 0 ? HINTS_CHROME_WIN11 : {}), 'cf-ipcountry': 'DE', 'cf-region-code': 'BE', 'cf-ipcity': 'Berlin' } as Record<string, string>,
  pageUrl: i % 2 ? 'https://www.example.com/p?utm_source=news&utm_medium=email' : `https://www.example.com/p?gclid=Cj0K${i}`,
  referrer: i % 4 ? 'https://www.google.com/' : undefined,
}));

function run(label: string, cacheSize: number, iterations: number): void {
  const devices = createDeviceParser({ cacheSize });
  const enrich = (e: (typeof events)[number]) => {
    devices.parse(e.ua, e.headers);
    detectBot(e.ua, config.bots);
    geoFromHeaders(e.headers, trusted);
    campaignFrom({ pageUrl: e.pageUrl, referrer: e.referrer }, config.campaign);
  };
  for (let i = 0; i < 2000; i++) enrich(events[i % events.length]!);
  const start = performance.now();
  for (let i = 0; i < iterations; i++) enrich(events[i % events.length]!);
  const ms = performance.now() - start;
  const s = devices.stats();
  console.log(
    `${label.padEnd(22)} ${((ms * 1000) / iterations).toFixed(2).padStart(8)} µs/event  ` +
      `${Math.round(iterations / (ms / 1000)).toLocaleString('en').padStart(10)} events/s  cache hits ${s.hits} misses ${s.misses}`,
  );
}

function runPart(label: string, iterations: number, fn: (e: (typeof events)[number]) => unknown): void {
  const start = performance.now();
  for (let i = 0; i < iterations; i++) fn(events[i % events.length]!);
  console.log(`  ${label.padEnd(20)} ${(((performance.now() - start) * 1000) / iterations).toFixed(2).padStart(8)} µs/call`);
}

const N = 50_000;
console.log(`tagrelay enrich micro-benchmark, ${N} events, node ${process.version}`);
run('with device cache', 10_000, N);
run('without device cache', 0, N / 5);
console.log('parts:');
const uncached = createDeviceParser({ cacheSize: 0 });
runPart('device (uncached)', N / 5, (e) => uncached.parse(e.ua, e.headers));
runPart('bots', N, (e) => detectBot(e.ua, config.bots));
runPart('geo', N, (e) => geoFromHeaders(e.headers, trusted));
runPart('campaign', N, (e) => campaignFrom({ pageUrl: e.pageUrl, referrer: e.referrer }, config.campaign));
