/** Key exchange in pure JavaScript: X25519, P-256 and P-384 ECDH, and ML-KEM-768. */

import { x25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { NamedGroup } from '../msgs/enums.ts';
import {
  checkNotAllZero,
  checkShareShape,
  type DhAlgorithm,
  type DhKeyPair,
  illegalShare,
} from './dh.ts';
import type { RandomSource } from './random.ts';
import type { MlKem768 } from './x25519mlkem768.ts';

/** X25519 (RFC 7748) with @noble/curves. */
export function nobleX25519(random: RandomSource): DhAlgorithm {
  const name = 'X25519';
  const group = NamedGroup.x25519;
  return {
    group,
    name,
    fips: false,
    shareLength: 32,
    async keyPair(privateKey?: Uint8Array): Promise<DhKeyPair> {
      // RFC 7748 §5: any 32 bytes are a scalar; clamping happens inside the function.
      const secret = privateKey ? privateKey.slice() : random(32);
      if (secret.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
      return {
        publicKey: x25519.getPublicKey(secret),
        async derive(peerShare: Uint8Array): Promise<Uint8Array> {
          checkShareShape(group, name, peerShare);
          let shared: Uint8Array;
          try {
            shared = x25519.getSharedSecret(secret, peerShare);
          } catch (e) {
            // noble refuses an all-zero result (a low-order point), as RFC 8446 §7.4.2 asks.
            throw illegalShare(`${name} shared secret is all zero`, e);
          }
          return checkNotAllZero(shared, name);
        },
      };
    },
  };
}

type NobleWeierstrass = typeof p256;

/** ECDH over P-256 or P-384 (RFC 8446 §7.4.1) with @noble/curves. */
export function nobleEcdh(group: number, random: RandomSource): DhAlgorithm {
  const curve: NobleWeierstrass = group === NamedGroup.secp256r1 ? p256 : p384;
  const name = group === NamedGroup.secp256r1 ? 'secp256r1' : 'secp384r1';
  const size = group === NamedGroup.secp256r1 ? 32 : 48;
  return {
    group,
    name,
    fips: false,
    shareLength: 1 + 2 * size,
    async keyPair(privateKey?: Uint8Array): Promise<DhKeyPair> {
      const seedLength = curve.lengths.seed ?? size + 16;
      const secret = privateKey
        ? privateKey.slice()
        : curve.utils.randomSecretKey(random(seedLength));
      if (!curve.utils.isValidSecretKey(secret)) throw new RangeError(`bad ${name} private key`);
      return {
        publicKey: curve.getPublicKey(secret, false),
        async derive(peerShare: Uint8Array): Promise<Uint8Array> {
          checkShareShape(group, name, peerShare);
          let point: Uint8Array;
          try {
            // RFC 8446 §4.2.8.2: the point must be on the curve; decoding checks it.
            curve.Point.fromBytes(peerShare).assertValidity();
            point = curve.getSharedSecret(secret, peerShare, true);
          } catch (e) {
            throw illegalShare(`${name} share is not a valid curve point`, e);
          }
          // RFC 8446 §7.4.1: the shared secret is the x-coordinate, field-size bytes.
          return point.slice(1, 1 + size);
        },
      };
    },
  };
}

/** ML-KEM-768 (FIPS 203) with @noble/post-quantum, drawing its randomness from `random`. */
export function nobleMlKem768(random: RandomSource): MlKem768 {
  return {
    async keygen() {
      // FIPS 203 Algorithm 19: 64 bytes of seed (d || z).
      const { publicKey, secretKey } = ml_kem768.keygen(random(64));
      return {
        encapsulationKey: publicKey,
        async decapsulate(ciphertext: Uint8Array) {
          return ml_kem768.decapsulate(ciphertext, secretKey);
        },
      };
    },
    async encapsulate(encapsulationKey: Uint8Array) {
      // FIPS 203 Algorithm 20: 32 bytes of message randomness m.
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(encapsulationKey, random(32));
      return { ciphertext: cipherText, secret: sharedSecret };
    },
  };
}
