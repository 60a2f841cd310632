/** Facts about a connection, filled in as the handshake proceeds. */
export interface ConnectionInfo {
  /** 'TLSv1.3' or 'TLSv1.2' once negotiated. */
  protocol?: string;
  /** IANA cipher-suite name, e.g. 'TLS_AES_128_GCM_SHA256'. */
  cipherSuite?: string;
  /** Key-exchange group name, e.g. 'X25519MLKEM768'. */
  group?: string;
  /** Negotiated ALPN protocol. */
  alpn?: string;
  /** SNI: sent by the client / received by the server. */
  serverName?: string;
  /** Whether a HelloRetryRequest happened. */
  helloRetry: boolean;
  /** The handshake resumed a session (TLS 1.3 PSK, TLS 1.2 ticket or session ID). */
  resumed: boolean;
  /** TLS 1.3 0-RTT: 'not sent' | 'accepted' | 'rejected'. */
  earlyData: string;
  /**
   * Bytes of 0-RTT data accepted. On a server they are the first bytes `read()` returns, before
   * any data sent after the handshake.
   */
  earlyDataBytes: number;
  /**
   * Encrypted Client Hello: 'not offered' | 'accepted' | 'rejected' | 'grease' (a client that
   * sent GREASE; a server that got an ECH extension it holds no keys for).
   */
  ech: string;
  /** Server, ECH accepted: the server_name of ClientHelloOuter (the public name). */
  outerServerName?: string;
  /** 'none' or e.g. 'brotli (4012 -> 2950 bytes)'. */
  certCompression: string;
  /**
   * When record_size_limit was negotiated (RFC 8449): the largest protected record plaintext
   * sent (the peer's limit) and accepted (ours), as RFC 8449 counts them: with TLS 1.3's
   * content-type byte.
   */
  recordSizeLimit?: { sent: number; received: number };
  /** The peer's certificate chain as sent, DER, leaf first. */
  peerCertificates: Uint8Array[];
  /** The subject of the peer's end-entity certificate (RFC 4514 form). */
  peerSubject?: string;
  /** The peer's signature scheme name, when it authenticated. */
  peerSignatureScheme?: string;
  /** 'OK', 'not verified', or the error code of a failed verification. */
  verification: string;
  /**
   * FIPS mode: the provider is FIPS-capable and the config names only approved algorithms, so
   * whatever this connection negotiates is approved (docs/crypto-providers.md, "FIPS mode").
   * Known when the connection is created.
   */
  fips: boolean;
}

/**
 * What the caller of the write-through API does next (ConnectionCore.processTlsRecords). In
 * every case, first act on the status, then remove `discard` bytes from the front of the buffer
 * that was passed in.
 */
export type ProcessStatus =
  /** Application data, views into the caller's buffer; the first `earlyBytes` are 0-RTT data. */
  | { kind: 'read-traffic'; discard: number; data: Uint8Array[]; earlyBytes: number }
  /** Bytes to send: size a buffer with `pendingTlsLength`, fill it with `encodeTls`. */
  | { kind: 'encode-tls-data'; discard: number }
  /** The handshake waits for more bytes from the peer. */
  | { kind: 'blocked-handshake'; discard: number }
  /** Established and waiting for more bytes; `encrypt` may be called. */
  | { kind: 'write-traffic'; discard: number }
  /** The peer sent close_notify; we may still write. */
  | { kind: 'peer-closed'; discard: number }
  /** Both sides sent close_notify. */
  | { kind: 'closed'; discard: number };

/** What `encrypt` did: bytes written to the caller's buffer and plaintext bytes taken. */
export interface EncryptResult {
  written: number;
  /** Less than the input only when TLS 1.2 reached its AEAD usage limit and closed. */
  consumed: number;
}

/** A handshake step, for the optional event hook. Never carries secrets. */
export interface TlsEvent {
  type: 'send' | 'receive' | 'state' | 'alert';
  /** e.g. 'ClientHello', 'HelloRetryRequest', 'handshake complete'. */
  name: string;
  /** Milliseconds since the connection object was created. */
  at: number;
  detail?: Record<string, unknown>;
}

/** Options for `Connection.readTls`. */
export interface ReadTlsOptions {
  /** The caller will not touch `data` again: the engine may keep it and write into it. */
  transfer?: boolean;
}

/**
 * The sans-IO engine both sides share. Bytes in through `readTls`, driven by `process`, bytes out
 * through `takeTls`, plaintext out through `read`. It never touches a socket or a timer.
 */
export interface Connection {
  readonly isClient: boolean;
  readonly info: ConnectionInfo;
  readonly handshakeComplete: boolean;
  /** The peer sent close_notify: no more application data will arrive. */
  readonly peerClosed: boolean;
  /** A fatal error ended the connection (an alert may still be queued in `takeTls`). */
  readonly failed: Error | undefined;

  /**
   * Queues bytes received from the transport. They are copied, unless `transfer` is set: then
   * the caller gives `data` up, and when nothing else is queued the engine keeps it as its input
   * buffer, decrypting records in place inside it, without a copy.
   */
  readTls(data: Uint8Array, options?: ReadTlsOptions): void;
  /**
   * Processes queued bytes: decrypts records, runs the handshake, queues replies. Throws the
   * TlsError that ended the connection; its alert is then queued for `takeTls`.
   */
  process(): Promise<void>;
  /** Takes every byte queued for the transport, or null. */
  takeTls(): Uint8Array | null;
  /** Takes the decrypted application data received so far, or null. */
  read(): Uint8Array | null;
  /** Encrypts application data (after the handshake) into records for `takeTls`. */
  write(data: Uint8Array): Promise<void>;
  /** Sends KeyUpdate; with `requestPeer`, asks the peer to update too (RFC 8446 §4.6.3). */
  keyUpdate(requestPeer?: boolean): Promise<void>;
  /** Queues close_notify. Further writes fail. */
  close(): Promise<void>;
}
