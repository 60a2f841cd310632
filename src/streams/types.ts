import type { ClientConfig } from '../config.ts';
import type { ConnectionInfo } from '../conn/types.ts';

/**
 * A bidirectional byte stream TLS runs over: a TCP socket, a `cloudflare:sockets` socket, a
 * WebSocket adapter. Closing `writable` ends our direction; cancelling `readable` releases the
 * transport.
 */
export interface Transport {
  /**
   * The peer's bytes. Each chunk read becomes the stream's (as a chunk read from a
   * ReadableStream is the reader's): records may be decrypted in place inside it, so a transport
   * must not reuse a chunk's memory after enqueueing it.
   */
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** Tuning for the stream adapter. All have safe defaults. */
export interface StreamOptions {
  /**
   * Plaintext bytes queued in `readable` before the adapter stops reading the transport
   * (default 64 KiB).
   */
  readableHighWaterMark?: number;
  /**
   * Bytes the engine produced on its own (handshake replies, KeyUpdate answers, alerts) allowed
   * to wait for the transport before the adapter stops reading it (default 64 KiB).
   */
  maxPendingControlBytes?: number;
  /** How long a fatal alert or close_notify may take to reach the transport (default 2000 ms). */
  closeTimeoutMs?: number;
  /**
   * How long the handshake may take, from the stream's start, before the connection fails with
   * a TlsError `TRANSPORT` and the transport is released (default 30000 ms; 0 turns it off).
   * No alert is sent: the peer has done nothing wrong but be slow, and a slow-loris peer would
   * not read it. Bounds how long a peer that dribbles its handshake can hold a connection.
   */
  handshakeTimeoutMs?: number;
}

/** Options for `connect`: a client configuration plus the name of the server dialled. */
export interface ConnectOptions extends ClientConfig, StreamOptions {
  /** The DNS name or IP address (text form) the certificate must match; also sent as SNI. */
  serverName: string;
  /** TLS 1.3 0-RTT data to send with the ClientHello when resuming (see ClientOptions). */
  earlyData?: Uint8Array;
  /** Send rejected early data again after the handshake (see ClientOptions). */
  resendEarlyData?: boolean;
}

/**
 * A TLS connection as a pair of Web Streams, shaped like a `cloudflare:sockets` socket.
 * Application data written to `writable` is encrypted to the transport; data from the peer is
 * decrypted into `readable`.
 */
export interface TlsStream {
  /** Decrypted application data from the peer. Errors with a TlsError when the connection fails. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Application data to send. Closing it sends close_notify (RFC 8446 §6.1). */
  readonly writable: WritableStream<Uint8Array>;
  /** Resolves with the negotiated parameters once the handshake completes; rejects on failure. */
  readonly opened: Promise<ConnectionInfo>;
  /**
   * Resolves once both sides have closed cleanly and the transport is released; rejects with the
   * TlsError that ended the connection otherwise.
   */
  readonly closed: Promise<void>;
  /** Facts about the connection, filled in as the handshake proceeds. */
  readonly info: ConnectionInfo;
  /**
   * Sends close_notify (if not yet sent), releases the transport and closes both streams.
   * Resolves like `closed`, but never rejects for an error that already ended the connection.
   */
  close(): Promise<void>;
  /**
   * Sends a KeyUpdate after the handshake; with `requestPeer`, asks the peer to update its
   * sending keys too (RFC 8446 §4.6.3).
   */
  keyUpdate(requestPeer?: boolean): Promise<void>;
}
