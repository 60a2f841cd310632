/**
 * `connect()` as node:tls has it: dial TCP (or take `socket`, a Duplex already connected, e.g.
 * after a STARTTLS exchange) and run a webtls client over it as a TLSSocket.
 */
import { type NetConnectOpts, connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { TLSSocket, type TLSSocketOptions } from './tls-socket.ts';

/** Options of `connect()`: TLSSocket's client options plus where to dial. */
export interface ConnectionOptions extends Omit<TLSSocketOptions, 'isServer' | 'requestCert'> {
  /** Run TLS over this Duplex instead of dialling (node:tls's `socket`). */
  socket?: Duplex;
  /** Host to dial (default 'localhost'). */
  host?: string;
  port?: number;
  /** Connect through a Unix socket. */
  path?: string;
  family?: number;
  localAddress?: string;
  /** Idle timeout on the socket in ms: emits `timeout`, as net.Socket's setTimeout. */
  timeout?: number;
}

type Listener = () => void;

/** Sorts node's overloads into options and a listener. */
function normalise(args: unknown[]): { options: ConnectionOptions; listener?: Listener } {
  let options: ConnectionOptions = {};
  let at = 0;
  if (typeof args[at] === 'object' && args[at] !== null) {
    options = { ...(args[at++] as ConnectionOptions) };
  } else {
    if (typeof args[at] === 'number' || typeof args[at] === 'string') {
      options.port = Number(args[at++]);
    }
    if (typeof args[at] === 'string') options.host = args[at++] as string;
    if (typeof args[at] === 'object' && args[at] !== null) {
      options = { ...(args[at++] as ConnectionOptions), ...options };
    }
  }
  const listener = typeof args[at] === 'function' ? (args[at] as Listener) : undefined;
  return { options, listener };
}

/**
 * Opens a TLS client connection, as node:tls's `connect`: `connect(options[, listener])` or
 * `connect(port[, host][, options][, listener])`. `listener` is added for `secureConnect`.
 */
export function connect(options: ConnectionOptions, listener?: Listener): TLSSocket;
export function connect(
  port: number,
  host?: string,
  options?: ConnectionOptions,
  listener?: Listener,
): TLSSocket;
export function connect(port: number, options?: ConnectionOptions, listener?: Listener): TLSSocket;
export function connect(...args: unknown[]): TLSSocket {
  const { options, listener } = normalise(args);
  const host = options.host ?? 'localhost';
  const dial: NetConnectOpts = options.path
    ? { path: options.path, allowHalfOpen: true }
    : {
        host,
        port: options.port ?? 443,
        family: options.family,
        localAddress: options.localAddress,
        noDelay: true,
        allowHalfOpen: true,
      };
  const raw = options.socket ?? netConnect(dial);
  const socket = new TLSSocket(raw, { ...options, host, isServer: false });
  if (options.timeout !== undefined) socket.setTimeout(options.timeout);
  if (listener) socket.once('secureConnect', listener);
  return socket;
}
