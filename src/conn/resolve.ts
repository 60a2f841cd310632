import type { ClientConfig, ServerConfig } from '../config.ts';
import type { CryptoProvider } from '../crypto/provider.ts';
import { TlsError } from '../error.ts';

/** The parts of a config both sides resolve the same way against their provider. */
export interface Negotiable {
  groups: number[];
  cipherSuites: number[];
}

/**
 * Keeps the configured groups and suites the provider implements, in the configured order, and
 * refuses a config that leaves nothing to negotiate.
 */
export function resolveNegotiable(
  config: ClientConfig | ServerConfig,
  provider: CryptoProvider,
): Negotiable {
  if (config.minVersion === 'TLSv1.2' && config.maxVersion === 'TLSv1.2') {
    throw new TlsError('CONFIG', 'tls: TLS 1.2 is not implemented yet', { layer: 'config' });
  }
  const groups = (config.groups ?? provider.groups).filter((g) => provider.keyExchange(g));
  const cipherSuites = (config.cipherSuites ?? provider.cipherSuites).filter((s) =>
    provider.cipherSuites.includes(s),
  );
  if (groups.length === 0) {
    throw new TlsError('CONFIG', 'tls: no usable key-exchange group', { layer: 'config' });
  }
  if (cipherSuites.length === 0) {
    throw new TlsError('CONFIG', 'tls: no usable cipher suite', { layer: 'config' });
  }
  return { groups, cipherSuites };
}
