/**
 * The one DER reader and writer (ITU-T X.690 §8, §10), under the crypto layer
 * (SubjectPublicKeyInfo, PKCS#8, RSA keys, ECDSA signatures) and the verifier (certificates,
 * CRLs, names, the trust anchor index, private-key wrapping). Certificates and CRLs are decoded
 * with it alone, so the bytes that signatures and name comparisons cover are exactly the ones
 * received.
 *
 * Strict means DER: definite lengths in their shortest form (at most three length octets: a TLS
 * certificate is under 2^24 bytes), single-byte tags, primitive strings, minimal INTEGERs and
 * OID arcs, and no bytes past the end of a value. Every failure throws `DerError`; callers turn
 * it into the TlsError their layer needs.
 */

/** Thrown on malformed DER. Never escapes a layer: callers translate it. */
export class DerError extends Error {
  constructor(message: string) {
    super(`der: ${message}`);
    this.name = 'DerError';
  }
}

/** Universal tags, and the context-specific constructed tag `[n]`. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
  /** `[n]` constructed, context-specific: 0xa0 | n. */
  context: (n: number): number => 0xa0 | n,
} as const;

/** One decoded TLV: its tag, its content, and the whole encoding (header included). */
export interface Tlv {
  tag: number;
  /** The content octets, as a view. */
  content: Uint8Array;
  /** The full encoding, header included, as a view. */
  raw: Uint8Array;
}

/** The most length octets accepted (X.690 §8.1.3.5 allows 126; 16 MiB is plenty here). */
const MAX_LENGTH_OCTETS = 3;

/** Where a TLV's parts lie: the tag, and the offsets of its content and of its end. */
interface Header {
  tag: number;
  start: number;
  end: number;
}

/**
 * Reads the header of the TLV at `offset` into `out`, the value having to end by `limit`. Only
 * the definite form in its shortest encoding is accepted (X.690 §10.1), and high-tag-number
 * identifiers are rejected (nothing read here uses them). Allocates nothing: the tree walks
 * below visit every value of a certificate with it.
 */
function readHeader(data: Uint8Array, offset: number, limit: number, out: Header): void {
  if (offset + 2 > limit) throw new DerError('truncated header');
  const tag = data[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let pos = offset + 1;
  const first = data[pos++];
  let length = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    // X.690 §10.1: DER forbids the indefinite form (n = 0).
    if (n === 0) throw new DerError('indefinite length');
    if (n > MAX_LENGTH_OCTETS) throw new DerError('length too large');
    if (pos + n > limit) throw new DerError('truncated length');
    // X.690 §10.1: "the minimum number of octets": no leading zero, and the short form below 128.
    if (data[pos] === 0) throw new DerError('non-minimal length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + data[pos++];
    if (length < 0x80) throw new DerError('non-minimal length');
  }
  if (pos + length > limit) {
    throw new DerError(`content of tag 0x${hex2(tag)} runs past the end`);
  }
  out.tag = tag;
  out.start = pos;
  out.end = pos + length;
}

/** Reads one TLV at `offset` (see `readHeader` for what is accepted); the value must fit. */
export function readTlv(data: Uint8Array, offset = 0): Tlv {
  const h: Header = { tag: 0, start: 0, end: 0 };
  readHeader(data, offset, data.length, h);
  return {
    tag: h.tag,
    content: data.subarray(h.start, h.end),
    raw: data.subarray(offset, h.end),
  };
}

/** Reads exactly one TLV spanning all of `data`, optionally requiring its tag. */
export function readOnly(data: Uint8Array, tag?: number): Tlv {
  const tlv = readTlv(data, 0);
  if (tlv.raw.length !== data.length) throw new DerError('trailing bytes');
  if (tag !== undefined && tlv.tag !== tag) {
    throw new DerError(`expected tag 0x${hex2(tag)}, got 0x${hex2(tlv.tag)}`);
  }
  return tlv;
}

/** The TLVs inside a constructed value's content, in order. */
export function children(content: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let offset = 0;
  while (offset < content.length) {
    const tlv = readTlv(content, offset);
    out.push(tlv);
    offset += tlv.raw.length;
  }
  return out;
}

/** How deep `checkDer` follows constructed values; X.509 structures nest about ten deep. */
const MAX_DEPTH = 32;

/**
 * Checks that `data` is exactly one DER value, walking every constructed value inside it
 * (iteratively, at most 32 deep): lengths as `readTlv` requires, string and other universal
 * types primitive (X.690 §10.2; only SEQUENCE and SET are constructed), SEQUENCE and SET
 * constructed, BOOLEAN one octet and NULL empty (X.690 §8.2.1, §8.8.2). It does not look
 * inside OCTET STRING or BIT STRING contents.
 */
export function checkDer(data: Uint8Array): void {
  const h: Header = { tag: 0, start: 0, end: 0 };
  // Constructed contents still to walk, as (start, end, depth) triples.
  const stack: number[] = [];
  const visit = (depth: number) => {
    const constructed = (h.tag & 0x20) !== 0;
    if ((h.tag & 0xc0) === 0) {
      const universal = h.tag & 0x1f;
      const container = universal === 0x10 || universal === 0x11;
      if (constructed !== container) {
        throw new DerError(`tag 0x${hex2(h.tag)} in the wrong form`);
      }
      const length = h.end - h.start;
      if (h.tag === Tag.BOOLEAN && length !== 1) throw new DerError('bad BOOLEAN');
      if (h.tag === Tag.NULL && length !== 0) throw new DerError('NULL with content');
    }
    if (!constructed) return;
    if (depth >= MAX_DEPTH) throw new DerError('nested too deeply');
    stack.push(h.start, h.end, depth + 1);
  };
  readHeader(data, 0, data.length, h);
  if (h.end !== data.length) throw new DerError('trailing bytes');
  visit(0);
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    // Every header of the level first, then the checks of each value (as `children` would).
    for (let at = start; at < end; at = h.end) readHeader(data, at, end, h);
    for (let at = start; at < end; at = h.end) {
      readHeader(data, at, end, h);
      visit(depth);
    }
  }
}

