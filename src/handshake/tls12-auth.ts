import type { CryptoProvider } from '../crypto/provider.ts';
import { schemeInfo } from '../crypto/schemes.ts';
import { type SpkiAlgorithm, spkiInfo } from '../crypto/spki.ts';
import type { Tls12Suite } from '../crypto/suites.ts';
import { TlsError } from '../error.ts';
import { ClientCertificateType } from '../msgs/certificate-request12.ts';
import { concat } from '../util/bytes.ts';

/**
 * TLS 1.2 signatures: which certificate keys a suite accepts, which signature schemes a key may
 * sign ServerKeyExchange or CertificateVerify with, the signed content, and the checks.
 */

/**
 * Whether a certificate key can authenticate a suite (RFC 5246 §7.4.2, RFC 8422 §2, §5.3):
 * ECDHE_ECDSA wants an ECDSA (or, RFC 8422 §3, Ed25519) key; ECDHE_RSA an RSA key.
 */
export function keyFitsSuite(algorithm: SpkiAlgorithm, suite: Tls12Suite): boolean {
  if (suite.auth === 'ECDSA') return algorithm === 'ecdsa' || algorithm === 'ed25519';
  return algorithm === 'rsa' || algorithm === 'rsa-pss';
}

/**
 * Whether a SignatureAndHashAlgorithm fits a key in TLS 1.2. Unlike TLS 1.3, an ECDSA scheme does
 * not bind the curve (RFC 8422 §5.4 pairs the hash with any curve), and RSASSA-PKCS1-v1_5 is
 * allowed (RFC 5246 §7.4.1.4.1; RFC 8446 §4.2.3 keeps it for TLS 1.2).
 */
export function schemeFitsKey12(scheme: number, algorithm: SpkiAlgorithm): boolean {
  const info = schemeInfo(scheme);
  if (!info) return false;
  switch (info.kind) {
    case 'ecdsa':
      return algorithm === 'ecdsa';
    case 'ed25519':
      return algorithm === 'ed25519';
    case 'rsa-pkcs1':
      return algorithm === 'rsa';
    case 'rsa-pss':
      return algorithm === info.keyType;
  }
}

/**
 * RFC 8422 §5.4: the ServerKeyExchange signature covers
 * ClientHello.random + ServerHello.random + ServerKeyExchange.params.
 */
export function serverKeyExchangeContent(
  clientRandom: Uint8Array,
  serverRandom: Uint8Array,
  params: Uint8Array,
): Uint8Array {
  return concat(clientRandom, serverRandom, params);
}

/**
 * Verifies a ServerKeyExchange signature: the scheme must be one the client offered and fit the
 * certificate key, and the signature must verify (RFC 5246 §7.4.3; RFC 5246 §7.2.2: a signature
 * that does not verify is "decrypt_error").
 */
export function verifyServerKeyExchange(
  provider: CryptoProvider,
  options: SignedContent12,
): Promise<void> {
  return verifySigned12(provider, 'ServerKeyExchange', options);
}

/**
 * Verifies a client's TLS 1.2 CertificateVerify (RFC 5246 §7.4.8): `content` is every handshake
 * message up to, not including, the CertificateVerify; the scheme must be one the server's
 * CertificateRequest listed (§7.4.4) and fit the client certificate's key (the ECDSA curve is not
 * bound to the scheme in TLS 1.2, RFC 8422 §5.8); a signature that does not verify is
 * decrypt_error (§7.2.2).
 */
export function verifyCertificateVerify12(
  provider: CryptoProvider,
  options: SignedContent12,
): Promise<void> {
  return verifySigned12(provider, 'CertificateVerify', options);
}

/** A TLS 1.2 digitally-signed element and what it is checked against. */
export interface SignedContent12 {
  scheme: number;
  /** The schemes the verifying side listed. */
  offered: readonly number[];
  /** The signer's certificate key. */
  spki: Uint8Array;
  content: Uint8Array;
  signature: Uint8Array;
}

async function verifySigned12(
  provider: CryptoProvider,
  what: string,
  options: SignedContent12,
): Promise<void> {
  const { scheme } = options;
  // RFC 5246 §7.4.1.4.1, §7.4.8: the signature must use a pair the verifier listed.
  if (!options.offered.includes(scheme)) {
    throw new TlsError(
      'ILLEGAL_PARAMETER',
      `tls: ${what} signed with a scheme not offered (0x${scheme.toString(16)})`,
    );
  }
  if (!schemeFitsKey12(scheme, spkiInfo(options.spki).algorithm)) {
    throw new TlsError(
      'ILLEGAL_PARAMETER',
      `tls: ${what} scheme does not match the certificate key`,
    );
  }
  const ok = await provider.verify(scheme, options.spki, options.content, options.signature);
  if (!ok) throw new TlsError('DECRYPT_ERROR', `tls: ${what} signature is invalid`);
}

/**
 * The ClientCertificateType a client key needs (RFC 5246 §7.4.4, RFC 8422 §5.5: ecdsa_sign(64)
 * also covers Ed25519 keys, RFC 8422 §3); rsa_sign(1) for RSA and RSA-PSS keys.
 */
export function certificateTypeFor(algorithm: SpkiAlgorithm): number {
  return algorithm === 'ecdsa' || algorithm === 'ed25519'
    ? ClientCertificateType.ecdsa_sign
    : ClientCertificateType.rsa_sign;
}
