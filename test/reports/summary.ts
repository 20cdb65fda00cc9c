/**
 * @module The report summary as a comparable value, for tests that compare what the triggers (and the
 * fill) kept with a rebuild from the rows.
 */
import type { SqlDb } from '../../src/ports.js';

/** Both summary tables as comparable values (pieces merged per hour and session; trails as sorted entries). */
export async function summaryOf(db: SqlDb): Promise<{ pieces: [string, unknown][]; hours: unknown[] }> {
  const pieces = new Map<string, { n: number; first: [number, string, unknown[]]; trail: string[] }>();
  type Piece = { hour: number; client_id: string; s: string; n: number; first_time: number; first_id: string; trail: string } & Record<string, unknown>;
  for (const p of await db.all<Piece>('SELECT * FROM report_pieces ORDER BY hour, client_id, s, part')) {
    const key = `${p.hour}|${p.client_id}|${p.s}`;
    const dims = [p.device_type, p.country, p.channel, p.source, p.medium, p.campaign];
    const e = pieces.get(key) ?? { n: 0, first: [p.first_time, p.first_id, dims], trail: [] };
    e.n += p.n;
    e.trail.push(...p.trail.split(','));
    if (p.first_time < e.first[0] || (p.first_time === e.first[0] && p.first_id < e.first[1])) e.first = [p.first_time, p.first_id, dims];
    pieces.set(key, e);
  }
  for (const e of pieces.values()) e.trail.sort();
  const hours = await db.all('SELECT hour, mode, name, rule, currency, n, value FROM report_hours ORDER BY hour, mode, name, rule, currency');
  return { pieces: [...pieces.entries()], hours };
}

