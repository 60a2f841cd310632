/**
 * `CryptoProvider.verify` on node:crypto: ECDSA, Ed25519, RSA-PSS and RSA PKCS#1 v1.5, with the
 * same acceptance rules as the other providers (prepareVerify decides scheme and key fit, ECDSA
 * signatures pass the strict DER reader, RSA signatures must be exactly k octets).
 *
 * Imported public keys are kept per SubjectPublicKeyInfo in a small LRU: a chain's CA keys recur
 * on every handshake, and OpenSSL 3.0's DER decoder costs more than the verification itself.
 */

import { Buffer } from 'node:buffer';
import { constants, createPublicKey, type KeyObject, verify } from 'node:crypto';
import { ecdsaDerToRaw } from '../../crypto/ecdsa-der.ts';
import { hashLength } from '../../crypto/provider.ts';
import { curveSize, type EcCurve, type ParsedSpki, rsaEncryptionSpki } from '../../crypto/spki.ts';
import { prepareVerify } from '../../crypto/verify-common.ts';
import { TlsError } from '../../error.ts';
import { toHex } from '../../util/bytes.ts';
import { Lru } from '../../util/lru.ts';
import { NODE_HASH } from './hash.ts';

/** Public keys kept per verifier. */
const CACHE_SIZE = 64;

/** A verify function with its own key cache. */
export type NodeVerify = (
  scheme: number,
  spki: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
) => boolean;

/** A `CryptoProvider.verify`, synchronous, with a key cache of its own (one per provider). */
export function nodeVerifier(): NodeVerify {
  const keys = new Lru<string, KeyObject>(CACHE_SIZE);

  /** The KeyObject for a parsed key, from the cache or imported. */
  const keyObject = (spki: Uint8Array, parsed: ParsedSpki): KeyObject => {
    const id = toHex(spki);
    const cached = keys.get(id);
    if (cached) return cached;
    // RSA-PSS-OID keys are imported as rsaEncryption (the same RSAPublicKey), as the subtle
    // provider does; the scheme's parameters were checked against the key's already.
    const der = parsed.algorithm === 'rsa-pss' ? rsaEncryptionSpki(parsed.key) : spki;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' });
    } catch (e) {
      throw new TlsError('BAD_CERTIFICATE', 'public key rejected by node:crypto', {
        layer: 'crypto',
        cause: e,
      });
    }
    keys.set(id, key);
    return key;
  };

  return (scheme, spki, data, signature) => {
    const prepared = prepareVerify(scheme, spki);
    if (!prepared.ok) return false;
    const { info, key: parsed } = prepared;
    const key = keyObject(spki, parsed);
    try {
      switch (info.kind) {
        case 'ecdsa': {
          // The curve comes from the key, the hash from the scheme; OpenSSL truncates the
          // digest to the order's length (SEC 1 §4.1.4 step 5).
          const raw = ecdsaDerToRaw(signature, curveSize[parsed.curve as EcCurve]);
          if (!raw) return false;
          return verify(NODE_HASH[info.hash], data, { key, dsaEncoding: 'ieee-p1363' }, raw);
        }
        case 'ed25519':
          // RFC 8032 §5.1.7: a signature is 64 bytes.
          return signature.length === 64 && verify(null, data, key, signature);
        case 'rsa-pss':
          // RFC 8017 §8.1.2 step 1: the signature is exactly k octets.
          if (signature.length !== parsed.rsa!.size) return false;
          // RFC 8446 §4.2.3: the salt length equals the digest length.
          return verify(
            NODE_HASH[info.hash],
            data,
            {
              key,
              padding: constants.RSA_PKCS1_PSS_PADDING,
              saltLength: hashLength[info.hash],
            },
            signature,
          );
        case 'rsa-pkcs1':
          // RFC 8017 §8.2.2 step 1.
          if (signature.length !== parsed.rsa!.size) return false;
          return verify(
            NODE_HASH[info.hash],
            data,
            { key, padding: constants.RSA_PKCS1_PADDING },
            signature,
          );
      }
    } catch {
      // OpenSSL raises for some malformed signatures (e.g. s >= n) where false is the answer.
      return false;
    }
  };
}