/**
 * Whether constructed values in `data` nest deeper than `maxDepth` (the outermost value is at
 * depth 1). Iterative, so the check itself cannot overflow the stack. Only what parses is
 * walked: malformed input is left to the parser that follows, which rejects it. Like
 * `checkDer`, it does not look inside OCTET STRING or BIT STRING contents.
 */
export function nestsDeeperThan(data: Uint8Array, maxDepth: number): boolean {
  const h: Header = { tag: 0, start: 0, end: 0 };
  // Constructed contents still to walk, as (start, end, depth) triples.
  const stack: number[] = [];
  const push = (depth: number): boolean => {
    if ((h.tag & 0x20) === 0) return false;
    if (depth > maxDepth) return true;
    stack.push(h.start, h.end, depth);
    return false;
  };
  try {
    readHeader(data, 0, data.length, h);
  } catch {
    return false;
  }
  if (push(1)) return true;
  while (stack.length > 0) {
    const depth = stack.pop()!;
    const end = stack.pop()!;
    const start = stack.pop()!;
    // A level that does not parse is skipped whole, as if it held no constructed values.
    try {
      for (let at = start; at < end; at = h.end) readHeader(data, at, end, h);
    } catch {
      continue;
    }
    for (let at = start; at < end; at = h.end) {
      readHeader(data, at, end, h);
      if (push(depth + 1)) return true;
    }
  }
  return false;
}

/** Reads DER TLVs in order from a byte range; every read checks bounds and tags. */
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

  /** Reads one element with the given tag and returns its content. */
  read(tag: number): Uint8Array {
    if (this.done) throw new DerError(`truncated before tag 0x${hex2(tag)}`);
    const got = this.data[this.pos];
    if (got !== tag) throw new DerError(`expected tag 0x${hex2(tag)}, got 0x${hex2(got)}`);
    const tlv = readTlv(this.data, this.pos);
    this.pos += tlv.raw.length;
    return tlv.content;
  }

  /** Reads an element with the given tag when it is next; otherwise returns undefined. */
  optional(tag: number): Uint8Array | undefined {
    return this.peekTag() === tag ? this.read(tag) : undefined;
  }

  /** Reads a SEQUENCE and returns a reader over its content. */
  sequence(): DerReader {
    return new DerReader(this.read(Tag.SEQUENCE));
  }

  /** Reads an OBJECT IDENTIFIER and returns it in dotted form. */
  oid(): string {
    return decodeOid(this.read(Tag.OID));
  }

  /** Reads a NULL. */
  null(): void {
    if (this.read(Tag.NULL).length !== 0) throw new DerError('NULL with content');
  }

  /** Reads a non-negative INTEGER and returns its magnitude (see `unsignedIntegerBytes`). */
  unsignedInteger(): Uint8Array {
    return unsignedIntegerBytes(this.read(Tag.INTEGER));
  }

  /** Reads a non-negative INTEGER below 2^32 as a number. */
  smallInteger(): number {
    return smallIntegerValue(this.read(Tag.INTEGER));
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

/**
 * Validates INTEGER content as DER and non-negative and returns the magnitude without its sign
 * octet. X.690 §8.3.2: the first nine bits are never all zeros or all ones.
 */
export function unsignedIntegerBytes(v: Uint8Array): Uint8Array {
  if (v.length === 0) throw new DerError('empty INTEGER');
  if (v[0] & 0x80) throw new DerError('negative INTEGER');
  if (v.length > 1 && v[0] === 0 && !(v[1] & 0x80)) throw new DerError('non-minimal INTEGER');
  return v[0] === 0 && v.length > 1 ? v.subarray(1) : v;
}

/** INTEGER content as a number: non-negative, minimal, below 2^32. */
function smallIntegerValue(content: Uint8Array): number {
  const bytes = unsignedIntegerBytes(content);
  if (bytes.length > 4) throw new DerError('integer too large');
  let n = 0;
  for (const b of bytes) n = n * 256 + b;
  return n;
}

/**
 * Decodes the content of an INTEGER TLV (or of an implicitly tagged one: the tag is the
 * caller's to check) as a number: non-negative, minimal, below 2^32.
 */
export function decodeSmallInt(tlv: Tlv): number {
  return smallIntegerValue(tlv.content);
}

/**
 * Decodes OBJECT IDENTIFIER content (X.690 §8.19) to dotted form. Arcs are minimal (no leading
 * 0x80 octet) and below 2^32.
 */
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
  // X.690 §8.19.4: the first subidentifier packs the first two arcs as 40 * X + Y.
  const first = arcs[0];
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs.slice(1)].join('.');
}

