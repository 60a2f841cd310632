/**
 * webtls errors in node:tls's terms: the `code` node (OpenSSL) gives the same failure, so code
 * written against node:tls keeps working. The TlsError stays reachable as `cause`, its code as
 * `tlsCode`.
 */
import { type ErrorCode, TlsError } from '../../error.ts';
import { AlertDescription as A } from '../../msgs/enums.ts';
import { parseCertificate } from '../../verify/x509.ts';

/** An Error as node:tls reports it: `code`, and for webtls failures the original TlsError. */
export interface NodeTlsError extends Error {
  code: string;
  /** The webtls code, when the error came from webtls. */
  tlsCode?: ErrorCode;
  /** node:tls sets `reason` on some certificate errors; so do we for verification failures. */
  reason?: string;
}

/**
 * Verification failures, by OpenSSL's X509_V_ERR names (node drops the prefix). CERT_UNKNOWN_ISSUER
 * is refined by the shape of the chain in `verifyErrorCode`.
 */
const VERIFY_CODES: Partial<Record<ErrorCode, string>> = {
  CERT_EXPIRED: 'CERT_HAS_EXPIRED',
  CERT_NOT_YET_VALID: 'CERT_NOT_YET_VALID',
  CERT_REVOKED: 'CERT_REVOKED',
  CERT_NOT_CA: 'INVALID_CA',
  CERT_PATH_LEN: 'PATH_LENGTH_EXCEEDED',
  CERT_BAD_EKU: 'INVALID_PURPOSE',
  CERT_BAD_KEY_USAGE: 'KEYUSAGE_NO_CERTSIGN',
  CERT_NAME_CONSTRAINTS: 'PERMITTED_VIOLATION',
  CERT_BAD_SIGNATURE: 'CERT_SIGNATURE_FAILURE',
  CERT_REVOCATION_UNKNOWN: 'UNABLE_TO_GET_CRL',
  CERT_NAME_MISMATCH: 'ERR_TLS_CERT_ALTNAME_INVALID',
  UNSUPPORTED_CERTIFICATE: 'CERT_REJECTED',
  BAD_CERTIFICATE: 'CERT_REJECTED',
  CERT_UNKNOWN: 'CERT_UNTRUSTED',
};

/**
 * Alerts received from the peer, by the OpenSSL reason node turns into `ERR_SSL_<REASON>`
 * (OpenSSL keeps the SSLv3 and TLS 1.0 era prefixes of each alert's first appearance).
 */
const PEER_ALERT_CODES: Readonly<Record<number, string>> = {
  [A.close_notify]: 'ERR_SSL_SSLV3_ALERT_CLOSE_NOTIFY',
  [A.unexpected_message]: 'ERR_SSL_SSLV3_ALERT_UNEXPECTED_MESSAGE',
  [A.bad_record_mac]: 'ERR_SSL_SSLV3_ALERT_BAD_RECORD_MAC',
  [A.record_overflow]: 'ERR_SSL_TLSV1_ALERT_RECORD_OVERFLOW',
  [A.handshake_failure]: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  [A.bad_certificate]: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  [A.unsupported_certificate]: 'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE',
  [A.certificate_revoked]: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED',
  [A.certificate_expired]: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED',
  [A.certificate_unknown]: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN',
  [A.illegal_parameter]: 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER',
  [A.unknown_ca]: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  [A.access_denied]: 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED',
  [A.decode_error]: 'ERR_SSL_TLSV1_ALERT_DECODE_ERROR',
  [A.decrypt_error]: 'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
  [A.protocol_version]: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION',
  [A.insufficient_security]: 'ERR_SSL_TLSV1_ALERT_INSUFFICIENT_SECURITY',
  [A.internal_error]: 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR',
  [A.inappropriate_fallback]: 'ERR_SSL_TLSV1_ALERT_INAPPROPRIATE_FALLBACK',
  [A.user_canceled]: 'ERR_SSL_TLSV1_ALERT_USER_CANCELLED',
  [A.no_renegotiation]: 'ERR_SSL_NO_RENEGOTIATION',
  [A.missing_extension]: 'ERR_SSL_TLSV13_ALERT_MISSING_EXTENSION',
  [A.unsupported_extension]: 'ERR_SSL_TLSV1_UNSUPPORTED_EXTENSION',
  [A.unrecognized_name]: 'ERR_SSL_TLSV1_UNRECOGNIZED_NAME',
  [A.no_application_protocol]: 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
  [A.certificate_required]: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
};

