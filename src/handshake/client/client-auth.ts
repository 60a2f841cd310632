/**
 * The client's answer to a CertificateRequest (RFC 8446 §4.3.2, §4.4.2; RFC 5246 §7.4.4,
 * §7.4.6 for TLS 1.2): which certificate to send and which scheme to sign CertificateVerify with.
 */
import type { CertifiedKey } from '../../config.ts';
import { TlsError } from '../../error.ts';
import { ExtensionType } from '../../msgs/enums.ts';
import { decodeCertificateAuthorities } from '../../msgs/extensions/certificate-authorities.ts';
import { type Extension, findExtension } from '../../msgs/extensions/extension.ts';
import { decodeSignatureSchemes } from '../../msgs/extensions/signature-algorithms.ts';
import { isTls13SignatureScheme } from '../certificate-verify.ts';

/** What the server asked for, as a certificate resolver sees it. */
export interface CertificateRequestInfo {
  /** Schemes the server accepts in CertificateVerify (signature_algorithms). */
  signatureSchemes: readonly number[];
  /**
   * Schemes the server accepts in certificate signatures (signature_algorithms_cert, RFC 8446
   * §4.2.3); when the server sent none, the same as `signatureSchemes`.
   */
  certificateSignatureSchemes: readonly number[];
  /** Distinguished names (DER) of the issuers the server accepts; empty when it named none. */
  certificateAuthorities: readonly Uint8Array[];
  /** The server name the client dialled. */
  serverName: string;
  /**
   * The version negotiated. In TLS 1.2 an RSA key may also sign PKCS#1 v1.5 and an ECDSA
   * scheme does not name the key's curve; the resolver need not care, as the scheme is chosen
   * after it answers.
   */
  version: 'TLSv1.2' | 'TLSv1.3';
}

/**
 * Chooses the client certificate for a CertificateRequest; undefined sends none (an empty
 * Certificate message, RFC 8446 §4.4.2). Errors it throws end the handshake with
 * internal_error.
 */
export type ClientCertResolver = (
  request: CertificateRequestInfo,
) => CertifiedKey | undefined | Promise<CertifiedKey | undefined>;

/** Reads the request's extensions into what a resolver sees. */
export function requestInfo(extensions: Extension[], serverName: string): CertificateRequestInfo {
  const sigAlgs = findExtension(extensions, ExtensionType.signature_algorithms);
  // RFC 8446 §4.3.2: "The "signature_algorithms" extension MUST be specified".
  if (!sigAlgs) {
    throw new TlsError('MISSING_EXTENSION', 'tls: CertificateRequest without signature_algorithms');
  }
  const signatureSchemes = decodeSignatureSchemes(sigAlgs);
  const certExt = findExtension(extensions, ExtensionType.signature_algorithms_cert);
  const authorities = findExtension(extensions, ExtensionType.certificate_authorities);
  return {
    signatureSchemes,
    certificateSignatureSchemes: certExt ? decodeSignatureSchemes(certExt) : signatureSchemes,
    certificateAuthorities: authorities ? decodeCertificateAuthorities(authorities) : [],
    serverName,
    version: 'TLSv1.3',
  };
}

/** Picks the scheme a certificate signs CertificateVerify with; undefined when none fits. */
export type SchemePicker = (
  cert: CertifiedKey,
  request: CertificateRequestInfo,
) => number | undefined;

/** The first scheme the key offers that the server accepts and TLS 1.3 allows. */
export function clientScheme(cert: CertifiedKey, request: CertificateRequestInfo) {
  return cert.key.schemes.find(
    (s) => isTls13SignatureScheme(s) && request.signatureSchemes.includes(s),
  );
}

/**
 * The certificate and scheme to answer with: the resolver's choice, else the configured
 * certificate; undefined (send none) when there is neither or its key fits no offered scheme.
 * `pick` chooses the scheme by the version's rules (TLS 1.3's by default).
 */
export async function chooseClientCertificate(
  configured: CertifiedKey | undefined,
  resolver: ClientCertResolver | undefined,
  request: CertificateRequestInfo,
  pick: SchemePicker = clientScheme,
): Promise<{ cert: CertifiedKey; scheme: number } | undefined> {
  let cert = configured;
  if (resolver) {
    try {
      cert = await resolver(request);
    } catch (cause) {
      throw new TlsError('INTERNAL_ERROR', 'tls: the client certificate resolver failed', {
        layer: 'app',
        cause,
      });
    }
  }
  if (!cert || cert.chain.length === 0) return undefined;
  const scheme = pick(cert, request);
  return scheme === undefined ? undefined : { cert, scheme };
}
