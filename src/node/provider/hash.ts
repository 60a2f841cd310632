/**
 * Hashes, HMAC and HKDF on node:crypto, all synchronous: one OpenSSL call each, where WebCrypto
 * on Node goes through a thread pool and a promise per operation.
 */

import { createHash, createHmac } from 'node:crypto';
import { extractSalt } from '../../crypto/hkdf.ts';
import { type HashAlgorithm, hashLength } from '../../crypto/provider.ts';
import { TlsError } from '../../error.ts';
import { plain } from './bytes.ts';

const ONE = new Uint8Array([1]);

/** OpenSSL's names for the hashes TLS uses. */
export const NODE_HASH: Record<HashAlgorithm, string> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/** The digest of `data` (FIPS 180-4). */
export function digestSync(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  return plain(createHash(NODE_HASH[alg]).update(data).digest());
}

/**
 * HMAC (RFC 2104). node:crypto takes an empty key as it is, which HMAC pads to the zero block
 * like any short key (§2), so no special case is needed.
 */
export function hmacSync(alg: HashAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  return plain(createHmac(NODE_HASH[alg], key).update(data).digest());
}

/** RFC 5869 §2.2 HKDF-Extract: PRK = HMAC-Hash(salt, IKM), an empty salt being HashLen zeros. */
export function hkdfExtractSync(alg: HashAlgorithm, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return hmacSync(alg, extractSalt(alg, salt), ikm);
}

/**
 * RFC 5869 §2.3 HKDF-Expand: T(0) = empty; T(i) = HMAC-Hash(PRK, T(i-1) | info | i); OKM is the
 * first L octets of T(1) | T(2) | ... node:crypto's hkdfSync always extracts first, and TLS
 * needs the two steps apart (RFC 8446 §7.1), so Expand is written out over HMAC.
 */
export function hkdfExpandSync(
  alg: HashAlgorithm,
  prk: Uint8Array,
  info: Uint8Array,
  length: number,
): Uint8Array {
  const hLen = hashLength[alg];
  // RFC 5869 §2.3: L <= 255 * HashLen.
  if (!Number.isInteger(length) || length < 0 || length > 255 * hLen) {
    throw new TlsError('INTERNAL_ERROR', `HKDF-Expand length ${length} out of range`, {
      layer: 'crypto',
    });
  }
  if (length <= hLen) {
    // One block, T(1) = HMAC-Hash(PRK, info | 0x01): every TLS 1.3 secret, key and IV.
    const t = plain(createHmac(NODE_HASH[alg], prk).update(info).update(ONE).digest());
    return length === hLen ? t : t.slice(0, length);
  }
  const okm = new Uint8Array(length);
  const counter = new Uint8Array(1);
  let previous: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++, off += hLen) {
    counter[0] = i;
    const t = createHmac(NODE_HASH[alg], prk).update(previous).update(info).update(counter);
    previous = plain(t.digest());
    okm.set(previous.subarray(0, Math.min(hLen, length - off)), off);
  }
  return okm;
}
