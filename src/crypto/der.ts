/**
 * A minimal, strict DER walker for the few structures the crypto layer reads itself
 * (SubjectPublicKeyInfo, PKCS#8, RSA keys, ECDSA signatures), and a tiny TLV writer.
 *
 * Strict means X.690 §10 DER: definite lengths in their shortest form, single-byte tags only
 * (every structure read here uses tags below 31), and no bytes past the end of a value.
 * Every failure throws `DerError`; callers map it to the TlsError their context needs.
 */

/** Thrown on malformed DER. Never escapes the crypto layer: callers translate it. */
export class DerError extends Error {
  constructor(message: string) {
    super(`der: ${message}`);
    this.name = 'DerError';
  }
}

/** Universal and context tags used by the structures read here. */
export const Tag = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  /** [n] constructed, context-specific: 0xa0 | n. */
  context: (n: number): number => 0xa0 | n,
} as const;

/** Reads DER TLVs from a byte range; every read checks bounds. */
export class DerReader {
  private pos = 0;

  constructor(private readonly data: Uint8Array) {}

  /** Whether every byte has been consumed. */
  get done(): boolean {
    return this.pos >= this.data.length;
  }

  /** The tag of the next element, or -1 at the end. */
  peekTag(): number {
    return this.done ? -1 : this.data[this.pos];
  }

  /** Reads one element with the given tag and returns its contents. */
  read(tag: number): Uint8Array {
    const data = this.data;
    if (this.pos + 2 > data.length) throw new DerError(`truncated before tag 0x${hex(tag)}`);
    const got = data[this.pos];
    if (got !== tag) throw new DerError(`expected tag 0x${hex(tag)}, got 0x${hex(got)}`);
    if ((got & 0x1f) === 0x1f) throw new DerError('multi-byte tags are not supported');
    let len = data[this.pos + 1];
    let p = this.pos + 2;
    if (len & 0x80) {
      // X.690 §10.1: the definite form, in the minimum number of octets.
      const n = len & 0x7f;
      if (n === 0) throw new DerError('indefinite length');
      if (n > 3) throw new DerError('length too large');
      if (p + n > data.length) throw new DerError('truncated length');
      if (data[p] === 0) throw new DerError('non-minimal length');
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | data[p + i];
      if (len < 0x80) throw new DerError('non-minimal length');
      p += n;
    }
    if (p + len > data.length) throw new DerError(`truncated value of tag 0x${hex(tag)}`);
    this.pos = p + len;
    return data.subarray(p, p + len);
  }

  /** Reads an element with the given tag when it is next; otherwise returns undefined. */
  optional(tag: number): Uint8Array | undefined {
    return this.peekTag() === tag ? this.read(tag) : undefined;
  }

  /** Reads a SEQUENCE and returns a reader over its contents. */
  sequence(): DerReader {
    return new DerReader(this.read(Tag.SEQUENCE));
  }

  /** Reads an OBJECT IDENTIFIER and returns it in dotted form. */
  oid(): string {
    return decodeOid(this.read(Tag.OID));
  }

  /** Reads a NULL. */
  null(): void {
    if (this.read(Tag.NULL).length !== 0) throw new DerError('NULL with contents');
  }

  /**
   * Reads a non-negative INTEGER and returns its magnitude without sign padding. Rejects
   * negative values and non-minimal encodings (X.690 §8.3.2).
   */
  unsignedInteger(): Uint8Array {
    return unsignedIntegerBytes(this.read(Tag.INTEGER));
  }

  /** Reads a small non-negative INTEGER as a number. */
  smallInteger(): number {
    const bytes = this.unsignedInteger();
    if (bytes.length > 4) throw new DerError('integer too large');
    let n = 0;
    for (const b of bytes) n = n * 256 + b;
    return n;
  }

  /** Reads a BIT STRING with no unused bits and returns its bytes. */
  bitStringBytes(): Uint8Array {
    const v = this.read(Tag.BIT_STRING);
    if (v.length < 1 || v[0] !== 0) throw new DerError('BIT STRING with unused bits');
    return v.subarray(1);
  }

  /** Throws unless every byte has been consumed. */
  end(): void {
    if (!this.done) throw new DerError('trailing bytes');
  }
}

/** Validates INTEGER contents as DER and non-negative; returns the magnitude bytes. */
export function unsignedIntegerBytes(v: Uint8Array): Uint8Array {
  if (v.length === 0) throw new DerError('empty INTEGER');
  if (v[0] & 0x80) throw new DerError('negative INTEGER');
  if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError('non-minimal INTEGER');
  return v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
}

/** Decodes OBJECT IDENTIFIER contents (X.690 §8.19) to dotted form. */
export function decodeOid(v: Uint8Array): string {
  if (v.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let value = 0;
  let fresh = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i];
    if (fresh && b === 0x80) throw new DerError('non-minimal OID arc');
    if (value > 0x1ffffff) throw new DerError('OID arc too large');
    value = value * 128 + (b & 0x7f);
    fresh = false;
    if (!(b & 0x80)) {
      arcs.push(value);
      value = 0;
      fresh = true;
    }
  }
  if (!fresh) throw new DerError('truncated OID');
  const first = arcs[0];
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes one TLV with a single-byte tag. */
export function tlv(tag: number, ...contents: Uint8Array[]): Uint8Array {
  let len = 0;
  for (const c of contents) len += c.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else if (len < 0x100) header = [tag, 0x81, len];
  else if (len < 0x10000) header = [tag, 0x82, len >> 8, len & 0xff];
  else header = [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(header.length + len);
  out.set(header);
  let p = header.length;
  for (const c of contents) {
    out.set(c, p);
    p += c.length;
  }
  return out;
}

/** Encodes a dotted OBJECT IDENTIFIER as a full TLV (X.690 §8.19). */
export function derOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map(Number);
  const out: number[] = [];
  const values = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  for (const v of values) {
    const groups: number[] = [v & 0x7f];
    for (let rest = Math.floor(v / 128); rest > 0; rest = Math.floor(rest / 128)) {
      groups.unshift((rest & 0x7f) | 0x80);
    }
    out.push(...groups);
  }
  return tlv(Tag.OID, Uint8Array.from(out));
}

/** Encodes a magnitude (big-endian, unsigned) as DER INTEGER contents plus header. */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  if (m.length === 0) return tlv(Tag.INTEGER, new Uint8Array(1));
  return m[0] & 0x80 ? tlv(Tag.INTEGER, new Uint8Array(1), m) : tlv(Tag.INTEGER, m);
}

function hex(n: number): string {
  return n.toString(16).padStart(2, '0');
}
