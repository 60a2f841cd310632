/**
 * ECDSA signature encodings. TLS carries DER (RFC 8446 §4.2.3 refers to the X9.62 / RFC 3279
 * structure below); WebCrypto and noble's compact form use the fixed-size r || s.
 *
 *   Ecdsa-Sig-Value ::= SEQUENCE {
 *     r  INTEGER,
 *     s  INTEGER }
 */

import { DerError, DerReader, encodeTlv, encodeUnsignedInteger, Tag } from '../codec/der.ts';

/**
 * Converts a DER Ecdsa-Sig-Value to r || s, each left-padded to `size` bytes (32 for P-256,
 * 48 for P-384, 66 for P-521). Strict: returns undefined for anything but minimal DER with
 * positive r and s that fit in `size` bytes and no trailing bytes.
 */
export function ecdsaDerToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  try {
    const outer = new DerReader(der);
    const seq = outer.sequence();
    outer.end();
    const r = seq.unsignedInteger();
    const s = seq.unsignedInteger();
    seq.end();
    if (r.length > size || s.length > size || isZero(r) || isZero(s)) return undefined;
    const raw = new Uint8Array(2 * size);
    raw.set(r, size - r.length);
    raw.set(s, 2 * size - s.length);
    return raw;
  } catch (e) {
    if (e instanceof DerError) return undefined;
    throw e;
  }
}

/** Converts r || s (two equal halves) to a DER Ecdsa-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new RangeError('r || s has odd length');
  const half = raw.length / 2;
  return encodeTlv(
    Tag.SEQUENCE,
    encodeUnsignedInteger(raw.subarray(0, half)),
    encodeUnsignedInteger(raw.subarray(half)),
  );
}

function isZero(v: Uint8Array): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return false;
  return true;
}
