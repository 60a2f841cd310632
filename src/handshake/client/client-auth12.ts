/**
 * The TLS 1.2 client's answer to a CertificateRequest (RFC 5246 §7.4.4, §7.4.6, §7.4.8): what a
 * resolver sees, which scheme the chosen certificate signs with, and the Certificate and
 * CertificateVerify messages.
 */
import type { CertifiedKey } from '../../config.ts';
import { spkiInfo } from '../../crypto/spki.ts';
import type { CertificateRequest12 } from '../../msgs/certificate-request12.ts';
import { parseCertificate } from '../../verify/x509.ts';
import { certificateTypeFor, schemeFitsKey12 } from '../tls12-auth.ts';
import type { CertificateRequestInfo, SchemePicker } from './client-auth.ts';

/** A TLS 1.2 CertificateRequest as a certificate resolver sees it. */
export function requestInfo12(
  cr: CertificateRequest12,
  serverName: string,
): CertificateRequestInfo {
  return {
    // RFC 5246 §7.4.4: one list serves both CertificateVerify and the certificates' signatures.
    signatureSchemes: cr.schemes,
    certificateSignatureSchemes: cr.schemes,
    certificateAuthorities: cr.authorities,
    serverName,
    version: 'TLSv1.2',
  };
}

/**
 * Picks the scheme for a TLS 1.2 CertificateVerify: the key's first scheme that the server
 * listed and that fits the certificate's key (PKCS#1 allowed, the ECDSA curve not bound, RFC
 * 5246 §7.4.1.4.1, RFC 8422 §5.8), provided the certificate's type is one the server asked for
 * (§7.4.6: "The certificate type MUST be appropriate for the client's certificate types").
 */
export function schemePicker12(certificateTypes: readonly number[]): SchemePicker {
  return (cert: CertifiedKey, request: CertificateRequestInfo) => {
    const algorithm = spkiInfo(parseCertificate(cert.chain[0]).spki).algorithm;
    if (!certificateTypes.includes(certificateTypeFor(algorithm))) return undefined;
    return cert.key.schemes.find(
      (s) => request.signatureSchemes.includes(s) && schemeFitsKey12(s, algorithm),
    );
  };
}
