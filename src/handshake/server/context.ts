import type { CertifiedKey } from '../../config.ts';
import type { ConnectionCore } from '../../conn/core.ts';
import type { CryptoProvider, KeyExchangeGroup } from '../../crypto/provider.ts';

/** The server's settings, resolved from its config. */
export interface ServerContext {
  conn: ConnectionCore;
  provider: CryptoProvider;
  groups: readonly number[];
  cipherSuites: readonly number[];
  alpnProtocols: readonly string[];
  certificates: readonly CertifiedKey[];
  requireCookie: boolean;
  group(group: number): KeyExchangeGroup;
}
