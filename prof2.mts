import { harness, allOn } from './test/alarms/harness.ts';
import { DAY, T0 } from './test/alarms/traffic.ts';
for (const seed of process.argv.slice(2).map(Number)) {
  const h = await harness({ seed, alarms: allOn() });
  await h.fill(T0 + 7 * DAY);
  await h.run(T0 + 14 * DAY);
  console.log(seed, JSON.stringify(h.fired.map((a) => `${a.key} at ${new Date(a.at).toISOString()}: ${a.seen} vs ${a.expected}`)));
  await h.close();
}
