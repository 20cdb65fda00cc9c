/**
 * @module Date of birth → `YYYYMMDD` (Meta's `db` format) from the formats people type.
 */

/**
 * Read a date of birth and return it as `YYYYMMDD`, or undefined when it is not a real date
 * between 1900 and the current year (Meta accepts that range only).
 *
 * Accepted shapes, and how ambiguity is settled:
 * - `YYYYMMDD`, `YYYY-MM-DD`, `YYYY/MM/DD`, `YYYY.MM.DD`, and ISO date-times (`1997-02-16T00:00:00Z`, date part taken);
 * - `M/D/YYYY` with slashes is **month first** (US order, as in Meta's own example `2/16/1997`),
 *   unless the first number is over 12, then it is day first (`16/02/1997`);
 * - `D.M.YYYY` and `D-M-YYYY` (dots or dashes, year last) are **day first** (European order),
 *   unless the second number is over 12, then month first.
 *
 * @example
 * normalizeDob('2/16/1997') // '19970216'
 */
export function normalizeDob(raw: string, now: number = Date.now()): string | undefined {
  const s = raw.trim();
  const maxYear = new Date(now).getUTCFullYear();
  let y: number;
  let m: number;
  let d: number;
  let parts: RegExpExecArray | null;
  if ((parts = /^(\d{4})(\d{2})(\d{2})$/.exec(s)) || (parts = /^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$/.exec(s))) {
    [y, m, d] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  } else if ((parts = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s))) {
    const [a, b] = [Number(parts[1]), Number(parts[2])];
    [m, d] = a > 12 ? [b, a] : [a, b];
    y = Number(parts[3]);
  } else if ((parts = /^(\d{1,2})[.-](\d{1,2})[.-](\d{4})$/.exec(s))) {
    const [a, b] = [Number(parts[1]), Number(parts[2])];
    [d, m] = b > 12 ? [b, a] : [a, b];
    y = Number(parts[3]);
  } else {
    return undefined;
  }
  if (y < 1900 || y > maxYear || m < 1 || m > 12 || d < 1) return undefined;
  // Day 0 of the next month is the last day of this one.
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (d > daysInMonth) return undefined;
  return `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`;
}
