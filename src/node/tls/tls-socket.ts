/**
 * `TLSSocket`: a node `stream.Duplex` over a webtls connection, with node:tls's events and
 * members, so code written for node:tls can use webtls unchanged. The TLS runs in webtls's
 * engine (ClientConnection / ServerConnection) driven by the streams pump (openTlsStream); the
 * socket underneath is any node Duplex, usually a net.Socket.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { ClientConfig, ServerConfig } from '../../config.ts';
import { ClientConnection } from '../../conn/client.ts';
import type { ConnectionCore } from '../../conn/core.ts';
import { ServerConnection } from '../../conn/server.ts';
import type { ConnectionInfo } from '../../conn/types.ts';
import { tls12Suite, tls13Suite } from '../../crypto/suites.ts';
import { TlsError } from '../../error.ts';
import { CipherSuite } from '../../msgs/enums.ts';
import { openTlsStream } from '../../streams/tls-stream.ts';
import type { TlsStream } from '../../streams/types.ts';
import { webpkiVerifier } from '../../verify/webpki.ts';
import { socketTransport } from '../socket-transport.ts';
import {
  type Authorization,
  authorizingVerifier,
  type CheckServerIdentity,
} from './authorization.ts';
import { type NodeTlsError, nodeError, toNodeError } from './errors.ts';
import {
  type CommonTlsOptions,
  certifiedKeysFrom,
  commonConfigFrom,
  contextOptions,
  rootsFrom,
} from './options.ts';
import {
  type DetailedPeerCertificate,
  describeChain,
  type PeerCertificate,
} from './peer-certificate.ts';
import { SecureContext } from './secure-context.ts';
import { SingleConnectionSessions } from './session-store.ts';

/** Options of `new TLSSocket(socket, options)` and of `connect()`. */
export interface TLSSocketOptions extends CommonTlsOptions {
  /** Run the server side (default: client). */
  isServer?: boolean;
  /** Client: the name sent as SNI and checked in the certificate (default: `host`). */
  servername?: string;
  /** Client: the host dialled, the name checked when `servername` is not given. */
  host?: string;
  /** Client: a session from an earlier connection's `session` event, to resume. */
  session?: Uint8Array;
  /**
   * Client: end the handshake when the server's certificate does not verify (default true).
   * Server: with `requestCert`, refuse clients without a valid certificate (default true).
   */
  rejectUnauthorized?: boolean;
  /** Client: node's name check, replaced (see check-server-identity.ts for the default). */
  checkServerIdentity?: CheckServerIdentity;
  /** Server: ask the client for a certificate (checked against `ca`). */
  requestCert?: boolean;
  /** Milliseconds the handshake may take (default 120000, node's; 0 for no limit). */
  handshakeTimeout?: number;
  /** Keep our direction open after the peer's ends (default false, as net.Socket). */
  allowHalfOpen?: boolean;
}

/** How the Server hands a socket its config (kept off the public options). */
export const kServerSetup = Symbol('webtls.serverSetup');

/** Builds a server config for one accepted socket (it may read the ClientHello first). */
export type ServerSetup = (raw: Duplex, auth: Authorization) => Promise<ServerConfig>;

/** The public form of `getCipher()`. */
export interface CipherNameAndProtocol {
  /** OpenSSL's name (TLS 1.3 suites have the IANA name there too). */
  name: string;
  /** The IANA name. */
  standardName: string;
  /** The lowest protocol version the suite works with. */
  version: string;
}

const DEFAULT_HANDSHAKE_TIMEOUT_MS = 120_000;

/** node (OpenSSL) names of the groups, for getEphemeralKeyInfo(). */
const EPHEMERAL: Readonly<Record<string, { name: string; size: number }>> = {
  X25519: { name: 'X25519', size: 253 },
  'P-256': { name: 'prime256v1', size: 256 },
  'P-384': { name: 'secp384r1', size: 384 },
  'P-521': { name: 'secp521r1', size: 521 },
};

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Resolves once `raw` is connected (at once for a socket that already is). */
function whenConnected(raw: Duplex): Promise<void> {
  const socket = raw as Partial<Socket>;
  if (!socket.connecting) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    raw.once('error', onError);
    raw.once('connect', () => {
      raw.off('error', onError);
      resolve();
    });
  });
}

/**
 * A TLS connection as a node Duplex, in node:tls's shape. Events: `secureConnect` (client) /
 * `secure` (server), `session`, `keylog`, `data`, `end`, `close`, `error`, and `connect` /
 * `timeout` from the socket underneath.
 */
