/**
 * What each TLS SignatureScheme (RFC 8446 §4.2.3) means to a provider: the algorithm, the hash,
 * and for ECDSA the curve the scheme names.
 */

import { TlsError } from '../error.ts';
import { nameOf, SignatureScheme } from '../msgs/enums.ts';
import type { HashAlgorithm } from './provider.ts';
import type { EcCurve } from './spki.ts';

/** A signature scheme, decomposed. */
export type SchemeInfo =
  | {
      kind: 'ecdsa';
      hash: HashAlgorithm;
      /** The curve the scheme names. TLS 1.3 binds it to the key; certificates do not. */
      curve: EcCurve;
    }
  | { kind: 'ed25519' }
  | {
      kind: 'rsa-pss';
      hash: HashAlgorithm;
      /** rsa_pss_rsae_* want an rsaEncryption key, rsa_pss_pss_* an id-RSASSA-PSS key. */
      keyType: 'rsa' | 'rsa-pss';
    }
  | { kind: 'rsa-pkcs1'; hash: HashAlgorithm };

const S = SignatureScheme;

const TABLE: ReadonlyMap<number, SchemeInfo> = new Map<number, SchemeInfo>([
  [S.ecdsa_secp256r1_sha256, { kind: 'ecdsa', hash: 'SHA-256', curve: 'P-256' }],
  [S.ecdsa_secp384r1_sha384, { kind: 'ecdsa', hash: 'SHA-384', curve: 'P-384' }],
  [S.ecdsa_secp521r1_sha512, { kind: 'ecdsa', hash: 'SHA-512', curve: 'P-521' }],
  [S.ed25519, { kind: 'ed25519' }],
  [S.rsa_pss_rsae_sha256, { kind: 'rsa-pss', hash: 'SHA-256', keyType: 'rsa' }],
  [S.rsa_pss_rsae_sha384, { kind: 'rsa-pss', hash: 'SHA-384', keyType: 'rsa' }],
  [S.rsa_pss_rsae_sha512, { kind: 'rsa-pss', hash: 'SHA-512', keyType: 'rsa' }],
  [S.rsa_pss_pss_sha256, { kind: 'rsa-pss', hash: 'SHA-256', keyType: 'rsa-pss' }],
  [S.rsa_pss_pss_sha384, { kind: 'rsa-pss', hash: 'SHA-384', keyType: 'rsa-pss' }],
  [S.rsa_pss_pss_sha512, { kind: 'rsa-pss', hash: 'SHA-512', keyType: 'rsa-pss' }],
  [S.rsa_pkcs1_sha256, { kind: 'rsa-pkcs1', hash: 'SHA-256' }],
  [S.rsa_pkcs1_sha384, { kind: 'rsa-pkcs1', hash: 'SHA-384' }],
  [S.rsa_pkcs1_sha512, { kind: 'rsa-pkcs1', hash: 'SHA-512' }],
]);

/** The decomposition of a scheme, or undefined for schemes no provider here supports. */
export function schemeInfo(scheme: number): SchemeInfo | undefined {
  return TABLE.get(scheme);
}

/**
 * The schemes both built-in providers verify, in the order a ClientHello offers them.
 * rsa_pkcs1_* are for certificate signatures only: RFC 8446 §4.2.3 forbids them in
 * CertificateVerify, which the handshake enforces.
 */
export const VERIFY_SCHEMES: readonly number[] = [
  S.ecdsa_secp256r1_sha256,
  S.ecdsa_secp384r1_sha384,
  S.ed25519,
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pss_pss_sha256,
  S.rsa_pss_pss_sha384,
  S.rsa_pss_pss_sha512,
  S.rsa_pkcs1_sha256,
  S.rsa_pkcs1_sha384,
  S.rsa_pkcs1_sha512,
  S.ecdsa_secp521r1_sha512,
];

/** The schemes a private key of each kind signs with, in preference order. */
export function schemesForKey(
  kind: 'ecdsa' | 'ed25519' | 'rsa' | 'rsa-pss',
  curve?: EcCurve,
): number[] {
  switch (kind) {
    case 'ecdsa':
      return curve === 'P-256'
        ? [S.ecdsa_secp256r1_sha256]
        : curve === 'P-384'
          ? [S.ecdsa_secp384r1_sha384]
          : [S.ecdsa_secp521r1_sha512];
    case 'ed25519':
      return [S.ed25519];
    case 'rsa':
      return [S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512];
    case 'rsa-pss':
      return [S.rsa_pss_pss_sha256, S.rsa_pss_pss_sha384, S.rsa_pss_pss_sha512];
  }
}

/** Throws unless a signing key offers the scheme (a caller bug, not a peer's). */
export function checkScheme(schemes: readonly number[], scheme: number): void {
  if (!schemes.includes(scheme)) {
    throw new TlsError(
      'INTERNAL_ERROR',
      `signing key does not offer ${nameOf(SignatureScheme, scheme, 2)}`,
      { layer: 'crypto' },
    );
  }
}
