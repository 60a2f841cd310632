/** The @noble/hashes functions behind each HashAlgorithm name. */

import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import type { HashAlgorithm } from './provider.ts';

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
