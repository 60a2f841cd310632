/**
 * Key exchange with WebCrypto: X25519 and ECDH P-256/P-384, and ML-KEM-768 where a runtime has
 * it, each falling back to @noble when the probe says the runtime lacks it.
 *
 * Keys come from `generateKey` unless a private key is fixed (tests) or the provider was given
 * its own `random`; then the scalar is imported, so injected randomness decides the key.
 */

import { TlsError } from '../error.ts';
import { NamedGroup } from '../msgs/enums.ts';
import { bufferSource, fromBase64 } from '../util/bytes.ts';
import {
  checkNotAllZero,
  checkShareShape,
  DH_PARAMS,
  type DhAlgorithm,
  type DhKeyPair,
  illegalShare,
} from './dh.ts';
import { isOnCurve } from './ec-point.ts';
import { ecPkcs8, x25519Pkcs8 } from './pkcs8.ts';
import type { RandomSource } from './random.ts';
import type { ModernSubtle } from './subtle-probe.ts';
import type { MlKem768 } from './x25519mlkem768.ts';

/** How a subtle key-exchange primitive gets its keys and its fallback. */
export interface SubtleKxContext {
  subtle: SubtleCrypto;
  /** Set when the caller supplied its own randomness: keys are then derived from it. */
  random: RandomSource | undefined;
}

/** X25519 via WebCrypto when `native` resolves true, else via `fallback`. */
export function subtleX25519(
  ctx: SubtleKxContext,
  native: () => Promise<boolean>,
  fallback: DhAlgorithm,
): DhAlgorithm {
  const { subtle } = ctx;
  const name = 'X25519';
  const group = NamedGroup.x25519;
  const alg = { name: 'X25519' };
  return {
    group,
    name,
    fips: false,
    shareLength: 32,
    async keyPair(privateKey?: Uint8Array): Promise<DhKeyPair> {
      if (!(await native())) return fallback.keyPair(privateKey);
      const fixed = privateKey ?? ctx.random?.(32);
      let priv: CryptoKey;
      let publicKey: Uint8Array;
      if (fixed) {
        if (fixed.length !== 32) throw new RangeError('X25519 private key must be 32 bytes');
        // RFC 8410 §7 PKCS#8; extractable only so the public key can be read back as a JWK.
        priv = await subtle.importKey('pkcs8', bufferSource(x25519Pkcs8(fixed)), alg, true, [
          'deriveBits',
        ]);
        const jwk = await subtle.exportKey('jwk', priv);
        publicKey = fromBase64Url(jwk.x);
      } else {
        const pair = (await subtle.generateKey(alg, false, ['deriveBits'])) as CryptoKeyPair;
        priv = pair.privateKey;
        publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      }
      return {
        publicKey,
        async derive(peerShare: Uint8Array): Promise<Uint8Array> {
          checkShareShape(group, name, peerShare);
          let bits: ArrayBuffer;
          try {
            const pub = await subtle.importKey(
              'raw',
              bufferSource(peerShare.slice()),
              alg,
              true,
              [],
            );
            bits = await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256);
          } catch (e) {
            // WebCrypto refuses an all-zero result (RFC 7748 §6.1 check) with an error.
            throw illegalShare(`${name} share rejected: low-order point`, e);
          }
          // RFC 8446 §7.4.2: abort on an all-zero shared secret.
          return checkNotAllZero(new Uint8Array(bits), name);
        },
      };
    },
  };
}

/** Group orders, for turning injected random bytes into a valid scalar (SEC 2 §2.4.2, §2.5.1). */
const ORDER: Record<'P-256' | 'P-384', bigint> = {
  'P-256': 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  'P-384':
    0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
};

