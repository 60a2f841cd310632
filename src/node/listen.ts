/** Accepting TCP connections with node:net, each handed over as a webtls Transport. */
import { createServer, type Socket } from 'node:net';
import type { Transport } from '../streams/types.ts';
import { socketTransport } from './socket-transport.ts';

/** Where an accepted connection came from. */
export interface PeerAddress {
  address: string;
  port: number;
}

/** A listening server. */
export interface Listener {
  /** The address actually bound (useful after listening on port 0). */
  readonly address: string;
  readonly port: number;
  /** Stops accepting; resolves once the listening socket is closed and every accepted
   * connection has ended (close those first, or this waits for their peers). */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (port 0 picks a free port) and calls `onTransport` for every accepted
 * connection. Resolves once listening.
 */
export function listen(
  port: number,
  host: string,
  onTransport: (transport: Transport, peer: PeerAddress) => void,
): Promise<Listener> {
  const server = createServer({ noDelay: true, allowHalfOpen: true }, (socket: Socket) => {
    const peer = { address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
    onTransport(socketTransport(socket), peer);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      // Accept errors after listening (e.g. EMFILE) must not crash the process.
      server.on('error', () => undefined);
      const bound = server.address();
      const address = typeof bound === 'object' && bound ? bound.address : host;
      const boundPort = typeof bound === 'object' && bound ? bound.port : port;
      resolve({
        address,
        port: boundPort,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}