export class TLSSocket extends Duplex {
  /** Always true: node's marker for TLS sockets. */
  readonly encrypted = true;
  /** Whether the peer's certificate verified (and, on a client, named the server). */
  authorized = false;
  /** Why it did not: node's code (e.g. 'CERT_HAS_EXPIRED'), or null. */
  authorizationError: string | null = null;
  /** The ALPN protocol agreed: null before the handshake, false when none. */
  alpnProtocol: string | false | null = null;
  /** SNI: the name sent (client) or received (server), false when none; null before. */
  servername: string | false | null = null;
  /** The socket underneath (node:tls calls it `_parent` / `socket` alike). */
  readonly socket: Duplex | undefined;
  /** True while the socket underneath is still connecting. */
  connecting: boolean;

  readonly #options: TLSSocketOptions;
  readonly #isServer: boolean;
  readonly #auth: Authorization = { authorized: false, error: undefined, path: [] };
  #conn: ConnectionCore | undefined;
  #stream: TlsStream | undefined;
  #writer: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #ready: Promise<void>;
  #session: Buffer | undefined;
  #secure = false;
  #wantRead = false;
  #wake: (() => void) | undefined;
  #handshakeTimer: ReturnType<typeof setTimeout> | undefined;

  /**
   * Starts TLS over `socket` (connected, or connecting: TLS starts once it connects): the
   * client side, or the server side with `isServer`.
   */
  constructor(socket: Duplex, options: TLSSocketOptions = {}) {
    super({ allowHalfOpen: options.allowHalfOpen ?? false, emitClose: true, autoDestroy: true });
    this.#options = options;
    this.#isServer = options.isServer === true;
    this.socket = socket;
    this.connecting = (socket as Partial<Socket>).connecting === true;
    socket.on('timeout', () => this.emit('timeout'));
    // Errors of the socket underneath reach us through the transport; keep them from being
    // unhandled on the socket itself.
    socket.on('error', () => undefined);
    // From here: a slow peer is bounded while we read its ClientHello for SNICallback too.
    this.#startHandshakeTimer();
    this.#ready = this.#start(socket).catch((error) => {
      this.destroy(this.#nodeFailure(error));
    });
  }

  // ---- Starting. ----

  async #start(raw: Duplex): Promise<void> {
    await whenConnected(raw);
    if (this.connecting) {
      this.connecting = false;
      this.emit('connect');
    }
    if (this.destroyed) return;
    if (this.#isServer) {
      const setup = (this.#options as { [kServerSetup]?: ServerSetup })[kServerSetup];
      const config = await (setup ? setup(raw, this.#auth) : serverConfigFrom(this.#options));
      if (this.destroyed) return;
      this.#run(new ServerConnection({ ...config, keyLog: this.#keyLog() }), raw);
    } else {
      const { config, serverName } = await this.#clientConfig();
      if (this.destroyed) return;
      this.#run(new ClientConnection(config, { serverName }), raw);
    }
  }

  async #clientConfig(): Promise<{ config: ClientConfig; serverName: string }> {
    const options = this.#options;
    const context = contextOptions(options);
    const common = commonConfigFrom(options);
    const serverName = options.servername || options.host || 'localhost';
    const inner = webpkiVerifier({ roots: rootsFrom(context.ca) });
    const verifier = authorizingVerifier(
      {
        inner,
        hostname: serverName,
        rejectUnauthorized: options.rejectUnauthorized !== false,
        checkServerIdentity: options.checkServerIdentity,
      },
      this.#auth,
    );
    const secureContext = options.secureContext;
    const [clientCertificate] =
      secureContext instanceof SecureContext
        ? await secureContext.certifiedKeys()
        : await certifiedKeysFrom(context, common.provider);
    const sessionStore = new SingleConnectionSessions(options.session, (encoded) => {
      this.#session = toBuffer(encoded);
      this.emit('session', this.#session);
    });
    const config: ClientConfig = {
      ...common,
      verifier,
      clientCertificate,
      sessionStore,
      keyLog: this.#keyLog(),
    };
    return { config, serverName };
  }

  /** Key-log lines go to `keylog` listeners, when there are any (debugging only). */
  #keyLog(): (line: string) => void {
    return (line) => {
      if (this.listenerCount('keylog') > 0) this.emit('keylog', Buffer.from(`${line}\n`));
    };
  }

  #run(conn: ConnectionCore, raw: Duplex): void {
    this.#conn = conn;
    // The handshake timeout is ours rather than the pump's, to fail with node's code for it.
    const stream = openTlsStream(conn, socketTransport(raw as Socket), { handshakeTimeoutMs: 0 });
    this.#stream = stream;
    this.#writer = stream.writable.getWriter();
    this.#writer.closed.catch(() => undefined);
    stream.closed.catch(() => undefined);
    stream.opened.then(
      (info) => this.#onSecure(info),
      (error) => this.destroy(this.#nodeFailure(error)),
    );
  }

  #startHandshakeTimer(): void {
    const ms = this.#options.handshakeTimeout ?? DEFAULT_HANDSHAKE_TIMEOUT_MS;
    if (!(ms > 0) || !Number.isFinite(ms)) return;
    this.#handshakeTimer = setTimeout(() => {
      const message = `tls: handshake not complete after ${ms} ms`;
      this.destroy(nodeError(message, 'ERR_TLS_HANDSHAKE_TIMEOUT'));
    }, ms);
  }

  #onSecure(info: ConnectionInfo): void {
    clearTimeout(this.#handshakeTimer);
    if (this.destroyed) return;
    this.#secure = true;
    this.alpnProtocol = info.alpn ?? false;
    this.servername = info.serverName ?? false;
    if (info.peerCertificates.length > 0 || !this.#isServer) {
      this.authorized = this.#auth.authorized;
      this.authorizationError = this.#auth.error?.code ?? null;
    }
    this.emit(this.#isServer ? 'secure' : 'secureConnect');
    void this.#pump();
  }

  /** Moves decrypted data from the stream into the Duplex, as fast as the reader takes it. */
  async #pump(): Promise<void> {
    const reader = this.#stream!.readable.getReader();
    this.#wantRead = true;
    while (!this.destroyed) {
      if (!this.#wantRead) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
        continue;
      }
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        // node:tls treats a transport EOF without close_notify after the handshake as an end,
        // and many servers close that way; webtls reports it as TRUNCATED.
        if (error instanceof TlsError && error.code === 'TRUNCATED') this.push(null);
        else this.destroy(this.#nodeFailure(error));
        return;
      }
      if (result.done) {
        this.push(null);
        return;
      }
      this.#wantRead = this.push(toBuffer(result.value));
    }
  }

  /** The error to report for a failure: the certificate check's own, when it was that. */
  #nodeFailure(error: unknown): NodeTlsError {
    if (this.#auth.error && error instanceof TlsError && error.layer === 'verify') {
      return this.#auth.error;
    }
    return toNodeError(error);
  }

  // ---- stream.Duplex. ----

  override _read(): void {
    this.#wantRead = true;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (e?: Error) => void): void {
    const bytes = new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength).slice();
    this.#ready
      .then(() => {
        if (!this.#writer) throw nodeError('tls: socket is closed', 'ERR_STREAM_DESTROYED');
        return this.#writer.write(bytes);
      })
      .then(
        () => callback(),
        (error) => callback(this.#nodeFailure(error)),
      );
  }

  override _final(callback: (e?: Error) => void): void {
    this.#ready
      .then(() => this.#writer?.close())
      .then(
        () => callback(),
        () => callback(),
      );
  }

  override _destroy(error: Error | null, callback: (e?: Error | null) => void): void {
    clearTimeout(this.#handshakeTimer);
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
    if (this.#stream) void this.#stream.close();
    else this.socket?.destroy();
    callback(error);
  }

  // ---- node:tls members. ----

  /**
   * The peer's certificate in node:tls's shape; with `detailed`, linked to its issuers by
   * `issuerCertificate` (the verified path when the chain verified). `{}` when the peer sent
   * none, null before the handshake.
   */
  getPeerCertificate(detailed = false): PeerCertificate | DetailedPeerCertificate | null {
    const info = this.#conn?.info;
    if (!info || !this.#secure) return null;
    const sent = info.peerCertificates;
    const chain = detailed && this.#auth.path.length > 0 ? this.#auth.path : sent;
    return describeChain(chain, detailed);
  }

  /** 'TLSv1.3' or 'TLSv1.2' after the handshake; null before. */
  getProtocol(): string | null {
    return this.#secure ? (this.#conn?.info.protocol ?? null) : null;
  }

  /** The cipher suite: OpenSSL's name, the IANA name and the lowest version it works with. */
  getCipher(): CipherNameAndProtocol | undefined {
    const name = this.#conn?.info.cipherSuite;
    if (!name || !this.#secure) return undefined;
    const code = CipherSuite[name as keyof typeof CipherSuite] as number | undefined;
    const tls12 = code === undefined ? undefined : tls12Suite(code);
    if (tls12) return { name: tls12.opensslName, standardName: name, version: 'TLSv1.2' };
    if (code !== undefined && tls13Suite(code)) {
      return { name, standardName: name, version: 'TLSv1.3' };
    }
    return { name, standardName: name, version: this.getProtocol() ?? 'unknown' };
  }

  /**
   * Client: the key exchange of the handshake ({ type: 'ECDH', name, size }), as node:tls; a
   * server gets {}, as from node:tls. null before the handshake.
   */
  getEphemeralKeyInfo(): { type?: string; name?: string; size?: number } | null {
    if (!this.#secure) return null;
    if (this.#isServer) return {};
    const group = this.#conn?.info.group;
    const known = group ? EPHEMERAL[group] : undefined;
    if (!known) return group ? { type: 'ECDH', name: group } : {};
    return { type: 'ECDH', ...known };
  }

  /** The latest session the server issued (webtls's encoding), for `options.session`. */
  getSession(): Buffer | undefined {
    return this.#session;
  }

  /** TLS 1.3 and 1.2 tickets are opaque to a client: undefined, as node:tls gives for 1.3. */
  getTLSTicket(): Buffer | undefined {
    return undefined;
  }

  /** Whether the handshake resumed a session. */
  isSessionReused(): boolean {
    return this.#conn?.info.resumed ?? false;
  }

  /**
   * Keying material (RFC 8446 §7.5 for TLS 1.3, RFC 5705 for TLS 1.2). Unlike node:tls's, the
   * result is a Promise (webtls derives it with async WebCrypto).
   *
   * @throws Error ERR_TLS_... when called before the handshake or with a reserved label
   */
  async exportKeyingMaterial(length: number, label: string, context?: Uint8Array): Promise<Buffer> {
    if (!this.#conn || !this.#secure) {
      throw nodeError('tls: no keying material before the handshake', 'ERR_SOCKET_CLOSED');
    }
    try {
      const bytes = await this.#conn.exportKeyingMaterial(label, context, length);
      return toBuffer(bytes);
    } catch (error) {
      throw toNodeError(error);
    }
  }

  /** webtls refuses renegotiation (RFC 8446 has none; RFC 5746 is not implemented). */
  renegotiate(_options: unknown, callback?: (error: Error | null) => void): boolean {
    const error = nodeError('tls: webtls does not renegotiate', 'ERR_TLS_RENEGOTIATION_DISABLED');
    if (callback) process.nextTick(() => callback(error));
    return false;
  }

  /** Accepted for compatibility; webtls sends records of up to 16 KiB. */
  setMaxSendFragment(_size: number): boolean {
    return false;
  }

  /** The webtls connection facts (protocol, suite, group, ALPN, resumption, ...). */
  get tlsInfo(): ConnectionInfo | undefined {
    return this.#conn?.info;
  }

  // ---- Passed to the socket underneath, when it is a net.Socket. ----

  #net(): Partial<Socket> {
    return (this.socket ?? {}) as Partial<Socket>;
  }

  setNoDelay(noDelay?: boolean): this {
    this.#net().setNoDelay?.(noDelay);
    return this;
  }

  setKeepAlive(enable?: boolean, initialDelay?: number): this {
    this.#net().setKeepAlive?.(enable, initialDelay);
    return this;
  }

  setTimeout(ms: number, callback?: () => void): this {
    if (callback) {
      if (ms === 0) this.off('timeout', callback);
      else this.once('timeout', callback);
    }
    this.#net().setTimeout?.(ms);
    return this;
  }

  ref(): this {
    this.#net().ref?.();
    return this;
  }

  unref(): this {
    this.#net().unref?.();
    return this;
  }

  address(): ReturnType<Socket['address']> | Record<string, never> {
    return this.#net().address?.() ?? {};
  }

  get remoteAddress(): string | undefined {
    return this.#net().remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.#net().remotePort;
  }

  get remoteFamily(): string | undefined {
    return this.#net().remoteFamily;
  }

  get localAddress(): string | undefined {
    return this.#net().localAddress;
  }

  get localPort(): number | undefined {
    return this.#net().localPort;
  }
}

/** A server config from node options alone (a TLSSocket made with `isServer`, no Server). */
export async function serverConfigFrom(options: TLSSocketOptions): Promise<ServerConfig> {
  const context = contextOptions(options);
  const common = commonConfigFrom(options);
  const certificates = await certifiedKeysFrom(context, common.provider);
  if (certificates.length === 0) {
    throw nodeError('tls: a server needs cert and key', 'ERR_TLS_INVALID_CONTEXT');
  }
  return { ...common, certificates };
}