/** ECDH on P-256 or P-384 via WebCrypto (available in every runtime webtls targets). */
export function subtleEcdh(ctx: SubtleKxContext, group: number): DhAlgorithm {
  const { subtle } = ctx;
  const curve: 'P-256' | 'P-384' = group === NamedGroup.secp256r1 ? 'P-256' : 'P-384';
  const name = group === NamedGroup.secp256r1 ? 'secp256r1' : 'secp384r1';
  const { shareLength, secretLength } = DH_PARAMS[group];
  const alg = { name: 'ECDH', namedCurve: curve };
  return {
    group,
    name,
    fips: true,
    shareLength,
    async keyPair(privateKey?: Uint8Array): Promise<DhKeyPair> {
      const fixed = privateKey ?? (ctx.random && randomScalar(ctx.random, curve));
      let priv: CryptoKey;
      let publicKey: Uint8Array;
      if (fixed) {
        if (!validScalar(fixed, curve)) throw new RangeError(`bad ${name} private key`);
        priv = await subtle.importKey('pkcs8', bufferSource(ecPkcs8(curve, fixed)), alg, true, [
          'deriveBits',
        ]);
        const jwk = await subtle.exportKey('jwk', priv);
        publicKey = new Uint8Array(shareLength);
        publicKey[0] = 0x04;
        publicKey.set(fromBase64Url(jwk.x), 1);
        publicKey.set(fromBase64Url(jwk.y), 1 + secretLength);
      } else {
        const pair = (await subtle.generateKey(alg, false, ['deriveBits'])) as CryptoKeyPair;
        priv = pair.privateKey;
        // WebCrypto's raw export is the uncompressed point, as RFC 8446 §4.2.8.2 wants.
        publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      }
      return {
        publicKey,
        async derive(peerShare: Uint8Array): Promise<Uint8Array> {
          checkShareShape(group, name, peerShare);
          const share = peerShare.slice();
          // RFC 8446 §4.2.8.2: the point must be on the curve. Checked here because not every
          // WebCrypto validates points on import.
          if (!isOnCurve(curve, share)) throw illegalShare(`${name} share is not on the curve`);
          let bits: ArrayBuffer;
          try {
            const pub = await subtle.importKey('raw', bufferSource(share), alg, true, []);
            bits = await subtle.deriveBits({ name: 'ECDH', public: pub }, priv, secretLength * 8);
          } catch (e) {
            throw illegalShare(`${name} share rejected by WebCrypto`, e);
          }
          // RFC 8446 §7.4.1: the shared secret is the x-coordinate.
          return new Uint8Array(bits);
        },
      };
    },
  };
}

function validScalar(d: Uint8Array, curve: 'P-256' | 'P-384'): boolean {
  if (d.length !== (curve === 'P-256' ? 32 : 48)) return false;
  let v = 0n;
  for (const b of d) v = (v << 8n) | BigInt(b);
  return v > 0n && v < ORDER[curve];
}

/** A scalar in [1, n) by rejection sampling; failing 64 times means the source is broken. */
function randomScalar(random: RandomSource, curve: 'P-256' | 'P-384'): Uint8Array {
  for (let i = 0; i < 64; i++) {
    const d = random(curve === 'P-256' ? 32 : 48);
    if (validScalar(d, curve)) return d;
  }
  throw new TlsError('INTERNAL_ERROR', 'random source keeps producing invalid scalars', {
    layer: 'crypto',
  });
}

/** ML-KEM-768 via WebCrypto's modern-algorithms extension, when `native` resolves true. */
export function subtleMlKem768(
  ctx: SubtleKxContext,
  native: () => Promise<boolean>,
  fallback: MlKem768,
): MlKem768 {
  const modern = ctx.subtle as unknown as ModernSubtle;
  const alg = { name: 'ML-KEM-768' };
  // Injected randomness must decide the keys, which native generation cannot honour.
  const useNative = async () => !ctx.random && (await native());
  return {
    async keygen() {
      if (!(await useNative())) return fallback.keygen();
      const pair = await modern.generateKey(alg, false, ['encapsulateBits', 'decapsulateBits']);
      const encapsulationKey = new Uint8Array(await modern.exportKey('raw-public', pair.publicKey));
      return {
        encapsulationKey,
        async decapsulate(ciphertext: Uint8Array) {
          const ct = bufferSource(ciphertext.slice());
          return new Uint8Array(await modern.decapsulateBits(alg, pair.privateKey, ct));
        },
      };
    },
    async encapsulate(encapsulationKey: Uint8Array) {
      if (!(await useNative())) return fallback.encapsulate(encapsulationKey);
      const ek = bufferSource(encapsulationKey.slice());
      const key = await modern.importKey('raw-public', ek, alg, false, ['encapsulateBits']);
      const { sharedKey, ciphertext } = await modern.encapsulateBits(alg, key);
      return { ciphertext: new Uint8Array(ciphertext), secret: new Uint8Array(sharedKey) };
    },
  };
}

/** RFC 7515 §2 base64url without padding. */
function fromBase64Url(s: string | undefined): Uint8Array {
  if (!s) throw new TlsError('INTERNAL_ERROR', 'WebCrypto JWK export lacks a coordinate');
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  return fromBase64(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
}
