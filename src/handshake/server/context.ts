import type { CertifiedKey } from '../../config.ts';
import type { ConnectionCore } from '../../conn/core.ts';
import type { CryptoProvider, KeyExchangeGroup } from '../../crypto/provider.ts';
import type { ServerSessionCache } from '../../sessions/session-cache.ts';
import type { Ticketer } from '../../sessions/ticketer.ts';
import type { ClientAuth } from './client-auth.ts';

/** The server's settings, resolved from its config. */
export interface ServerContext {
  conn: ConnectionCore;
  provider: CryptoProvider;
  groups: readonly number[];
  /** TLS 1.3 suites (empty when TLS 1.3 is off). */
  cipherSuites: readonly number[];
  /** TLS 1.2 suites (empty when TLS 1.2 is off). */
  tls12Suites: readonly number[];
  /** The ProtocolVersion range to accept. */
  minVersion: number;
  maxVersion: number;
  /** TLS 1.2: refuse a client that does not offer the extended master secret. */
  requireEms: boolean;
  alpnProtocols: readonly string[];
  certificates: readonly CertifiedKey[];
  requireCookie: boolean;
  /** Seals and opens session tickets; undefined when the server issues none. */
  ticketer?: Ticketer;
  /** TLS 1.2 session-ID cache; undefined when sessions are not cached. */
  sessionCache?: ServerSessionCache;
  /** TLS 1.3 client authentication; undefined when no certificate is requested. */
  clientAuth?: ClientAuth;
  group(group: number): KeyExchangeGroup;
}
