/** The @noble/hashes functions behind each HashAlgorithm name. */

import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import { extractSalt, hkdfExpandWith } from './hkdf.ts';
import type { CryptoProvider, HashAlgorithm } from './provider.ts';

/** A noble hash constructor, the shape `hmac` and `hkdf` take. */
export type NobleHash = CHash;

const HASHES: Record<HashAlgorithm, NobleHash> = {
  // SHA-1 appears only in legacy certificate signatures and TLS 1.2 PRF-adjacent uses.
  'SHA-1': sha1,
  'SHA-256': sha256,
  'SHA-384': sha384,
  'SHA-512': sha512,
};

/** The noble hash for an algorithm name. */
export function nobleHash(alg: HashAlgorithm): NobleHash {
  const h = HASHES[alg];
  if (!h) throw new TypeError(`unknown hash ${alg}`);
  return h;
}

/** Hashes synchronously. */
export function hashSync(alg: HashAlgorithm, data: Uint8Array): Uint8Array {
  return nobleHash(alg)(data);
}

/** The hashing half of a provider, in JavaScript: digests, HMAC and HKDF (RFC 5869). */
export type Hashing = Pick<CryptoProvider, 'digest' | 'hmac' | 'hkdfExtract' | 'hkdfExpand'>;

/** Hashing through @noble/hashes: synchronous underneath, no runtime round trip per call. */
export const nobleHashing: Hashing = {
  async digest(alg, data) {
    return hashSync(alg, data);
  },
  async hmac(alg, key, data) {
    return hmac(nobleHash(alg), key, data);
  },
  async hkdfExtract(alg, salt, ikm) {
    // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM).
    return hmac(nobleHash(alg), extractSalt(alg, salt), ikm);
  },
  async hkdfExpand(alg, prk, info, length) {
    const h = nobleHash(alg);
    const key = prk.slice();
    return hkdfExpandWith(alg, (data) => hmac(h, key, data), info.slice(), length);
  },
};
