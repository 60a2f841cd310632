import type { CertCompressionAlgorithm } from './certcomp/algorithm.ts';
import type { TlsEvent } from './conn/types.ts';
import type { CryptoProvider, SigningKey } from './crypto/provider.ts';
import type { EchKeyPair } from './ech/keys.ts';
import type { ClientCertResolver } from './handshake/client/client-auth.ts';
import type { AntiReplayStore } from './sessions/anti-replay.ts';
import type { ClientSessionStore } from './sessions/client-store.ts';
import type { ServerSessionCache } from './sessions/session-cache.ts';
import type { Ticketer } from './sessions/ticketer.ts';
import type { ClientCertVerifier, ServerCertVerifier } from './verify/types.ts';

/** Limits on what a peer can make us buffer or do. All have safe defaults. */
export interface Limits {
  /** Largest handshake message accepted, in bytes (default 64 KiB). */
  maxHandshakeMessage?: number;
  /** Decrypted application data buffered before back-pressure (default 1 MiB). */
  maxBufferedPlaintext?: number;
  /**
   * Empty records (zero-length application data) tolerated in a row before the connection ends
   * with unexpected_message (default 32). Any record that carries data resets the count.
   */
  maxEmptyRecords?: number;
  /**
   * Handshake bytes accepted from the peer before the handshake completes, all messages
   * together (default 256 KiB). Beyond it: decode_error. Bounds a peer that dribbles a
   * handshake in tiny records or sends message after message; raise it together with
   * `maxHandshakeMessage`.
   */
  maxHandshakeBytes?: number;
  /**
   * Alerts that change nothing (TLS 1.2 warnings; user_canceled in either version) accepted in
   * a row before the connection ends with unexpected_message (default 4). TLS 1.3 has no other
   * warnings: every other alert is fatal (RFC 8446 §6.2).
   */
  maxWarningAlerts?: number;
  /**
   * TLS 1.3 compatibility ChangeCipherSpec records dropped per connection (RFC 8446 §5); one
   * more ends it with unexpected_message (default 4; a middlebox-compatible peer sends one).
   */
  maxCcsRecords?: number;
  /**
   * Post-handshake messages (KeyUpdate, NewSessionTicket, ...) accepted in a row without
   * application data from the peer in between; one more ends the connection with
   * unexpected_message (default 32). Bounds a KeyUpdate storm, each of which costs a key
   * derivation and may ask for a KeyUpdate in reply.
   */
  maxPostHandshakeWithoutData?: number;
  /** Certificates accepted in the peer's chain (default 10); more is bad_certificate. */
  maxCertificateChainLength?: number;
  /**
   * Total DER bytes of the certificates in the peer's chain (default 64 KiB); more is
   * bad_certificate. Checked before any certificate is parsed.
   */
  maxCertificateChainBytes?: number;
  /**
   * How deep constructed DER values may nest in a peer certificate (default 16; real
   * certificates nest about 7 deep). Checked before the certificate parser runs; deeper is
   * bad_certificate. Extension values (inside OCTET STRINGs) are held to the verifier's fixed
   * bound of 32, so values above 32 change nothing.
   */
  maxAsn1Depth?: number;
  /**
   * Records one write key may seal before it is replaced: TLS 1.3 sends KeyUpdate
   * (update_requested) and goes on, TLS 1.2 closes with close_notify. Default: the AEAD's
   * confidentiality limit (RFC 8446 §5.5: 2^24.5 records for AES-GCM; ChaCha20-Poly1305 has no
   * practical one); a lower value takes effect, a higher one does not. Low values are for tests
   * and for the cautious.
   */
  aeadRecordLimit?: number;
}

