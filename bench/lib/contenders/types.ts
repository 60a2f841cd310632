/**
 * What a benchmark drives: one end of a TLS connection over an in-memory stream.Duplex
 * (bench/lib/duplex-pair.ts), made by a contender (webtls with a provider, node:tls). Every
 * contender is set up once per scenario (keys imported, contexts built) and then opens as many
 * connections as the scenario needs, so setup costs stay out of the measurement.
 */
import type { Duplex } from 'node:stream';

/** A benchmark's certificate: ECDSA P-256 or RSA-2048 (test/pki/out). */
export type CertKind = 'p256' | 'rsa2048';

/** Key exchange groups the scenarios use. */
export type GroupName = 'X25519' | 'P-256' | 'X25519MLKEM768';

/** TLS 1.3 and TLS 1.2 AEAD suites, by their IANA names. */
export type SuiteName =
  | 'TLS_AES_128_GCM_SHA256'
  | 'TLS_AES_256_GCM_SHA384'
  | 'TLS_CHACHA20_POLY1305_SHA256'
  | 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'
  | 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256';

/** What both ends of a scenario agree on. */
export interface Setup {
  cert: CertKind;
  version: 'TLSv1.2' | 'TLSv1.3';
  group: GroupName;
  /** The one suite offered; the library's default order when absent. */
  suite?: SuiteName;
  /** Server: issue tickets and accept this much 0-RTT data (TLS 1.3). */
  maxEarlyData?: number;
}

/** One end of an open connection. */
export interface BenchConn {
  /** Resolves when the handshake is complete (a client may send). */
  readonly opened: Promise<void>;
  /** After `opened`: whether the handshake resumed a session. */
  resumed(): boolean;
  /** After `opened` (client): whether the server accepted the 0-RTT data. */
  earlyAccepted(): boolean;
  /** Sends application data; resolves when the library has taken it. */
  write(data: Uint8Array): Promise<void>;
  /** Resolves once `n` more bytes of application data have been received. */
  read(n: number): Promise<void>;
  /** Closes the connection and releases the link, without waiting for the peer. */
  close(): void;
}

/** Per-connection client choices. */
export interface ClientOpen {
  /** Resume from the contender's own cache of sessions from earlier connections. */
  resume?: boolean;
  /** 0-RTT application data sent with the ClientHello when resuming (TLS 1.3). */
  earlyData?: Uint8Array;
}

/** Opens client connections over a link; built once per scenario. */
export type ClientFactory = (link: Duplex, open?: ClientOpen) => BenchConn;

/** Accepts server connections over a link; built once per scenario. */
export type ServerFactory = (link: Duplex) => BenchConn;

/** A library under test. A side it cannot play, or a setup it cannot do, gives null. */
export interface Contender {
  name: string;
  client(setup: Setup): Promise<ClientFactory | null>;
  server(setup: Setup): Promise<ServerFactory | null>;
}
