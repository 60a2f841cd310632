/**
 * Signing keys on node:crypto: ECDSA (DER signatures, as TLS sends them), Ed25519, RSA-PSS and,
 * for rsaEncryption keys, RSA PKCS#1 v1.5 for TLS 1.2. Keys come from PKCS#8; a WebCrypto
 * `CryptoKey` is left to WebCrypto, so a non-extractable key stays that way.
 */

import { Buffer } from 'node:buffer';
import { constants, createECDH, createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { parsePkcs8, rsaEncryptionPkcs8 } from '../../crypto/pkcs8.ts';
import type { HashAlgorithm, PrivateKeySource, SigningKey } from '../../crypto/provider.ts';
import { hashLength } from '../../crypto/provider.ts';
import { checkScheme, type SchemeInfo, schemeInfo, schemesForKey } from '../../crypto/schemes.ts';
import type { EcCurve } from '../../crypto/spki.ts';
import { nativeSupport } from '../../crypto/subtle-probe.ts';
import { subtleSigningKey } from '../../crypto/subtle-sign.ts';
import { TlsError } from '../../error.ts';
import { SignatureScheme } from '../../msgs/enums.ts';
import { plain } from './bytes.ts';
import { NODE_HASH } from './hash.ts';

const PKCS1_SCHEMES = [
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** `CryptoProvider.signingKey` on node:crypto. Throws TlsError CONFIG for unusable keys. */
export async function nodeSigningKey(source: PrivateKeySource): Promise<SigningKey> {
  if ('cryptoKey' in source) {
    const subtle = globalThis.crypto.subtle;
    return subtleSigningKey(subtle, () => nativeSupport(subtle, 'Ed25519'), source);
  }
  const parsed = parsePkcs8(source.pkcs8);
  switch (parsed.kind) {
    case 'ecdsa': {
      checkScalar(parsed.curve, parsed.d);
      const key = importKey(source.pkcs8);
      const schemes = schemesForKey('ecdsa', parsed.curve);
      return {
        algorithm: 'ecdsa',
        schemes,
        async sign(scheme, data) {
          checkScheme(schemes, scheme);
          const { hash } = schemeInfo(scheme) as { hash: HashAlgorithm };
          // RFC 8446 §4.2.3: ECDSA signatures are DER Ecdsa-Sig-Value structures.
          return plain(sign(NODE_HASH[hash], data, { key, dsaEncoding: 'der' }));
        },
      };
    }
    case 'ed25519': {
      const key = importKey(source.pkcs8);
      const schemes = schemesForKey('ed25519');
      return {
        algorithm: 'ed25519',
        schemes,
        async sign(scheme, data) {
          checkScheme(schemes, scheme);
          return plain(sign(null, data, key));
        },
      };
    }
    case 'rsa': {
      // A PSS-OID key may restrict itself to one hash (RFC 4055 §3.1).
      const restrict = parsed.pssParams;
      const schemes = schemesForKey(parsed.pss ? 'rsa-pss' : 'rsa').filter((s) => {
        const info = schemeInfo(s) as Extract<SchemeInfo, { kind: 'rsa-pss' }>;
        return (
          !restrict ||
          (restrict.hash === info.hash &&
            restrict.mgfHash === info.hash &&
            restrict.saltLength <= hashLength[info.hash])
        );
      });
      if (schemes.length === 0) throw config('RSA-PSS key parameters allow no TLS scheme');
      // An rsaEncryption key also signs PKCS#1 v1.5, last in preference: TLS 1.2 peers that
      // offer no PSS need it (RFC 5246 §7.4.1.4.1); TLS 1.3 never picks it (RFC 8446 §4.2.3).
      if (!parsed.pss) schemes.push(...PKCS1_SCHEMES);
      // Imported as rsaEncryption: the schemes above already carry a PSS key's restrictions.
      const key = importKey(rsaEncryptionPkcs8(parsed.rsaPrivateKey));
      return {
        algorithm: parsed.pss ? 'rsa-pss' : 'rsa',
        schemes,
        async sign(scheme, data) {
          checkScheme(schemes, scheme);
          const info = schemeInfo(scheme) as { kind: string; hash: HashAlgorithm };
          if (info.kind === 'rsa-pkcs1') {
            return plain(
              sign(NODE_HASH[info.hash], data, { key, padding: constants.RSA_PKCS1_PADDING }),
            );
          }
          // RFC 8446 §4.2.3: the salt length equals the digest length.
          const options = {
            key,
            padding: constants.RSA_PKCS1_PSS_PADDING,
            saltLength: hashLength[info.hash],
          };
          return plain(sign(NODE_HASH[info.hash], data, options));
        },
      };
    }
  }
}

/** Imports PKCS#8 DER; OpenSSL's refusal (e.g. an EC scalar out of range) is CONFIG. */
function importKey(pkcs8: Uint8Array): KeyObject {
  const der = Buffer.from(pkcs8);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new TlsError('CONFIG', 'private key rejected by node:crypto', {
      layer: 'config',
      cause: e,
    });
  } finally {
    der.fill(0);
  }
}

const ECDH_CURVE: Record<EcCurve, string> = {
  'P-256': 'prime256v1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
};

/**
 * SEC 1 §3.2.1: a private key is an integer in [1, n-1]. OpenSSL 3.0 imports a PKCS#8 key
 * without checking that (and signs with d = n); an ECDH context's setPrivateKey checks it.
 */
function checkScalar(curve: EcCurve, d: Uint8Array): void {
  try {
    createECDH(ECDH_CURVE[curve]).setPrivateKey(d);
  } catch (e) {
    throw new TlsError('CONFIG', `invalid ${curve} private key`, { layer: 'config', cause: e });
  }
}

function config(message: string): TlsError {
  return new TlsError('CONFIG', message, { layer: 'config' });
}
