import type { CryptoProvider } from '../crypto/provider.ts';

/** What the client checks a server certificate against. */
export interface ServerIdentity {
  /** A DNS name, or an IPv4 / IPv6 address in text form (then only IP SANs match). */
  name: string;
}

export interface VerifyOptions {
  provider: CryptoProvider;
  /** Verification time; defaults to now. */
  now?: Date;
}

/** The outcome of a successful verification. */
export interface VerifiedChain {
  /** The path from the leaf to the trust anchor, DER. */
  path: Uint8Array[];
}

/**
 * Verifies the certificate chain a server presented. Async and replaceable: an implementation
 * may consult the platform, fetch a CRL, or call a remote service. Throws a TlsError with a
 * CERT_* code (or BAD_CERTIFICATE) on failure.
 */
export interface ServerCertVerifier {
  verifyServer(
    chain: readonly Uint8Array[],
    identity: ServerIdentity,
    options: VerifyOptions,
  ): Promise<VerifiedChain>;
}

/**
 * Verifies the certificate chain a client presented (RFC 8446 §4.4.2.4). Async and replaceable,
 * like ServerCertVerifier. Throws a TlsError with a CERT_* code (or BAD_CERTIFICATE); the
 * server sends the alert that code names (RFC 8446 §6.2).
 */
export interface ClientCertVerifier {
  /**
   * Distinguished names (DER) the server lists in certificate_authorities (RFC 8446 §4.2.4) to
   * tell the client which issuers it accepts; undefined or empty sends no such extension.
   */
  readonly acceptableIssuers?: readonly Uint8Array[];
  verifyClient(chain: readonly Uint8Array[], options: VerifyOptions): Promise<VerifiedChain>;
}
