/**
 * webtls: TLS 1.3 and 1.2 for the web platform. The core entry: configs, connections, the
 * streams API, crypto providers and verifiers. Runtime-neutral: no Node APIs.
 */

export { certifiedKeyFromCryptoKey, certifiedKeyFromPem } from './certified-key.ts';
export type {
  CertifiedKey,
  ClientConfig,
  EchClientOptions,
  EchServerOptions,
  Limits,
  ServerConfig,
} from './config.ts';
export { ClientConnection, type ClientOptions } from './conn/client.ts';
export { ServerConnection } from './conn/server.ts';
export type { Connection, ConnectionInfo, ReadTlsOptions, TlsEvent } from './conn/types.ts';
export { defaultProvider, fipsProvider, nobleProvider, subtleProvider } from './crypto/index.ts';
export type {
  AeadAlgorithm,
  CryptoProvider,
  HashAlgorithm,
  KeyExchangeGroup,
  KeyShare,
  PrivateKeySource,
  SigningKey,
} from './crypto/provider.ts';
export * from './ech/index.ts';
export { type ErrorCode, ErrorCodes, TlsError } from './error.ts';
export type {
  CertificateRequestInfo,
  ClientCertResolver,
} from './handshake/client/client-auth.ts';
export {
  AlertDescription,
  CipherSuite,
  ExtensionType,
  NamedGroup,
  SignatureScheme,
} from './msgs/enums.ts';
export * from './sessions/index.ts';
export {
  accept,
  type ConnectOptions,
  connect,
  connectWithEchRetry,
  openTlsStream,
  type StreamOptions,
  type TlsStream,
  type Transport,
} from './streams/index.ts';
export {
  type CertificateDetails,
  certificateDetails,
  type NameAttribute,
  type NameDetails,
  peerCertificateDetails,
} from './verify/details.ts';
export { type PlatformVerifierOptions, platformVerifier } from './verify/platform.ts';
export type { CrlRequest, CrlSource, RevocationOptions } from './verify/revocation.ts';
export type {
  ClientCertVerifier,
  ServerCertVerifier,
  ServerIdentity,
  VerifiedChain,
  VerifyOptions,
} from './verify/types.ts';
export { webpkiVerifier } from './verify/webpki.ts';
export { type WebpkiClientVerifierOptions, webpkiClientVerifier } from './verify/webpki-client.ts';
