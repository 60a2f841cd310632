/**
 * Signatures in pure JavaScript: ECDSA (P-256/384/521) and Ed25519 with @noble/curves, RSA
 * verification with BigInt (rsa-verify.ts). RSA signing is not offered: noble has no RSA, and
 * private-key RSA in BigInt would not be constant time.
 */

import { p256, p384, p521 } from '@noble/curves/nist.js';
import { TlsError } from '../error.ts';
import { ecdsaDerToRaw, ecdsaRawToDer } from './ecdsa-der.ts';
import { ed25519Sign, ed25519Verify } from './noble-ed25519.ts';
import { hashSync } from './noble-hash.ts';
import { parsePkcs8 } from './pkcs8.ts';
import type { PrivateKeySource, SigningKey } from './provider.ts';
import { hashLength } from './provider.ts';
import type { RandomSource } from './random.ts';
import { rsaPkcs1Verify, rsaPssVerify } from './rsa-verify.ts';
import { checkScheme, schemeInfo, schemesForKey } from './schemes.ts';
import { curveSize, type EcCurve } from './spki.ts';
import { prepareVerify } from './verify-common.ts';

const CURVES = { 'P-256': p256, 'P-384': p384, 'P-521': p521 } as const;

/** `CryptoProvider.verify` in pure JavaScript. */
export function nobleVerify(
  scheme: number,
  spki: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const prepared = prepareVerify(scheme, spki);
  if (!prepared.ok) return false;
  const { info, key } = prepared;
  switch (info.kind) {
    case 'ecdsa': {
      const curve = key.curve as EcCurve;
      const raw = ecdsaDerToRaw(signature, curveSize[curve]);
      if (!raw) return false;
      const impl = CURVES[curve];
      checkPoint(() => impl.Point.fromBytes(key.key).assertValidity());
      // The hash comes from the scheme, the curve from the key; noble truncates the digest
      // to the group order's bit length as ECDSA specifies (SEC 1 §4.1.4 step 5).
      const digest = hashSync(info.hash, data);
      return quietly(() =>
        impl.verify(raw, digest, key.key, { prehash: false, lowS: false, format: 'compact' }),
      );
    }
    case 'ed25519':
      return ed25519Verify(key.key, data, signature);
    case 'rsa-pss':
      return rsaPssVerify(
        key.rsa!,
        info.hash,
        hashSync,
        hashSync(info.hash, data),
        signature,
        hashLength[info.hash],
      );
    case 'rsa-pkcs1':
      return rsaPkcs1Verify(key.rsa!, info.hash, hashSync(info.hash, data), signature);
  }
}

/**
 * `CryptoProvider.signingKey` in pure JavaScript: ECDSA and Ed25519 keys from PKCS#8.
 * @throws TlsError CONFIG for RSA keys (no constant-time RSA here) and for WebCrypto keys.
 */
export function nobleSigningKey(source: PrivateKeySource, random: RandomSource): SigningKey {
  if (!('pkcs8' in source)) {
    throw new TlsError('CONFIG', 'the noble provider cannot sign with a WebCrypto key', {
      layer: 'config',
    });
  }
  const parsed = parsePkcs8(source.pkcs8);
  switch (parsed.kind) {
    case 'rsa':
      throw new TlsError('CONFIG', 'the noble provider does not sign with RSA keys', {
        layer: 'config',
      });
    case 'ed25519': {
      const seed = parsed.seed;
      const schemes = schemesForKey('ed25519');
      return {
        algorithm: 'ed25519',
        schemes,
        async sign(scheme, data) {
          checkScheme(schemes, scheme);
          return ed25519Sign(seed, data);
        },
      };
    }
    case 'ecdsa': {
      const { curve, d } = parsed;
      const impl = CURVES[curve];
      if (!impl.utils.isValidSecretKey(d)) {
        throw new TlsError('CONFIG', `invalid ${curve} private key`, { layer: 'config' });
      }
      const schemes = schemesForKey('ecdsa', curve);
      return {
        algorithm: 'ecdsa',
        schemes,
        async sign(scheme, data) {
          checkScheme(schemes, scheme);
          const info = schemeInfo(scheme);
          if (info?.kind !== 'ecdsa') throw new Error('unreachable');
          const digest = hashSync(info.hash, data);
          // RFC 6979 deterministic nonces, hedged with fresh randomness.
          const raw = impl.sign(digest, d, {
            prehash: false,
            lowS: false,
            format: 'compact',
            extraEntropy: random(32),
          });
          return ecdsaRawToDer(raw);
        },
      };
    }
  }
}

/** A public key that is not a valid point is a malformed certificate key. */
function checkPoint(check: () => void): void {
  try {
    check();
  } catch (e) {
    throw new TlsError('BAD_CERTIFICATE', 'public key is not a valid curve point', {
      layer: 'crypto',
      cause: e,
    });
  }
}

/** noble throws on some malformed signatures where false is the answer. */
function quietly(verify: () => boolean): boolean {
  try {
    return verify();
  } catch {
    return false;
  }
}
