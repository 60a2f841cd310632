import { AlertDescription, nameOf } from './msgs/enums.ts';

/** The layer an error came from, for diagnostics. */
export type ErrorLayer =
  | 'codec'
  | 'record'
  | 'handshake'
  | 'crypto'
  | 'verify'
  | 'config'
  | 'transport'
  | 'peer'
  | 'app';

/**
 * Stable error codes, each with the alert sent when it ends a connection. This table is the one
 * place that decides which alert goes on the wire (RFC 8446 §6.2 names them).
 */
export const ErrorCodes = {
  // Malformed or unexpected input from the peer.
  DECODE_ERROR: AlertDescription.decode_error,
  ILLEGAL_PARAMETER: AlertDescription.illegal_parameter,
  UNEXPECTED_MESSAGE: AlertDescription.unexpected_message,
  UNSUPPORTED_EXTENSION: AlertDescription.unsupported_extension,
  MISSING_EXTENSION: AlertDescription.missing_extension,
  RECORD_OVERFLOW: AlertDescription.record_overflow,
  BAD_RECORD_MAC: AlertDescription.bad_record_mac,
  DECRYPT_ERROR: AlertDescription.decrypt_error,
  HANDSHAKE_FAILURE: AlertDescription.handshake_failure,
  PROTOCOL_VERSION: AlertDescription.protocol_version,
  INSUFFICIENT_SECURITY: AlertDescription.insufficient_security,
  NO_APPLICATION_PROTOCOL: AlertDescription.no_application_protocol,
  UNRECOGNIZED_NAME: AlertDescription.unrecognized_name,
  INAPPROPRIATE_FALLBACK: AlertDescription.inappropriate_fallback,
  NO_RENEGOTIATION: AlertDescription.no_renegotiation,
  CERTIFICATE_REQUIRED: AlertDescription.certificate_required,
  // draft-ietf-tls-esni §6.1.6: ECH was offered and rejected (see TlsError.echRetryConfigs).
  ECH_REQUIRED: AlertDescription.ech_required,
  // Certificate verification (RFC 8446 §6.2 alert per reason).
  BAD_CERTIFICATE: AlertDescription.bad_certificate,
  UNSUPPORTED_CERTIFICATE: AlertDescription.unsupported_certificate,
  CERT_EXPIRED: AlertDescription.certificate_expired,
  CERT_NOT_YET_VALID: AlertDescription.certificate_expired,
  CERT_REVOKED: AlertDescription.certificate_revoked,
  CERT_REVOCATION_UNKNOWN: AlertDescription.certificate_unknown,
  CERT_NAME_MISMATCH: AlertDescription.certificate_unknown,
  CERT_UNKNOWN_ISSUER: AlertDescription.unknown_ca,
  CERT_NOT_CA: AlertDescription.bad_certificate,
  CERT_PATH_LEN: AlertDescription.bad_certificate,
  CERT_BAD_EKU: AlertDescription.certificate_unknown,
  CERT_BAD_KEY_USAGE: AlertDescription.bad_certificate,
  CERT_NAME_CONSTRAINTS: AlertDescription.certificate_unknown,
  CERT_BAD_SIGNATURE: AlertDescription.bad_certificate,
  CERT_UNKNOWN: AlertDescription.certificate_unknown,
  // The peer told us something went wrong.
  PEER_ALERT: AlertDescription.close_notify,
  // Our side.
  INTERNAL_ERROR: AlertDescription.internal_error,
  CONFIG: AlertDescription.internal_error,
  CLOSED: AlertDescription.close_notify,
  TRUNCATED: AlertDescription.close_notify,
  TRANSPORT: AlertDescription.internal_error,
  // Write-through API: the caller's output buffer is too small (InsufficientSpaceError).
  BUFFER_TOO_SMALL: AlertDescription.internal_error,
} as const;
export type ErrorCode = keyof typeof ErrorCodes;

export interface TlsErrorOptions {
  layer?: ErrorLayer;
  cause?: unknown;
  /** For PEER_ALERT: the alert the peer sent. */
  peerAlert?: number;
  /** For ECH_REQUIRED: the retry configurations the server sent (an ECHConfigList). */
  echRetryConfigs?: Uint8Array;
}

/**
 * The one error type webtls throws. `code` is stable; `alert` is what was (or would be) sent to
 * the peer; `layer` is where it came from. Messages start with `tls: `.
 */
export class TlsError extends Error {
  readonly code: ErrorCode;
  readonly layer: ErrorLayer;
  readonly peerAlert: number | undefined;
  /**
   * For ECH_REQUIRED: the server's retry configurations (an ECHConfigList), authenticated by a
   * certificate for the ECH public name; retry on a new connection with them. Undefined when the
   * server sent none: it has disabled ECH.
   */
  readonly echRetryConfigs: Uint8Array | undefined;

  constructor(code: ErrorCode, message: string, options: TlsErrorOptions = {}) {
    super(message.startsWith('tls: ') ? message : `tls: ${message}`, {
      cause: options.cause,
    });
    this.name = 'TlsError';
    this.code = code;
    this.layer = options.layer ?? 'handshake';
    this.peerAlert = options.peerAlert;
    this.echRetryConfigs = options.echRetryConfigs;
  }

  /** The alert description this error sends to the peer. */
  get alert(): number {
    return alertFor(this);
  }

  /** Whether sending an alert for this error makes sense (not for a peer's alert or EOF). */
  get sendsAlert(): boolean {
    return (
      this.code !== 'PEER_ALERT' &&
      this.code !== 'CLOSED' &&
      this.code !== 'TRUNCATED' &&
      this.code !== 'BUFFER_TOO_SMALL'
    );
  }
}

/**
 * Write-through API: the buffer handed in cannot hold what must be written. Nothing was written
 * and nothing was consumed; call again with at least `required` bytes. Not a connection failure.
 */
export class InsufficientSpaceError extends TlsError {
  constructor(readonly required: number) {
    super('BUFFER_TOO_SMALL', `tls: output needs ${required} bytes`, { layer: 'app' });
    this.name = 'InsufficientSpaceError';
  }
}

/** The single function that decides which alert an error sends. */
export function alertFor(error: unknown): number {
  if (error instanceof TlsError) return ErrorCodes[error.code];
  return AlertDescription.internal_error;
}

/** Wraps anything thrown into a TlsError, keeping `cause`. */
export function toTlsError(error: unknown, layer: ErrorLayer = 'crypto'): TlsError {
  if (error instanceof TlsError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new TlsError('INTERNAL_ERROR', `tls: internal error: ${message}`, {
    layer,
    cause: error,
  });
}

/** The name of an alert, for messages. */
export function alertName(alert: number): string {
  return nameOf(AlertDescription, alert, 2);
}

export function decodeError(message: string): TlsError {
  return new TlsError('DECODE_ERROR', message, { layer: 'codec' });
}

export function illegalParameter(message: string): TlsError {
  return new TlsError('ILLEGAL_PARAMETER', message, { layer: 'handshake' });
}

export function unexpectedMessage(message: string): TlsError {
  return new TlsError('UNEXPECTED_MESSAGE', message, { layer: 'handshake' });
}
