import type { CertCompressionAlgorithm } from '../../certcomp/algorithm.ts';
import type { CertifiedKey } from '../../config.ts';
import type { ConnectionCore } from '../../conn/core.ts';
import type { CryptoProvider, KeyExchangeGroup } from '../../crypto/provider.ts';
import type { ClientSessionStore } from '../../sessions/client-store.ts';
import type { StoredSession } from '../../sessions/stored-session.ts';
import type { ServerCertVerifier } from '../../verify/types.ts';
import type { ClientCertResolver } from './client-auth.ts';
import type { EchChoice } from './ech.ts';

/** The client's negotiated-before-hello settings, resolved from its config. */
export interface ClientContext {
  conn: ConnectionCore;
  provider: CryptoProvider;
  /** The name sent in SNI (omitted when it is an IP address). */
  serverName: string;
  /** The name (or IP address) the server certificate is verified against. */
  verifyName: string;
  groups: readonly number[];
  /** TLS 1.3 suites (empty when TLS 1.3 is off). */
  cipherSuites: readonly number[];
  /** TLS 1.2 suites (empty when TLS 1.2 is off). */
  tls12Suites: readonly number[];
  /** The ProtocolVersion range to offer. */
  minVersion: number;
  maxVersion: number;
  /** TLS 1.2: refuse a server that does not negotiate the extended master secret. */
  requireEms: boolean;
  /** The record_size_limit to advertise (RFC 8449); undefined: none. */
  recordSizeLimit: number | undefined;
  signatureSchemes: readonly number[];
  alpnProtocols: readonly string[];
  keyShares: number;
  middleboxCompat: boolean;
  verifier: ServerCertVerifier;
  /** Where sessions are taken from and put; undefined when resumption is off. */
  sessionStore?: ClientSessionStore;
  /** The TLS 1.2 session offered in this ClientHello, if any (set by the ClientHello step). */
  offeredSession?: StoredSession;
  /** TLS 1.3 PSK key-exchange modes to offer (ClientConfig.pskModes). */
  pskModes: readonly ('psk_dhe_ke' | 'psk_ke')[];
  /** 0-RTT data to send when resuming (ClientOptions.earlyData). */
  earlyData?: Uint8Array;
  /** Send early data after the handshake when it was not accepted. */
  resendEarlyData: boolean;
  /** The certificate to answer a CertificateRequest with, if any. */
  clientCertificate?: CertifiedKey;
  /** The ECH configuration to offer (draft-ietf-tls-esni); the hellos are TLS 1.3 only then. */
  ech?: EchChoice;
  /** Without a configuration, send a GREASE ECH extension. */
  echGrease: boolean;
  /** RFC 8879 algorithms, in preference order (none: no compression). */
  certCompression: readonly CertCompressionAlgorithm[];
  /** Chooses the certificate per request; takes precedence over `clientCertificate`. */
  clientCertResolver?: ClientCertResolver;
  /** The provider's implementation of a group this client offers. */
  group(group: number): KeyExchangeGroup;
}
