import { TlsError } from '../error.ts';
import { connect } from './connect.ts';
import type { ConnectOptions, TlsStream, Transport } from './types.ts';

/**
 * Connects with Encrypted Client Hello and, when the server rejects it with retry
 * configurations (draft-ietf-tls-esni §6.1.6), retries once on a new transport with those
 * configurations. The rejected handshake was authenticated for the ECH public name, which is
 * what makes its retry configurations trustworthy; a second rejection is not retried again ("Clients
 * SHOULD NOT accept "retry_config" in response to a connection initiated in response to a
 * "retry_config""). Resolves once the handshake of the connection returned has completed.
 *
 * @param open opens a new transport to the server (called once, or twice on a retry)
 * @throws TlsError ECH_REQUIRED when the server rejected ECH without retry configurations (it
 * disabled ECH: retrying without ECH would reveal the server name, so that is left to the
 * caller) or rejected the retry too; any other TlsError of the handshake
 */
export async function connectWithEchRetry(
  open: () => Promise<Transport>,
  options: ConnectOptions,
): Promise<TlsStream> {
  if (!options.ech?.configList) {
    throw new TlsError('CONFIG', 'tls: connectWithEchRetry needs ech.configList', {
      layer: 'config',
    });
  }
  const first = connect(await open(), options);
  try {
    await first.opened;
    return first;
  } catch (error) {
    await first.close();
    const retryConfigs = error instanceof TlsError ? error.echRetryConfigs : undefined;
    if (!(error instanceof TlsError) || error.code !== 'ECH_REQUIRED' || !retryConfigs) {
      throw error;
    }
    const second = connect(await open(), {
      ...options,
      ech: { ...options.ech, configList: retryConfigs },
    });
    try {
      await second.opened;
      return second;
    } catch (retryError) {
      await second.close();
      throw retryError;
    }
  }
}