/** Failures found on our side, by the reason OpenSSL gives the same failure. */
const LOCAL_CODES: Partial<Record<ErrorCode, string>> = {
  PROTOCOL_VERSION: 'ERR_SSL_UNSUPPORTED_PROTOCOL',
  HANDSHAKE_FAILURE: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE',
  NO_APPLICATION_PROTOCOL: 'ERR_SSL_NO_APPLICATION_PROTOCOL',
  DECRYPT_ERROR: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
  BAD_RECORD_MAC: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC',
  RECORD_OVERFLOW: 'ERR_SSL_RECORD_OVERFLOW',
  DECODE_ERROR: 'ERR_SSL_BAD_PACKET',
  UNEXPECTED_MESSAGE: 'ERR_SSL_UNEXPECTED_MESSAGE',
  ILLEGAL_PARAMETER: 'ERR_SSL_BAD_EXTENSION',
  CERTIFICATE_REQUIRED: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE',
  INAPPROPRIATE_FALLBACK: 'ERR_SSL_INAPPROPRIATE_FALLBACK',
  NO_RENEGOTIATION: 'ERR_SSL_NO_RENEGOTIATION',
  TRANSPORT: 'ECONNRESET',
  TRUNCATED: 'ECONNRESET',
  CLOSED: 'ERR_STREAM_DESTROYED',
  CONFIG: 'ERR_TLS_INVALID_CONTEXT',
};

/** Whether a DER certificate names itself as its issuer (and so ends a chain). */
function selfIssued(der: Uint8Array): boolean {
  try {
    const cert = parseCertificate(der);
    const a = cert.subject.der;
    const b = cert.issuer.der;
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  } catch {
    return false;
  }
}

/**
 * OpenSSL's name for a verification failure of `chain` (leaf first, as the peer sent it). An
 * unknown issuer is told apart the way OpenSSL does: a lone self-signed certificate
 * (DEPTH_ZERO_SELF_SIGNED_CERT), a chain ending in a self-signed root nobody trusts
 * (SELF_SIGNED_CERT_IN_CHAIN), a lone leaf whose issuer is missing
 * (UNABLE_TO_VERIFY_LEAF_SIGNATURE), or a chain whose top has no known issuer
 * (UNABLE_TO_GET_ISSUER_CERT_LOCALLY).
 */
export function verifyErrorCode(error: TlsError, chain: readonly Uint8Array[]): string {
  if (error.code !== 'CERT_UNKNOWN_ISSUER') return VERIFY_CODES[error.code] ?? 'CERT_UNTRUSTED';
  const top = chain[chain.length - 1];
  if (top && selfIssued(top)) {
    return chain.length === 1 ? 'DEPTH_ZERO_SELF_SIGNED_CERT' : 'SELF_SIGNED_CERT_IN_CHAIN';
  }
  return chain.length <= 1
    ? 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'
    : 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY';
}

/** An Error with node's `code`, wrapping `cause`. */
export function nodeError(message: string, code: string, cause?: unknown): NodeTlsError {
  const error = new Error(message, { cause }) as NodeTlsError;
  error.code = code;
  if (cause instanceof TlsError) error.tlsCode = cause.code;
  return error;
}

/**
 * The node:tls form of anything a connection failed with. `verifyCode` is the code the
 * certificate check recorded for this connection, when the failure was the check's.
 */
export function toNodeError(error: unknown, verifyCode?: string): NodeTlsError {
  if (!(error instanceof TlsError)) {
    if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
      return error as NodeTlsError;
    }
    const message = error instanceof Error ? error.message : String(error);
    return nodeError(message, 'ERR_SSL_INTERNAL_ERROR', error);
  }
  let code: string;
  if (error.code === 'PEER_ALERT' && error.peerAlert !== undefined) {
    code = PEER_ALERT_CODES[error.peerAlert] ?? `ERR_SSL_ALERT_${error.peerAlert}`;
  } else if (error.layer === 'verify' || error.code in VERIFY_CODES) {
    code = verifyCode ?? VERIFY_CODES[error.code] ?? 'CERT_UNTRUSTED';
  } else {
    code = LOCAL_CODES[error.code] ?? `ERR_SSL_${error.code}`;
  }
  const out = nodeError(error.message, code, error);
  if (error.layer === 'verify') out.reason = error.message;
  return out;
}
