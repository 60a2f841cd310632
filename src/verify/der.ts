/**
 * A minimal DER walker and writer (ITU-T X.690 §8, §10). The certificate parser uses
 * `@peculiar/asn1-x509` for meaning; this file exists for what that library cannot give
 * exactly: the raw bytes of fields that signatures and name comparisons cover, GeneralName
 * octets without conversion, and the few structures webtls writes itself (PKCS#8 wrappers).
 */

/** Thrown on malformed DER; callers turn it into the TlsError their layer needs. */
export class DerError extends Error {
  constructor(message: string) {
    super(`der: ${message}`);
    this.name = 'DerError';
  }
}

/** Universal and context tags used by webtls (single-byte identifiers only). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** One decoded TLV: its tag, its content, and the whole encoding (header included). */
export interface Tlv {
  tag: number;
  /** The content octets, as a view. */
  content: Uint8Array;
  /** The full encoding, header included, as a view. */
  raw: Uint8Array;
}

/**
 * Reads one TLV at `offset`. Only definite lengths are accepted (X.690 §10.1) and a length
 * must fit in the input; high-tag-number identifiers are rejected (nothing webtls reads uses
 * them).
 */
export function readTlv(data: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > data.length) throw new DerError('truncated header');
  const tag = data[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
  let pos = offset + 1;
  const first = data[pos++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    // X.690 §10.1: DER forbids the indefinite form; four length octets are plenty here.
    if (n === 0 || n > 4) throw new DerError('unsupported length form');
    if (pos + n > data.length) throw new DerError('truncated length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + data[pos++];
    if (length < 0x80 || (n > 1 && data[pos - n] === 0)) {
      throw new DerError('non-minimal length');
    }
  }
  if (pos + length > data.length) throw new DerError('content runs past the end');
  return {
    tag,
    content: data.subarray(pos, pos + length),
    raw: data.subarray(offset, pos + length),
  };
}

/** Reads exactly one TLV spanning all of `data`, optionally requiring its tag. */
export function readOnly(data: Uint8Array, tag?: number): Tlv {
  const tlv = readTlv(data, 0);
  if (tlv.raw.length !== data.length) throw new DerError('trailing bytes');
  if (tag !== undefined && tlv.tag !== tag) throw new DerError(`expected tag 0x${hex2(tag)}`);
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

/** Encodes one TLV from a tag and its content parts. */
export function encodeTlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
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

/** Encodes a dotted OID string (X.690 §8.19). */
export function encodeOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => {
    if (!/^\d+$/.test(a)) throw new DerError(`bad OID ${oid}`);
    return BigInt(a);
  });
  if (arcs.length < 2 || arcs[0] > 2n) throw new DerError(`bad OID ${oid}`);
  const values = [arcs[0] * 40n + arcs[1], ...arcs.slice(2)];
  const bytes: number[] = [];
  for (const v of values) {
    const group: number[] = [Number(v & 0x7fn)];
    for (let n = v >> 7n; n > 0n; n >>= 7n) group.unshift(Number(n & 0x7fn) | 0x80);
    bytes.push(...group);
  }
  return encodeTlv(Tag.OID, new Uint8Array(bytes));
}

/** Decodes OID content octets to dotted form. */
export function decodeOid(content: Uint8Array): string {
  if (content.length === 0) throw new DerError('empty OID');
  const values: bigint[] = [];
  let v = 0n;
  for (let i = 0; i < content.length; i++) {
    const b = content[i];
    if (v === 0n && b === 0x80) throw new DerError('non-minimal OID arc');
    v = (v << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      values.push(v);
      v = 0n;
    }
  }
  if ((content[content.length - 1] & 0x80) !== 0) throw new DerError('truncated OID');
  const first = values[0];
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...values.slice(1)].join('.');
}

/** Encodes a small non-negative INTEGER. */
export function encodeSmallInt(n: number): Uint8Array {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new DerError('integer out of range');
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0] & 0x80) bytes.unshift(0);
  return encodeTlv(Tag.INTEGER, new Uint8Array(bytes));
}

/** Decodes a non-negative INTEGER that fits in a JS number. */
export function decodeSmallInt(tlv: Tlv): number {
  const c = tlv.content;
  if (c.length === 0 || c.length > 6 || c[0] & 0x80) throw new DerError('integer out of range');
  let v = 0;
  for (const b of c) v = v * 256 + b;
  return v;
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}
