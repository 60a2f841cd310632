/**
 * TLS over a `cloudflare:sockets` TCP socket. This file never imports `cloudflare:sockets`
 * itself, so the Workers entry still loads in Node (tests, bundlers): the Worker passes the
 * `connect` function it imported from `cloudflare:sockets` to {@link connectTls}, or wraps a
 * socket it opened with {@link workersSocketTransport}.
 */
import { TlsError } from '../error.ts';
import { connect } from '../streams/connect.ts';
import { transportError } from '../streams/outbox.ts';
import { streamSocketTransport } from '../streams/stream-socket.ts';
import type { ConnectOptions, TlsStream, Transport } from '../streams/types.ts';

/** Where to connect, as `cloudflare:sockets` takes it. */
export interface SocketAddressLike {
  hostname: string;
  port: number;
}

/** The options of `cloudflare:sockets`' `connect()` this file sets. */
export interface SocketOptionsLike {
  /** Must stay `off`: webtls does the TLS. */
  secureTransport?: 'off' | 'on' | 'starttls';
  /** Whether our side stays writable after the peer's FIN. */
  allowHalfOpen?: boolean;
}

/**
 * The parts of a `cloudflare:sockets` Socket a transport uses, typed here so the core needs no
 * Workers types: the object `connect()` returns fits it.
 */
export interface WorkersSocketLike {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves once the TCP connection is up; rejects when it cannot be made. */
  readonly opened: Promise<unknown>;
  /** Settles once the socket is closed. */
  readonly closed: Promise<unknown>;
  close(): Promise<unknown>;
}

/** `cloudflare:sockets`' `connect` function. */
export type WorkersConnectLike = (
  address: SocketAddressLike | string,
  options?: SocketOptionsLike,
) => WorkersSocketLike;

/** Options of {@link workersSocketTransport}. */
export interface WorkersSocketTransportOptions {
  /** Give up when the socket has not opened after this many milliseconds (default 10 000). */
  connectTimeoutMs?: number;
  /** Names the destination in error messages (default `socket`). */
  label?: string;
}

/**
 * Wraps a `cloudflare:sockets` socket as a Transport. Reads and writes wait for `opened`; when it
 * rejects or does not settle within `connectTimeoutMs`, both fail with a TlsError `TRANSPORT` and
 * the socket is closed. Cancelling the readable or aborting the writable closes the socket;
 * closing the writable sends our FIN; once both directions are done the socket is closed.
 *
 * Open the socket with `allowHalfOpen: true` (as {@link connectTls} does), so that it does not
 * shut our direction when the peer's FIN arrives before our close_notify went out.
 */
export function workersSocketTransport(
  socket: WorkersSocketLike,
  options: WorkersSocketTransportOptions = {},
): Transport {
  const label = options.label ?? 'socket';
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const release = () => {
    socket.close().catch(() => undefined);
  };
  socket.closed.catch(() => undefined);

  // Settles once: resolved when the socket opened, rejected with a TlsError otherwise.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    timer = setTimeout(() => {
      release();
      reject(
        new TlsError('TRANSPORT', `tls: ${label} did not open in ${timeoutMs} ms`, {
          layer: 'transport',
        }),
      );
    }, timeoutMs);
    socket.opened.then(
      () => resolve(),
      (error: unknown) => {
        release();
        reject(transportError(`tls: ${label} failed to open`, error));
      },
    );
  }).finally(() => clearTimeout(timer));
  ready.catch(() => undefined);

  return streamSocketTransport(socket, { label, release, ready });
}

/** Options of {@link connectTls}: the TLS client's, plus how long the TCP connect may take. */
export interface WorkersConnectTlsOptions extends ConnectOptions {
  /** Give up when the TCP connection is not up after this many milliseconds (default 10 000). */
  connectTimeoutMs?: number;
}

/**
 * Opens a TCP socket with `connectFn` (pass `connect` from `cloudflare:sockets`) and starts a
 * webtls client over it. Returns at once, like `connect()` itself: `opened` resolves when the
 * handshake is done and rejects with a TlsError when the socket cannot be opened or the
 * handshake fails.
 *
 * `options` is handed to webtls' `connect` as the configuration object, so connections made with
 * the same object share its default session store; pass a `sessionStore` (for example a
 * `DurableObjectSessionStore`) to resume across requests and isolates.
 *
 * @example
 * ```ts
 * import { connect } from 'cloudflare:sockets';
 * const tls = connectTls(connect, { hostname: 'example.com', port: 443 }, {
 *   serverName: 'example.com',
 * });
 * ```
 */
export function connectTls(
  connectFn: WorkersConnectLike,
  address: SocketAddressLike,
  options: WorkersConnectTlsOptions,
): TlsStream {
  const label = `${address.hostname}:${address.port}`;
  let socket: WorkersSocketLike;
  try {
    socket = connectFn(
      { hostname: address.hostname, port: address.port },
      { secureTransport: 'off', allowHalfOpen: true },
    );
  } catch (error) {
    // connect() throws at once for an address the runtime refuses (e.g. a bad port).
    throw transportError(`tls: cannot connect to ${label}`, error);
  }
  const transport = workersSocketTransport(socket, {
    connectTimeoutMs: options.connectTimeoutMs,
    label,
  });
  return connect(transport, options);
}