/** Encodes one TLV from a single-byte tag and its content parts, in the shortest form. */
export function encodeTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  if (length >= 2 ** (8 * MAX_LENGTH_OCTETS)) throw new DerError('value too long');
  const header: number[] = [tag];
  if (length < 0x80) {
    header.push(length);
  } else {
    const octets: number[] = [];
    for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n & 0xff);
    header.push(0x80 | octets.length, ...octets);
  }
  const out = new Uint8Array(header.length + length);
  out.set(header, 0);
  let offset = header.length;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Encodes a dotted OBJECT IDENTIFIER as a full TLV (X.690 §8.19); the inverse of decodeOid. */
export function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new DerError(`bad OID ${dotted}`);
    return Number(a);
  });
  // X.660: the first arc is 0, 1 or 2, and under 0 and 1 the second is below 40.
  const [a0, a1] = arcs;
  if (arcs.length < 2 || a0 > 2 || (a0 < 2 && a1 >= 40)) throw new DerError(`bad OID ${dotted}`);
  const values = [a0 * 40 + a1, ...arcs.slice(2)];
  if (values.some((v) => v > 0xffffffff)) throw new DerError(`OID arc too large in ${dotted}`);
  const out: number[] = [];
  for (const v of values) {
    const group: number[] = [v & 0x7f];
    for (let rest = Math.floor(v / 128); rest > 0; rest = Math.floor(rest / 128)) {
      group.unshift((rest & 0x7f) | 0x80);
    }
    out.push(...group);
  }
  return encodeTlv(Tag.OID, Uint8Array.from(out));
}

/** Encodes a big-endian unsigned magnitude as a minimal INTEGER TLV. */
export function encodeUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  if (m.length === 0) return encodeTlv(Tag.INTEGER, new Uint8Array(1));
  return m[0] & 0x80 ? encodeTlv(Tag.INTEGER, new Uint8Array(1), m) : encodeTlv(Tag.INTEGER, m);
}

/** Encodes a non-negative integer below 2^31 as an INTEGER TLV. */
export function encodeSmallInt(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new DerError('integer out of range');
  return encodeUnsignedInteger(
    Uint8Array.of(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff),
  );
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/**
 * Checks that `fields` carry tags from `allowed`, each at most once and in that order: the
 * shape of a SEQUENCE whose elements are all OPTIONAL or DEFAULT. Throws DerError otherwise.
 */
export function inOrder(fields: readonly Tlv[], allowed: readonly number[], what: string): void {
  let next = 0;
  for (const f of fields) {
    const at = allowed.indexOf(f.tag, next);
    if (at < 0) throw new DerError(`unexpected tag 0x${f.tag.toString(16)} in ${what}`);
    next = at + 1;
  }
}

/** Reads `value` as exactly one SEQUENCE and checks its elements with `inOrder`. */
export function sequenceOf(value: Uint8Array, allowed: readonly number[], what: string): Tlv[] {
  const fields = children(readOnly(value, Tag.SEQUENCE).content);
  inOrder(fields, allowed, what);
  return fields;
}
