import type { CertCompressionAlgorithm } from '../../certcomp/algorithm.ts';
import type { CertifiedKey, EchServerOptions } from '../../config.ts';
import type { ConnectionCore } from '../../conn/core.ts';
import type { CryptoProvider, KeyExchangeGroup } from '../../crypto/provider.ts';
import type { AntiReplayStore } from '../../sessions/anti-replay.ts';
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
  /** The record_size_limit to answer with (RFC 8449); undefined: none, the client's ignored. */
  recordSizeLimit: number | undefined;
  alpnProtocols: readonly string[];
  certificates: readonly CertifiedKey[];
  requireCookie: boolean;
  /** Seals and opens session tickets; undefined when the server issues none. */
  ticketer?: Ticketer;
  /** Session cache (TLS 1.2 session IDs, TLS 1.3 stateful tickets); undefined when none. */
  sessionCache?: ServerSessionCache;
  /** TLS 1.3 NewSessionTicket messages sent after each handshake. */
  sessionTickets: number;
  /** TLS 1.3 max_early_data_size; 0 accepts no early data. */
  maxEarlyData: number;
  /** Records tickets whose early data was accepted (RFC 8446 §8). */
  antiReplay: AntiReplayStore;
  /** The ticket-age freshness window for early data, ms (§8.3). */
  earlyDataWindowMs: number;
  /** Accept psk_ke resumption (no (EC)DHE). */
  allowPskKe: boolean;
  /** RFC 8879 algorithms, in preference order (none: no compression). */
  certCompression: readonly CertCompressionAlgorithm[];
  /** ECH keys (draft-ietf-tls-esni), when this server terminates ECH. */
  ech?: EchServerOptions;
  /** TLS 1.3 client authentication; undefined when no certificate is requested. */
  clientAuth?: ClientAuth;
  group(group: number): KeyExchangeGroup;
}
