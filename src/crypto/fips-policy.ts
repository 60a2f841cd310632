/**
 * What FIPS mode allows: the FIPS 140-3 approved algorithms webtls can use, as TLS code points.
 * The sources are FIPS 197 and SP 800-38D (AES-GCM), FIPS 186-5 (ECDSA, RSA signatures),
 * SP 800-56A (ECDH), FIPS 180-4 (SHA-2), FIPS 198-1 (HMAC), SP 800-56C (HKDF), SP 800-135 (the
 * TLS 1.2 PRF) and SP 800-131A (key sizes: RSA of at least 2048 bits). SP 800-52r2 is NIST's
 * TLS profile over them. Only what webtls implements is listed: P-521 is approved but not
 * offered, and SecP256r1MLKEM768 (approved parts, FIPS 203) is not implemented.
 */

import { CipherSuite, NamedGroup, SignatureScheme } from '../msgs/enums.ts';
import type { AeadAlgorithm, HashAlgorithm } from './provider.ts';
import { schemeInfo } from './schemes.ts';
import type { SpkiInfo } from './spki.ts';

const C = CipherSuite;
const S = SignatureScheme;

/** TLS 1.3 suites allowed in FIPS mode, in preference order. */
export const FIPS_TLS13_SUITES: readonly number[] = [
  C.TLS_AES_128_GCM_SHA256,
  C.TLS_AES_256_GCM_SHA384,
];

/** TLS 1.2 suites allowed in FIPS mode: ECDHE with AES-GCM (RFC 5289). */
export const FIPS_TLS12_SUITES: readonly number[] = [
  C.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
  C.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
  C.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
  C.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
];

/** Key-exchange groups allowed in FIPS mode, in preference order. */
export const FIPS_GROUPS: readonly number[] = [NamedGroup.secp256r1, NamedGroup.secp384r1];

/**
 * Signature schemes a FIPS provider offers, in preference order. rsa_pkcs1_* serve certificate
 * signatures and TLS 1.2 (RFC 8446 §4.2.3 keeps them out of TLS 1.3 CertificateVerify).
 */
export const FIPS_SIGNATURE_SCHEMES: readonly number[] = [
  S.ecdsa_secp256r1_sha256,
  S.ecdsa_secp384r1_sha384,
  S.rsa_pss_rsae_sha256,
  S.rsa_pss_rsae_sha384,
  S.rsa_pss_rsae_sha512,
  S.rsa_pss_pss_sha256,
  S.rsa_pss_pss_sha384,
  S.rsa_pss_pss_sha512,
  S.rsa_pkcs1_sha256,
  S.rsa_pkcs1_sha384,
  S.rsa_pkcs1_sha512,
];

/** The AEADs allowed in FIPS mode. */
export const FIPS_AEADS: readonly AeadAlgorithm[] = ['AES-128-GCM', 'AES-256-GCM'];

/** The hashes allowed in FIPS mode (SHA-1 is not used by webtls at all). */
export const FIPS_HASHES: readonly HashAlgorithm[] = ['SHA-256', 'SHA-384', 'SHA-512'];

/**
 * SP 800-131A Rev. 2 §3: signing with RSA keys below 2048 bits is disallowed, verifying with
 * them is legacy use only. FIPS mode refuses both.
 */
export const FIPS_RSA_MIN_BITS = 2048;

/** The ECDSA curves allowed in FIPS mode (FIPS 186-5 approves P-521 too; webtls offers these). */
const FIPS_CURVES: readonly string[] = ['P-256', 'P-384'];

/** Whether a cipher suite (either version) is allowed in FIPS mode. */
export function fipsSuite(code: number): boolean {
  return FIPS_TLS13_SUITES.includes(code) || FIPS_TLS12_SUITES.includes(code);
}

/** Whether a key-exchange group is allowed in FIPS mode. */
export function fipsGroup(group: number): boolean {
  return FIPS_GROUPS.includes(group);
}

/**
 * Whether a signature scheme's algorithm and hash are allowed in FIPS mode. For certificate
 * signatures an ECDSA scheme stands for "ECDSA with its hash" on any curve (src/verify/
 * algorithms.ts), so ecdsa_secp521r1_sha512 passes here as ECDSA with SHA-512; the key's curve
 * is checked separately (`fipsKeyRefusal`).
 */
export function fipsSchemeAlgorithm(scheme: number): boolean {
  const info = schemeInfo(scheme);
  if (!info || info.kind === 'ed25519') return false;
  return FIPS_HASHES.includes(info.hash);
}

/**
 * Why a public key may not be used in FIPS mode, or undefined when it may: Ed25519 keys,
 * curves other than P-256 and P-384, and RSA keys below 2048 bits are refused.
 */
export function fipsKeyRefusal(key: SpkiInfo): string | undefined {
  switch (key.algorithm) {
    case 'ecdsa':
      return FIPS_CURVES.includes(key.curve ?? '')
        ? undefined
        : `ECDSA ${key.curve ?? '(no curve)'} key`;
    case 'rsa':
    case 'rsa-pss': {
      const bits = key.bits ?? 0;
      return bits >= FIPS_RSA_MIN_BITS
        ? undefined
        : `RSA-${bits} key (FIPS mode needs at least ${FIPS_RSA_MIN_BITS} bits)`;
    }
    case 'ed25519':
      return 'Ed25519 key';
  }
}