interface CommonConfig {
  /** The crypto provider; defaults to `subtle`. */
  provider?: CryptoProvider;
  /** Cipher suites in preference order (code points); defaults to the provider's. */
  cipherSuites?: readonly number[];
  /** Key-exchange groups in preference order (code points); defaults to the provider's. */
  groups?: readonly number[];
  /** ALPN protocols in preference order. */
  alpnProtocols?: readonly string[];
  /** The lowest version to negotiate: 'TLSv1.2' (default) or 'TLSv1.3'. */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
  /** The highest version to negotiate: 'TLSv1.3' (default) or 'TLSv1.2'. */
  maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  /**
   * TLS 1.2: refuse a peer that does not negotiate the extended master secret (RFC 7627), with
   * handshake_failure. Default true; turning it off weakens TLS 1.2 against the triple-handshake
   * attack and is only for peers too old to support RFC 7627.
   */
  requireExtendedMasterSecret?: boolean;
  /**
   * Receives one SSLKEYLOGFILE line per secret (`LABEL <client_random> <secret>`, hex). For
   * debugging only: whoever holds these lines can decrypt the connection.
   */
  keyLog?: (line: string) => void;
  /** Receives handshake steps; never secrets. */
  onEvent?: (event: TlsEvent) => void;
  limits?: Limits;
  /**
   * TLS 1.3 certificate compression (RFC 8879), in preference order, e.g.
   * `[brotli(), zlib]` from 'webtls' (certcomp). A client offers to receive the server's
   * certificate compressed with these and compresses its own when asked; a server compresses its
   * certificate with the first one the client lists (each chain once per algorithm) and asks
   * clients for theirs. A received compressed certificate may declare at most
   * `limits.maxHandshakeMessage` bytes. Default: none.
   */
  certCompression?: readonly CertCompressionAlgorithm[];
  /**
   * The largest protected record this endpoint accepts, advertised with record_size_limit
   * (RFC 8449): bytes of record plaintext, counting TLS 1.3's content-type byte, 64 to 16385.
   * A client advertises it in every ClientHello; a server answers a client that advertised
   * one. Once both have, each side cuts the records it sends to the other's limit, and a
   * larger record received ends the connection with record_overflow. Default 16385 (no limit
   * beyond the protocol's, 2^14 in TLS 1.2), advertised so that a peer's smaller limit is
   * learned and kept; `false` advertises nothing and ignores the peer's.
   */
  recordSizeLimit?: number | false;
  /**
   * TLS 1.3 record padding (RFC 8446 §5.4): each protected record's plaintext (content and
   * type byte) is padded with zeros up to a multiple of this many bytes, so the network sees
   * lengths rounded up rather than exact ones — the server's certificate flight, the ALPN it
   * chose, the size of a request. Padding stops at the record size and the peer's
   * record_size_limit. Costs bytes; TLS 1.2 has no padding. Default 0: none. 1 to 16384.
   */
  recordPadding?: number;
}

export interface ClientConfig extends CommonConfig {
  /**
   * Verifies the server's chain. Defaults to the webpki verifier over `roots`, built once per
   * `roots` array (so certificates pushed into that array after the first connection are not
   * seen: pass a new array instead).
   */
  verifier?: ServerCertVerifier;
  /** Trust anchors (PEM text or DER) for the default verifier; defaults to bundled roots. */
  roots?: readonly (string | Uint8Array)[];
  /** How many key shares to send up front (default 2: the first two groups). */
  keyShares?: number;
  /** Send the legacy_session_id and CCS for middlebox compatibility (default true). */
  middleboxCompat?: boolean;
  /**
   * Where sessions are kept for resumption, keyed by server name (see ClientSessionStore).
   * Default: an in-memory store per config object. `null` turns resumption off: no session is
   * offered and no ticket asked for.
   */
  sessionStore?: ClientSessionStore | null;
  /**
   * TLS 1.3 PSK key-exchange modes to offer when resuming (RFC 8446 §4.2.9), in order. Default
   * `['psk_dhe_ke']`: a resumed connection still runs a fresh (EC)DHE, so it keeps forward
   * secrecy. `psk_ke` resumes without one (cheaper, no forward secrecy for that connection).
   */
  pskModes?: readonly ('psk_dhe_ke' | 'psk_ke')[];
  /**
   * The certificate to send when a server asks for one (TLS 1.3 and 1.2): a chain and a key loaded
   * from PKCS#8 (`certifiedKeyFromPem`) or a WebCrypto `CryptoKey`, which may be
   * non-extractable (`certifiedKeyFromCryptoKey`). Without it the client sends no certificate.
   */
  clientCertificate?: CertifiedKey;
  /**
   * Chooses the certificate per request, by the server's acceptable issuers and signature
   * schemes; takes precedence over `clientCertificate`. Returning undefined sends none.
   */
  clientCertResolver?: ClientCertResolver;
  /** Encrypted Client Hello (draft-ietf-tls-esni). Default: not offered. */
  ech?: EchClientOptions;
}

/** How a client uses Encrypted Client Hello. */
export interface EchClientOptions {
  /**
   * The server's ECHConfigList (bytes, or base64 as published in DNS), e.g. from
   * `fetchEchConfigList`. The first usable configuration is offered; the ClientHello the server
   * is meant to see (with the real server name) travels encrypted, the visible one names the
   * configuration's public name. The connection is TLS 1.3 only. When the server rejects ECH,
   * the handshake ends with a TlsError `ECH_REQUIRED` carrying `echRetryConfigs` (retry with
   * them on a new connection), or without them when the server disabled ECH.
   */
  configList?: Uint8Array | string;
  /** Without `configList`, send a GREASE ECH extension (draft §6.2), so ECH users blend in. */
  grease?: boolean;
}

