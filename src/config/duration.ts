/**
 * @module Durations in config: `500ms`, `30s`, `15m`, `24h`, `395d`, `3y`, or a number of milliseconds.
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
  y: 365 * 86_400_000,
};

const PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w|y)$/;

/** Parse a duration string to milliseconds; `undefined` when it is not one. */
export function parseDuration(text: string): number | undefined {
  const m = PATTERN.exec(text.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * UNIT_MS[m[2]!]!);
}

/** A zod type for durations; the parsed value is milliseconds. */
export const duration = z
  .union([
    z.number().int().nonnegative(),
    z.string().regex(PATTERN, 'expected a duration such as 30s, 15m, 24h or 395d'),
  ])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)!));
