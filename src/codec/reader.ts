import { decodeError } from '../error.ts';

/**
 * A bounds-checked cursor over a `Uint8Array`. Every read names the field it reads, so a decode
 * error says what was being parsed, how many bytes it needed, and how many were left.
 *
 * Slices returned by `bytes()` and `vec*()` are views into the input, not copies.
 */
export class Reader {
  private offset = 0;

  constructor(private readonly buf: Uint8Array) {}

  /** Bytes not yet read. */
  get remaining(): number {
    return this.buf.length - this.offset;
  }

  get position(): number {
    return this.offset;
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.offset === this.buf.length;
  }

  private need(n: number, field: string): void {
    if (!(n >= 0)) throw decodeError(`tls: bad length ${n} for ${field}`);
    if (n > this.remaining) {
      throw decodeError(`tls: truncated ${field}: needed ${n} bytes, ${this.remaining} left`);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.buf[this.offset++];
  }

  u16(field: string): number {
    this.need(2, field);
    const v = (this.buf[this.offset] << 8) | this.buf[this.offset + 1];
    this.offset += 2;
    return v;
  }

  u24(field: string): number {
    this.need(3, field);
    const b = this.buf;
    const o = this.offset;
    this.offset += 3;
    return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
  }

  u32(field: string): number {
    this.need(4, field);
    const b = this.buf;
    const o = this.offset;
    this.offset += 4;
    return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
  }

  /** Exactly `n` bytes, as a view. */
  bytes(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.buf.subarray(this.offset, this.offset + n);
    this.offset += n;
    return out;
  }

  /** All remaining bytes, as a view. */
  rest(): Uint8Array {
    const out = this.buf.subarray(this.offset);
    this.offset = this.buf.length;
    return out;
  }

  /**
   * A vector with a `prefix`-byte length (1, 2 or 3), whose length must be within [min, max]
   * (RFC 8446 §3.4). Returns the body as a view.
   */
  vec(prefix: 1 | 2 | 3, field: string, min = 0, max = (1 << (8 * prefix)) - 1): Uint8Array {
    const len = prefix === 1 ? this.u8(field) : prefix === 2 ? this.u16(field) : this.u24(field);
    if (len < min || len > max) {
      throw decodeError(`tls: ${field} length ${len} outside [${min}, ${max}]`);
    }
    return this.bytes(len, field);
  }

  vec8(field: string, min?: number, max?: number): Uint8Array {
    return this.vec(1, field, min, max);
  }

  vec16(field: string, min?: number, max?: number): Uint8Array {
    return this.vec(2, field, min, max);
  }

  vec24(field: string, min?: number, max?: number): Uint8Array {
    return this.vec(3, field, min, max);
  }

  /** A Reader over a length-prefixed sub-vector. */
  sub(prefix: 1 | 2 | 3, field: string, min?: number, max?: number): Reader {
    return new Reader(this.vec(prefix, field, min, max));
  }

  /** A list of u16 values in a vector whose byte length is `prefix`-prefixed and even. */
  u16List(prefix: 1 | 2, field: string, min = 0, max?: number): number[] {
    const body = this.vec(prefix, field, min, max);
    if (body.length % 2 !== 0) throw decodeError(`tls: ${field} has an odd length`);
    const out: number[] = new Array(body.length / 2);
    for (let i = 0; i < out.length; i++) out[i] = (body[2 * i] << 8) | body[2 * i + 1];
    return out;
  }

  /** Rejects trailing bytes after a structure is complete. */
  end(field: string): void {
    if (this.remaining !== 0) {
      throw decodeError(`tls: ${this.remaining} trailing bytes after ${field}`);
    }
  }
}
