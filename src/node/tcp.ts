/** Dialling TCP with node:net, as a webtls Transport. */
import { connect as netConnect } from 'node:net';
import type { Transport } from '../streams/types.ts';
import { socketTransport } from './socket-transport.ts';

/** Options for `tcpTransport`. */
export interface TcpOptions {
  /** Give up connecting after this many milliseconds (default 10 000). */
  timeoutMs?: number;
}

/**
 * Opens a TCP connection to `host:port` and resolves with it as a Transport once connected.
 * `host` may be a name, an IPv4 address or an IPv6 address (without brackets).
 *
 * @throws Error from node:net when the connection is refused, or on timeout.
 */
export function tcpTransport(
  host: string,
  port: number,
  options: TcpOptions = {},
): Promise<Transport> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host, port, noDelay: true, allowHalfOpen: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(socketTransport(socket));
    });
  });
}
