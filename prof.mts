import { harness, allOn } from './test/alarms/harness.ts';
import { DAY, T0 } from './test/alarms/traffic.ts';
const h = await harness({ seed: 7, alarms: allOn() });
await h.fill(T0 + 7 * DAY);
await h.run(T0 + 7 * DAY + 3600_000);
const db = h.runtime.db as any;
const times = new Map<string, number>();
for (const m of ['run', 'all', 'get', 'batch']) {
  const orig = db[m].bind(db);
  db[m] = async (sql: any, p: any) => {
    const t = performance.now();
    try { return await orig(sql, p); } finally {
      const k = m + ' ' + (typeof sql === 'string' ? sql : sql.map((s: any) => s.sql).join(' ; ')).slice(0, 90);
      times.set(k, (times.get(k) ?? 0) + performance.now() - t);
    }
  };
}
const t = Date.now();
await h.run(T0 + 7 * DAY + 3600_000 * 6);
console.log('run', Date.now() - t);
console.log([...times].sort((a, b) => b[1] - a[1]).slice(0, 12).map(([k, v]) => `${v.toFixed(0).padStart(6)} ${k}`).join('\n'));
