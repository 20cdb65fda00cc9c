/**
 * @module Wire values in mappers: a number may arrive as text (gtag sends every `ep.` param as a string).
 */
import type { Scalar } from '../event.js';

/**
 * A finite number from a param or item field, or `undefined` (empty text, words, NaN, ±Infinity).
 *
 * @example
 * toNumber('25.52') // 25.52
 * toNumber('') // undefined
 */
export function toNumber(v: Scalar | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return undefined;
}
