import type { CryptoProvider } from '../crypto/provider.ts';
import { spkiInfo } from '../crypto/spki.ts';
import { TlsError } from '../error.ts';
import { SignatureScheme } from '../msgs/enums.ts';
import { utf8 } from '../util/bytes.ts';

const SERVER_CONTEXT = utf8('TLS 1.3, server CertificateVerify');
const CLIENT_CONTEXT = utf8('TLS 1.3, client CertificateVerify');

/**
 * RFC 8446 §4.4.3: the signed content is 64 bytes of 0x20, the context string, a zero byte, and
 * the transcript hash up to and including Certificate.
 */
export function certificateVerifyContent(server: boolean, transcriptHash: Uint8Array): Uint8Array {
  const context = server ? SERVER_CONTEXT : CLIENT_CONTEXT;
  const out = new Uint8Array(64 + context.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(context, 64);
  out.set(transcriptHash, 64 + context.length + 1);
  return out;
}

/** Schemes a TLS 1.3 CertificateVerify may use (RFC 8446 §4.2.3, §4.4.3). */
export function isTls13SignatureScheme(scheme: number): boolean {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
    case SignatureScheme.ecdsa_secp384r1_sha384:
    case SignatureScheme.ecdsa_secp521r1_sha512:
    case SignatureScheme.rsa_pss_rsae_sha256:
    case SignatureScheme.rsa_pss_rsae_sha384:
    case SignatureScheme.rsa_pss_rsae_sha512:
    case SignatureScheme.rsa_pss_pss_sha256:
    case SignatureScheme.rsa_pss_pss_sha384:
    case SignatureScheme.rsa_pss_pss_sha512:
    case SignatureScheme.ed25519:
    case SignatureScheme.ed448:
      return true;
    default:
      // RSASSA-PKCS1-v1_5 and SHA-1 schemes "MUST NOT" be used in CertificateVerify.
      return false;
  }
}

/** The curve a TLS 1.3 ECDSA scheme binds to (RFC 8446 §4.2.3). */
function boundCurve(scheme: number): string | undefined {
  switch (scheme) {
    case SignatureScheme.ecdsa_secp256r1_sha256:
      return 'P-256';
    case SignatureScheme.ecdsa_secp384r1_sha384:
      return 'P-384';
    case SignatureScheme.ecdsa_secp521r1_sha512:
      return 'P-521';
    default:
      return undefined;
  }
}

/** Whether a key (by its SPKI) can produce a signature under a TLS 1.3 scheme. */
export function schemeFitsKey(scheme: number, spki: Uint8Array): boolean {
  const info = spkiInfo(spki);
  const curve = boundCurve(scheme);
  if (curve) return info.algorithm === 'ecdsa' && info.curve === curve;
  if (scheme === SignatureScheme.ed25519) return info.algorithm === 'ed25519';
  if (
    scheme >= SignatureScheme.rsa_pss_rsae_sha256 &&
    scheme <= SignatureScheme.rsa_pss_rsae_sha512
  ) {
    return info.algorithm === 'rsa';
  }
  if (
    scheme >= SignatureScheme.rsa_pss_pss_sha256 &&
    scheme <= SignatureScheme.rsa_pss_pss_sha512
  ) {
    return info.algorithm === 'rsa-pss';
  }
  return false;
}

/**
 * Verifies a peer's CertificateVerify (RFC 8446 §4.4.3): the scheme must be one we offered and
 * valid in TLS 1.3, must fit the key in the peer's certificate, and the signature must verify.
 */
export async function verifyCertificateVerify(
  provider: CryptoProvider,
  options: {
    server: boolean;
    scheme: number;
    signature: Uint8Array;
    spki: Uint8Array;
    offered: readonly number[];
    transcriptHash: Uint8Array;
  },
): Promise<void> {
  const { scheme, spki } = options;
  if (!options.offered.includes(scheme) || !isTls13SignatureScheme(scheme)) {
    throw new TlsError(
      'ILLEGAL_PARAMETER',
      `tls: peer signed with a scheme not offered (0x${scheme.toString(16)})`,
    );
  }
  if (!schemeFitsKey(scheme, spki)) {
    throw new TlsError(
      'ILLEGAL_PARAMETER',
      'tls: signature scheme does not match the certificate key',
    );
  }
  const content = certificateVerifyContent(options.server, options.transcriptHash);
  const ok = await provider.verify(scheme, spki, content, options.signature);
  // RFC 8446 §4.4.3: "If the verification fails, the receiver MUST terminate the handshake
  // with a "decrypt_error" alert."
  if (!ok) throw new TlsError('DECRYPT_ERROR', 'tls: CertificateVerify signature is invalid');
}
