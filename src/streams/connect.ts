import type { ServerConfig } from '../config.ts';
import { ClientConnection } from '../conn/client.ts';
import { ServerConnection } from '../conn/server.ts';
import type { Connection } from '../conn/types.ts';
import { openTlsStream } from './tls-stream.ts';
import type { ConnectOptions, StreamOptions, TlsStream, Transport } from './types.ts';

/**
 * Starts a TLS client over `transport` and returns the connection as streams, like
 * `cloudflare:sockets`' `connect()`. The handshake runs in the background; `opened` resolves
 * when it completes. The stream owns the transport from here on.
 *
 * @throws TlsError CONFIG when the configuration is unusable (the transport is then released).
 */
export function connect(transport: Transport, options: ConnectOptions): TlsStream {
  const { readableHighWaterMark, maxPendingControlBytes, closeTimeoutMs, handshakeTimeoutMs } =
    options;
  const { serverName, earlyData, resendEarlyData } = options;
  // The options object itself is the config (its stream fields are ignored there), so that
  // connections made with the same options share the default session store.
  const conn = createOrRelease(
    transport,
    () => new ClientConnection(options, { serverName, earlyData, resendEarlyData }),
  );
  return openTlsStream(conn, transport, {
    readableHighWaterMark,
    maxPendingControlBytes,
    closeTimeoutMs,
    handshakeTimeoutMs,
  });
}

/**
 * Starts a TLS server over an accepted `transport` and returns the connection as streams.
 * `opened` resolves when the client's Finished arrived. The stream owns the transport.
 *
 * @throws TlsError CONFIG when the configuration is unusable (the transport is then released).
 */
export function accept(
  transport: Transport,
  config: ServerConfig,
  options: StreamOptions = {},
): TlsStream {
  const conn = createOrRelease(transport, () => new ServerConnection(config));
  return openTlsStream(conn, transport, options);
}

/** Builds the engine; if that throws, releases the transport before rethrowing. */
function createOrRelease(transport: Transport, create: () => Connection): Connection {
  try {
    return create();
  } catch (error) {
    transport.readable.cancel(error).catch(() => undefined);
    transport.writable.abort(error).catch(() => undefined);
    throw error;
  }
}
