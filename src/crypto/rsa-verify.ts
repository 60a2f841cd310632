/**
 * RSA signature verification (RFC 8017) with BigInt arithmetic, for the pure-JavaScript
 * provider: RSASSA-PKCS1-v1_5 (§8.2.2) and RSASSA-PSS with MGF1 (§8.1.2).
 *
 * Only public values are involved, so nothing here needs to run in constant time.
 */

import { encodeOid, encodeTlv, Tag } from '../codec/der.ts';
import { equalBytes } from '../util/bytes.ts';
import { Oid } from './oids.ts';
import type { HashAlgorithm } from './provider.ts';
import { hashLength } from './provider.ts';
import { bytesToBigInt, type RsaPublicKey } from './spki.ts';

/** A synchronous hash function, supplied by the caller. */
export type HashFn = (alg: HashAlgorithm, data: Uint8Array) => Uint8Array;

const HASH_OID: Record<HashAlgorithm, string> = {
  'SHA-1': Oid.sha1,
  'SHA-256': Oid.sha256,
  'SHA-384': Oid.sha384,
  'SHA-512': Oid.sha512,
};

/**
 * RFC 8017 §8.2.2 RSASSA-PKCS1-v1_5-VERIFY, given the message digest.
 * Returns false for any invalid signature, including one of the wrong length.
 */
export function rsaPkcs1Verify(
  key: RsaPublicKey,
  hash: HashAlgorithm,
  digest: Uint8Array,
  signature: Uint8Array,
): boolean {
  // 1. Length checking: the signature is exactly k octets.
  const k = key.size;
  if (signature.length !== k) return false;

  // 2. RSAVP1: m = s^e mod n, with s < n (§5.2.2).
  const em = rsavp1(key, signature, k);
  if (!em) return false;

  // 3. EMSA-PKCS1-v1_5-ENCODE (§9.2): 0x00 || 0x01 || PS (0xff..., at least 8) || 0x00 || T.
  const t = encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(Tag.SEQUENCE, encodeOid(HASH_OID[hash]), encodeTlv(Tag.NULL)),
    encodeTlv(Tag.OCTET_STRING, digest),
  );
  if (k < t.length + 11) return false;
  const expected = new Uint8Array(k).fill(0xff);
  expected[0] = 0x00;
  expected[1] = 0x01;
  expected[k - t.length - 1] = 0x00;
  expected.set(t, k - t.length);

  // 4. Compare EM and EM'.
  return equalBytes(em, expected);
}

/**
 * RFC 8017 §8.1.2 RSASSA-PSS-VERIFY with MGF1 over the same hash, given the message digest
 * `mHash` and the exact salt length (TLS 1.3 §4.2.3 requires it to equal the digest length).
 */
export function rsaPssVerify(
  key: RsaPublicKey,
  hash: HashAlgorithm,
  hashFn: HashFn,
  mHash: Uint8Array,
  signature: Uint8Array,
  saltLength: number,
): boolean {
  // 1. Length checking.
  const k = key.size;
  if (signature.length !== k) return false;

  // 2. RSAVP1, then EM = I2OSP(m, emLen) with emBits = modBits - 1.
  const em0 = rsavp1(key, signature, k);
  if (!em0) return false;
  const emBits = key.bits - 1;
  const emLen = Math.ceil(emBits / 8);
  // When emLen < k the leading octet of the k-octet value must be zero to fit in emLen.
  if (emLen < k && em0[0] !== 0) return false;
  const em = em0.subarray(k - emLen);

  // 3. EMSA-PSS-VERIFY (§9.1.2).
  const hLen = hashLength[hash];
  if (mHash.length !== hLen) return false;
  // Step 3: emLen >= hLen + sLen + 2.
  if (emLen < hLen + saltLength + 2) return false;
  // Step 4: the rightmost octet is 0xbc.
  if (em[emLen - 1] !== 0xbc) return false;
  // Step 5: maskedDB and H.
  const dbLen = emLen - hLen - 1;
  const maskedDb = em.subarray(0, dbLen);
  const h = em.subarray(dbLen, dbLen + hLen);
  // Step 6: the leftmost 8*emLen - emBits bits of maskedDB are zero.
  const zeroBits = 8 * emLen - emBits;
  const topMask = 0xff >> zeroBits;
  if ((maskedDb[0] & ~topMask & 0xff) !== 0) return false;
  // Steps 7-9: DB = maskedDB xor MGF1(H, dbLen), then clear the same top bits.
  const db = mgf1(hash, hashFn, h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] ^= maskedDb[i];
  db[0] &= topMask;
  // Step 10: DB = PS (zeros) || 0x01 || salt.
  const psLen = emLen - hLen - saltLength - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  // Step 11: the salt.
  const salt = db.subarray(dbLen - saltLength);
  // Steps 12-14: H' = Hash(0x00 x 8 || mHash || salt), compare with H.
  const mPrime = new Uint8Array(8 + hLen + saltLength);
  mPrime.set(mHash, 8);
  mPrime.set(salt, 8 + hLen);
  return equalBytes(hashFn(hash, mPrime), h);
}

/** RFC 8017 §B.2.1 MGF1. */
function mgf1(hash: HashAlgorithm, hashFn: HashFn, seed: Uint8Array, length: number): Uint8Array {
  const hLen = hashLength[hash];
  const out = new Uint8Array(length);
  const input = new Uint8Array(seed.length + 4);
  input.set(seed);
  for (let counter = 0, off = 0; off < length; counter++, off += hLen) {
    input[seed.length] = counter >>> 24;
    input[seed.length + 1] = (counter >>> 16) & 0xff;
    input[seed.length + 2] = (counter >>> 8) & 0xff;
    input[seed.length + 3] = counter & 0xff;
    const block = hashFn(hash, input);
    out.set(block.subarray(0, Math.min(hLen, length - off)), off);
  }
  return out;
}

/** RFC 8017 §5.2.2 RSAVP1 and I2OSP to k octets; undefined when s >= n. */
function rsavp1(key: RsaPublicKey, signature: Uint8Array, k: number): Uint8Array | undefined {
  const s = bytesToBigInt(signature);
  if (s >= key.n) return undefined;
  return i2osp(modPow(s, key.e, key.n), k);
}

/** base^exp mod m by square-and-multiply; exp is a public exponent. */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n;
  let b = base % m;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return result;
}

/** RFC 8017 §4.1 I2OSP. */
function i2osp(x: bigint, len: number): Uint8Array {
  const hex = x.toString(16).padStart(2 * len, '0');
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}
