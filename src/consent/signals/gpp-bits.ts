/**
 * @module Bit reading for IAB GPP strings: base64url segments, fixed integers, Fibonacci integers and ranges.
 *
 * Spec: IAB Tech Lab, Global Privacy Platform "Consent String Specification", sections
 * "Fibonacci Encoding" and "Section Encoding / data types"
 * (https://github.com/InteractiveAdvertisingBureau/Global-Privacy-Platform/blob/main/Core/Consent%20String%20Specification.md).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Thrown (and caught by the GPP decoder) when a segment is malformed or too short. */
export class GppBitsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GppBitsError';
  }
}

/** Reads a base64url segment bit by bit, most significant bit of each character first. */
export class BitReader {
  private readonly bits: Uint8Array;
  private pos = 0;

  constructor(segment: string) {
    this.bits = new Uint8Array(segment.length * 6);
    for (let i = 0; i < segment.length; i++) {
      const v = ALPHABET.indexOf(segment.charAt(i));
      if (v < 0) throw new GppBitsError('invalid base64url character');
      for (let b = 0; b < 6; b++) this.bits[i * 6 + b] = (v >> (5 - b)) & 1;
    }
  }

  /** Bits not yet read. */
  get remaining(): number {
    return this.bits.length - this.pos;
  }

  /** One bit. */
  bit(): number {
    if (this.pos >= this.bits.length) throw new GppBitsError('read past end of segment');
    return this.bits[this.pos++]!;
  }

  /** An unsigned integer of `n` bits. */
  int(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  /** Skip `n` bits. */
  skip(n: number): void {
    if (this.pos + n > this.bits.length) throw new GppBitsError('read past end of segment');
    this.pos += n;
  }

  /** A boolean (1 = true). */
  bool(): boolean {
    return this.bit() === 1;
  }

  /**
   * A Fibonacci-coded integer: bits weigh 1, 2, 3, 5, 8 … and the code word ends at the first
   * pair of consecutive 1s (the second 1 is the terminator).
   */
  fibonacci(): number {
    let value = 0;
    let prev = 0;
    let a = 1; // weight of the current bit
    let b = 2; // weight of the next bit
    for (let guard = 0; guard < 64; guard++) {
      const bit = this.bit();
      if (bit === 1 && prev === 1) return value;
      if (bit === 1) value += a;
      prev = bit;
      [a, b] = [b, a + b];
    }
    throw new GppBitsError('Fibonacci integer too long');
  }

  /**
   * A Range (Fibonacci): int(12) item count, then per item a group flag, the offset from the last
   * id seen (0 at first), and for a group its length. Returns the expanded, sorted ids.
   */
  fibonacciRange(maxIds = 1000): number[] {
    const count = this.int(12);
    const ids: number[] = [];
    let last = 0;
    for (let i = 0; i < count; i++) {
      const group = this.bool();
      const start = last + this.fibonacci();
      const end = group ? start + this.fibonacci() : start;
      if (end - start + ids.length > maxIds) throw new GppBitsError('range too large');
      for (let id = start; id <= end; id++) ids.push(id);
      last = end;
    }
    return ids;
  }
}
