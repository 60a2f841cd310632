/** HKDF (RFC 5869) over any HMAC, so every provider shares one implementation of the steps. */

import { TlsError } from '../error.ts';
import type { HashAlgorithm } from './provider.ts';
import { hashLength } from './provider.ts';

/** HMAC under one fixed key. */
export type MacFn = (data: Uint8Array) => Promise<Uint8Array> | Uint8Array;

/** RFC 5869 §2.2: an absent (empty) salt is HashLen zero bytes. */
export function extractSalt(alg: HashAlgorithm, salt: Uint8Array): Uint8Array {
  return salt.length === 0 ? new Uint8Array(hashLength[alg]) : salt;
}

/**
 * RFC 5869 §2.3 HKDF-Expand given HMAC-Hash(PRK, .) as `mac`:
 *   T(0) = empty; T(i) = HMAC-Hash(PRK, T(i-1) | info | i); OKM = first L octets of T(1) | ...
 */
export async function hkdfExpandWith(
  alg: HashAlgorithm,
  mac: MacFn,
  info: Uint8Array,
  length: number,
): Promise<Uint8Array> {
  const hLen = hashLength[alg];
  // RFC 5869 §2.3: L <= 255 * HashLen.
  if (!Number.isInteger(length) || length < 0 || length > 255 * hLen) {
    throw new TlsError('INTERNAL_ERROR', `HKDF-Expand length ${length} out of range`, {
      layer: 'crypto',
    });
  }
  const okm = new Uint8Array(length);
  const input = new Uint8Array(hLen + info.length + 1);
  let prev = 0;
  for (let i = 1, off = 0; off < length; i++, off += hLen) {
    // T(1) has no previous block; later ones start with T(i-1).
    input.set(info, prev);
    input[prev + info.length] = i;
    const t = await mac(input.subarray(0, prev + info.length + 1));
    okm.set(t.subarray(0, Math.min(hLen, length - off)), off);
    input.set(t, 0);
    prev = hLen;
  }
  return okm;
}
