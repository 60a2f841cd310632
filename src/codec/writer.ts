import { TlsError } from '../error.ts';

/**
 * A growable byte buffer. Length prefixes are reserved, then back-patched once the body is
 * written, so nested vectors need no intermediate copies.
 */
export class Writer {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(initialCapacity);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): void {
    const need = this.len + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  u8(v: number): this {
    this.reserve(1);
    this.buf[this.len++] = v;
    return this;
  }

  u16(v: number): this {
    this.reserve(2);
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
    return this;
  }

  u24(v: number): this {
    this.reserve(3);
    this.buf[this.len++] = v >>> 16;
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
    return this;
  }

  u32(v: number): this {
    this.reserve(4);
    this.buf[this.len++] = v >>> 24;
    this.buf[this.len++] = v >>> 16;
    this.buf[this.len++] = v >>> 8;
    this.buf[this.len++] = v;
    return this;
  }

  bytes(data: Uint8Array): this {
    this.reserve(data.length);
    this.buf.set(data, this.len);
    this.len += data.length;
    return this;
  }

  /**
   * Writes a vector with a `prefix`-byte length: `body` writes its contents, and the length is
   * patched in afterwards. Throws if the body outgrows the prefix.
   */
  vec(prefix: 1 | 2 | 3, body: (w: this) => void): this {
    this.reserve(prefix);
    const at = this.len;
    this.len += prefix;
    body(this);
    const n = this.len - at - prefix;
    if (n >= 1 << (8 * prefix)) {
      throw new TlsError('INTERNAL_ERROR', `tls: vector of ${n} bytes overflows prefix`, {
        layer: 'codec',
      });
    }
    for (let i = prefix - 1; i >= 0; i--) this.buf[at + (prefix - 1 - i)] = n >>> (8 * i);
    return this;
  }

  vec8(data: Uint8Array): this {
    return this.vec(1, (w) => w.bytes(data));
  }

  vec16(data: Uint8Array): this {
    return this.vec(2, (w) => w.bytes(data));
  }

  vec24(data: Uint8Array): this {
    return this.vec(3, (w) => w.bytes(data));
  }

  /** A vector of u16 values with a `prefix`-byte length. */
  u16List(prefix: 1 | 2, values: readonly number[]): this {
    return this.vec(prefix, (w) => {
      for (const v of values) w.u16(v);
    });
  }

  /** The bytes written so far, as a fresh copy sized exactly. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** Concatenates byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
