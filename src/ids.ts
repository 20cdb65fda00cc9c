/**
 * @module Identifiers: UUIDv7 event ids (time-ordered, RFC 9562).
 */

/**
 * A UUIDv7 from a millisecond timestamp and 10 random bytes (as hex).
 *
 * @example
 * uuidv7(Date.now(), runtime.randomHex(10)) // '0190b6c8-3f2a-7c1e-9a4b-5d6e7f809a1b'
 */
export function uuidv7(nowMs: number, random20Hex: string): string {
  const ts = Math.max(0, Math.floor(nowMs)).toString(16).padStart(12, '0').slice(-12);
  const r = random20Hex.padEnd(20, '0');
  // version 7 in the high nibble of byte 6; variant 10xx in the high bits of byte 8 (RFC 9562 §5.7)
  const variant = ((parseInt(r[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${ts.slice(0, 8)}-${ts.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}