/** A certificate chain (DER, leaf first) and the key that signs for it. */
export interface CertifiedKey {
  chain: Uint8Array[];
  key: SigningKey;
}

export interface ServerConfig extends CommonConfig {
  /** Certificates to serve, chosen by SNI and by the client's signature schemes. */
  certificates: CertifiedKey[];
  /** Always answer the first ClientHello with a HelloRetryRequest carrying a cookie. */
  requireCookie?: boolean;
  /**
   * Issues session tickets (TLS 1.2: RFC 5077) and resumes sessions from them. Default: none,
   * no tickets. `new AeadTicketer()` gives AES-256-GCM tickets under rotating in-memory keys.
   */
  ticketer?: Ticketer;
  /**
   * Keeps sessions on the server: TLS 1.2 by session ID; TLS 1.3 by ticket, when no `ticketer`
   * is given (the ticket is then a random ID into the cache, removed when used). Default: none.
   */
  sessionCache?: ServerSessionCache;
  /**
   * TLS 1.3: how many NewSessionTicket messages to send after each handshake (RFC 8446 §4.6.1),
   * when `ticketer` or `sessionCache` is set. Default 2, so a client can open two resumed
   * connections in parallel (each ticket is used once). 0 sends none.
   */
  sessionTickets?: number;
  /**
   * TLS 1.3: the largest 0-RTT payload accepted, in bytes (max_early_data_size, RFC 8446
   * §4.2.10), advertised in the tickets this server issues. Default 0: no early data. Early data
   * can be replayed by an attacker; see `antiReplay`. Applications must only act on early data
   * that is safe to repeat.
   */
  maxEarlyData?: number;
  /**
   * TLS 1.3: records which tickets have carried accepted early data, so each ticket's early data
   * is accepted at most once (RFC 8446 §8). Default: a MemoryAntiReplayStore per config object;
   * a fleet of servers must share one (Redis, a Durable Object).
   */
  antiReplay?: AntiReplayStore;
  /**
   * TLS 1.3: how far the client's ticket age may differ from the server's view, in ms, for early
   * data to be accepted (RFC 8446 §8.3's freshness window). Default 10000.
   */
  earlyDataWindowMs?: number;
  /**
   * TLS 1.3: accept psk_ke resumption (no (EC)DHE, no forward secrecy for that connection) when
   * the client offers only that. Default false: such a client gets a full handshake.
   */
  allowPskKe?: boolean;
  /**
   * Client authentication (TLS 1.3 and 1.2): 'none' (default) asks for no certificate;
   * 'optional' sends a CertificateRequest and accepts a client that sends none; 'required' ends
   * the handshake when the client sends none, with certificate_required in TLS 1.3 (RFC 8446
   * §4.4.2.4) and handshake_failure in TLS 1.2 (RFC 5246 §7.4.6). A certificate that is sent
   * must pass `clientVerifier`. Unless 'none', TLS 1.2 sessions are neither issued nor resumed
   * (they do not keep the client's certificate).
   */
  clientAuth?: 'none' | 'optional' | 'required';
  /**
   * Verifies client certificates; needed unless `clientAuth` is 'none'. Defaults to
   * `webpkiClientVerifier({ roots: clientRoots })` when `clientRoots` is given.
   */
  clientVerifier?: ClientCertVerifier;
  /** Trust anchors (PEM text or DER) for client certificates, for the default verifier. */
  clientRoots?: readonly (string | Uint8Array)[];
  /** Terminate Encrypted Client Hello (draft-ietf-tls-esni) with these keys. Default: none. */
  ech?: EchServerOptions;
}

/** A server's Encrypted Client Hello keys (shared mode: it decrypts and serves the inner hello). */
export interface EchServerOptions {
  /**
   * Every key still accepted, e.g. from `generateEchKey` or `echKeyFromPem`; a ClientHelloOuter
   * is tried with the keys whose config_id it names. Keep retired keys here for as long as their
   * configurations may be cached by clients.
   */
  keys: readonly EchKeyPair[];
  /**
   * The ECHConfigList sent as retry_configs when ECH is offered but not accepted (a GREASE
   * extension, or a key we no longer hold). Default: the configurations of all `keys`; after a
   * rotation, list only the current ones here.
   */
  retryConfigs?: Uint8Array;
}
