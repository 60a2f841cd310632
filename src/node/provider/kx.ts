/**
 * Key exchange on node:crypto: X25519 (RFC 7748) through KeyObjects, P-256 and P-384 through
 * OpenSSL's ECDH contexts, and the X25519MLKEM768 hybrid from node's X25519 with the project's
 * ML-KEM-768 (Node 20 has none). Everything runs synchronously; the promises the interface
 * wants are already settled when returned.
 *
 * Public keys cross the boundary as JWK members: OpenSSL 3.0's DER decoders cost over 100 µs a
 * key on Node 20, a JWK import about 10 µs.
 */

import { Buffer } from 'node:buffer';
import {
  createECDH,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  type ECDH,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import {
  checkNotAllZero,
  checkShareShape,
  DH_PARAMS,
  type DhAlgorithm,
  DhGroup,
  type DhKeyPair,
  illegalShare,
} from '../../crypto/dh.ts';
import { nobleMlKem768 } from '../../crypto/noble-kx.ts';
import { x25519Pkcs8 } from '../../crypto/pkcs8.ts';
import type { KeyExchangeGroup } from '../../crypto/provider.ts';
import type { RandomSource } from '../../crypto/random.ts';
import { x25519MlKem768 } from '../../crypto/x25519mlkem768.ts';
import { TlsError } from '../../error.ts';
import { NamedGroup } from '../../msgs/enums.ts';
import { fromBase64Url, plain, toBase64Url } from './bytes.ts';

/**
 * X25519 with node:crypto. With `random` set (tests), private keys are drawn from it and
 * imported, so injected randomness decides them; otherwise OpenSSL generates them.
 */
export function nodeX25519(random: RandomSource | undefined): DhAlgorithm {
  const name = 'X25519';
  const group = NamedGroup.x25519;
  return {
    group,
    name,
    fips: false,
    shareLength: 32,
    async keyPair(privateKey?: Uint8Array): Promise<DhKeyPair> {
      const fixed = privateKey ?? random?.(32);
      let priv: KeyObject;
      let pub: KeyObject;
      if (fixed) {
        // RFC 7748 §5: any 32 bytes are a scalar (clamped inside X25519).
        if (fixed.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
        const der = Buffer.from(x25519Pkcs8(fixed));
        priv = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
        der.fill(0);
        pub = createPublicKey(priv);
      } else {
        ({ privateKey: priv, publicKey: pub } = generateKeyPairSync('x25519'));
      }
      return {
        publicKey: fromBase64Url(pub.export({ format: 'jwk' }).x),
        async derive(peerShare: Uint8Array): Promise<Uint8Array> {
          checkShareShape(group, name, peerShare);
          let secret: Buffer;
          try {
            const x = toBase64Url(peerShare);
            const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
            secret = diffieHellman({ privateKey: priv, publicKey: peer });
          } catch (e) {
            // OpenSSL fails the derivation when the result is all zero (a low-order point).
            throw illegalShare(`${name} share rejected: low-order point`, e);
          }
          // RFC 8446 §7.4.2: abort on an all-zero shared secret.
          return checkNotAllZero(plain(secret), name);
        },
      };
    },
  };
}

/** ECDH on P-256 or P-384 (RFC 8446 §7.4.1) with OpenSSL's ECDH contexts. */
export function nodeEcdh(group: number, random: RandomSource | undefined): DhAlgorithm {
  const p256 = group === NamedGroup.secp256r1;
  const curve = p256 ? 'prime256v1' : 'secp384r1';
  const name = p256 ? 'secp256r1' : 'secp384r1';
  const { shareLength, secretLength } = DH_PARAMS[group];
  return {
    group,
    name,
    fips: true,
    shareLength,
    async keyPair(privateKey?: Uint8Array): Promise<DhKeyPair> {
      const ecdh = createECDH(curve);
      if (privateKey) {
        if (!setScalar(ecdh, privateKey, secretLength)) {
          throw new RangeError(`bad ${name} private key`);
        }
      } else if (random) {
        drawScalar(ecdh, random, secretLength);
      } else {
        ecdh.generateKeys();
      }
      return {
        // RFC 8446 §4.2.8.2: UncompressedPointRepresentation, node's default format.
        publicKey: plain(ecdh.getPublicKey()),
        async derive(peerShare: Uint8Array): Promise<Uint8Array> {
          checkShareShape(group, name, peerShare);
          let secret: Buffer;
          try {
            // RFC 8446 §4.2.8.2: the point must be on the curve. OpenSSL decodes the point with
            // coordinates below p and on the curve only, else this throws.
            secret = ecdh.computeSecret(peerShare);
          } catch (e) {
            throw illegalShare(`${name} share is not a valid curve point`, e);
          }
          // RFC 8446 §7.4.1: the shared secret is the x-coordinate, field-size bytes.
          return plain(secret);
        },
      };
    },
  };
}

/** Sets a big-endian scalar of exactly `size` bytes; false unless 0 < d < n. */
function setScalar(ecdh: ECDH, d: Uint8Array, size: number): boolean {
  if (d.length !== size) return false;
  try {
    ecdh.setPrivateKey(d);
    return true;
  } catch {
    return false;
  }
}

/** A scalar in [1, n) from `random` by rejection sampling; 64 misses mean a broken source. */
function drawScalar(ecdh: ECDH, random: RandomSource, size: number): void {
  for (let i = 0; i < 64; i++) {
    if (setScalar(ecdh, random(size), size)) return;
  }
  throw new TlsError('INTERNAL_ERROR', 'random source keeps producing invalid scalars', {
    layer: 'crypto',
  });
}

/**
 * The node provider's groups, by NamedGroup code point. ML-KEM draws its seeds from `random`;
 * DH private keys come from `injected` when the caller supplied randomness (tests), else from
 * OpenSSL's own key generation.
 */
export function nodeGroups(
  random: RandomSource,
  injected: RandomSource | undefined,
): Map<number, KeyExchangeGroup> {
  const x25519 = nodeX25519(injected);
  return new Map<number, KeyExchangeGroup>([
    [NamedGroup.X25519MLKEM768, x25519MlKem768(x25519, nobleMlKem768(random))],
    [NamedGroup.x25519, new DhGroup(x25519)],
    [NamedGroup.secp256r1, new DhGroup(nodeEcdh(NamedGroup.secp256r1, injected))],
    [NamedGroup.secp384r1, new DhGroup(nodeEcdh(NamedGroup.secp384r1, injected))],
  ]);
}
