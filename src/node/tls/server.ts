/**
 * `createServer()` and `Server` as node:tls has them: a net.Server whose accepted sockets run
 * a webtls server (ServerConnection over openTlsStream) as TLSSockets. Tickets are issued by one
 * AeadTicketer per Server, so clients resume across its connections.
 */
import { EventEmitter } from 'node:events';
import {
  type AddressInfo,
  type Server as NetServer,
  createServer as netCreateServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import type { ServerConfig } from '../../config.ts';
import { AeadTicketer } from '../../sessions/ticketer.ts';
import type { ClientCertVerifier } from '../../verify/types.ts';
import { webpkiClientVerifier } from '../../verify/webpki-client.ts';
import type { Authorization } from './authorization.ts';
import { peekServerName } from './client-hello-peek.ts';
import { type NodeTlsError, nodeError, toNodeError, verifyErrorCode } from './errors.ts';
import { commonConfigFrom, contextOptions, rootsFrom } from './options.ts';
import { createSecureContext, SecureContext } from './secure-context.ts';
import { kServerSetup, TLSSocket, type TLSSocketOptions } from './tls-socket.ts';

/** node:tls's SNICallback: answers with the context for `servername` (undefined: the default). */
export type SNICallback = (
  servername: string,
  callback: (error: Error | null, context?: SecureContext) => void,
) => void;

/** Options of `createServer()`. */
export interface TlsServerOptions
  extends Omit<
    TLSSocketOptions,
    'isServer' | 'servername' | 'host' | 'session' | 'checkServerIdentity'
  > {
  /** Chooses a context by the name the client asks for (read from its ClientHello). */
  SNICallback?: SNICallback;
  /** TLS 1.3 tickets sent after each handshake (default 2; 0 turns resumption off). */
  sessionTickets?: number;
}

/** A client-certificate verifier that records its verdict, and passes when told not to reject. */
function recordingClientVerifier(
  inner: ClientCertVerifier,
  reject: boolean,
  state: Authorization,
): ClientCertVerifier {
  return {
    acceptableIssuers: inner.acceptableIssuers,
    async verifyClient(chain, options) {
      state.path = chain.slice();
      try {
        const verified = await inner.verifyClient(chain, options);
        state.authorized = true;
        state.path = verified.path;
        return verified;
      } catch (error) {
        state.authorized = false;
        state.error =
          error instanceof Error && 'code' in error
            ? toNodeError(error, verifyErrorCode(error as never, chain))
            : toNodeError(error);
        if (reject) throw error;
        return { path: chain.slice() };
      }
    },
  };
}

/**
 * A TLS server, as node:tls's: `listen`, `close`, `address`; events `secureConnection` (each
 * TLSSocket after its handshake), `tlsClientError` (a handshake that failed), `connection`,
 * `listening`, `close`, `error`, `keylog`.
 */
export class Server extends EventEmitter {
  readonly #net: NetServer;
  readonly #options: TlsServerOptions;
  #context: SecureContext;
  readonly #ticketer = new AeadTicketer();

  constructor(options: TlsServerOptions = {}, listener?: (socket: TLSSocket) => void) {
    super();
    this.#options = { ...options };
    const context = contextOptions(options);
    this.#context =
      options.secureContext instanceof SecureContext
        ? options.secureContext
        : createSecureContext(context);
    // Checked now, as node:tls checks them, rather than at the first connection.
    commonConfigFrom(options);
    if (listener) this.on('secureConnection', listener);
    this.#net = netCreateServer({ allowHalfOpen: true }, (raw) => this.#accept(raw));
    this.#net.on('listening', () => this.emit('listening'));
    this.#net.on('close', () => this.emit('close'));
    this.#net.on('error', (error) => this.emit('error', error));
  }

  /** Starts a TLSSocket on an accepted (or handed-over) connection. */
  #accept(raw: Duplex): void {
    this.emit('connection', raw);
    const socket = new TLSSocket(raw, {
      ...this.#options,
      isServer: true,
      [kServerSetup]: (r: Duplex, auth: Authorization) => this.#setup(r, auth),
    } as TLSSocketOptions);
    socket.on('keylog', (line: Buffer) => this.emit('keylog', line, socket));
    const onError = (error: NodeTlsError) => {
      if (this.listenerCount('tlsClientError') > 0) this.emit('tlsClientError', error, socket);
    };
    socket.once('error', onError);
    socket.once('secure', () => {
      socket.off('error', onError);
      // Errors after the handshake belong to the application's socket; keep them from being
      // unhandled until it listens.
      socket.on('error', () => undefined);
      this.emit('secureConnection', socket);
    });
  }

  /** The config for one connection: the context SNICallback picks, or the server's own. */
  async #setup(raw: Duplex, auth: Authorization): Promise<ServerConfig> {
    const options = this.#options;
    let context = this.#context;
    if (options.SNICallback) {
      const name = await peekServerName(raw);
      if (name !== undefined) {
        const callback = options.SNICallback;
        const chosen = await new Promise<SecureContext | undefined>((resolve, reject) =>
          callback(name, (error, ctx) => (error ? reject(error) : resolve(ctx))),
        );
        if (chosen) context = chosen;
      }
    }
    const common = commonConfigFrom({ ...options, secureContext: context });
    const certificates = await context.certifiedKeys();
    if (certificates.length === 0) {
      throw nodeError('tls: a server needs cert and key', 'ERR_TLS_INVALID_CONTEXT');
    }
    const config: ServerConfig = {
      ...common,
      certificates,
      ticketer: options.sessionTickets === 0 ? undefined : this.#ticketer,
      sessionTickets: options.sessionTickets,
    };
    if (options.requestCert) {
      const reject = options.rejectUnauthorized !== false;
      const roots = rootsFrom(context.options.ca) ?? [];
      const inner = webpkiClientVerifier({ roots });
      config.clientAuth = reject ? 'required' : 'optional';
      config.clientVerifier = recordingClientVerifier(inner, reject, auth);
    }
    return config;
  }

  /** Listens, as net.Server's `listen` (port, host, backlog, callback, or an options object). */
  listen(...args: unknown[]): this {
    (this.#net.listen as (...a: unknown[]) => NetServer)(...args);
    return this;
  }

  /** Stops accepting; `callback` runs once every connection has ended. */
  close(callback?: (error?: Error) => void): this {
    this.#net.close(callback);
    return this;
  }

  address(): AddressInfo | string | null {
    return this.#net.address();
  }

  get listening(): boolean {
    return this.#net.listening;
  }

  ref(): this {
    this.#net.ref();
    return this;
  }

  unref(): this {
    this.#net.unref();
    return this;
  }

  getConnections(callback: (error: Error | null, count: number) => void): this {
    this.#net.getConnections(callback);
    return this;
  }

  /** node:tls's way to change the default context of a running server. */
  setSecureContext(options: TlsServerOptions): void {
    this.#context = createSecureContext(contextOptions(options));
  }

  /**
   * Runs TLS on a connection accepted elsewhere (e.g. a net.Socket handed over by another
   * server), as emitting `connection` on a node:tls Server does.
   */
  acceptSocket(socket: Socket | Duplex): void {
    this.#accept(socket);
  }
}

/** Makes a TLS server, as node:tls's `createServer(options[, secureConnectionListener])`. */
export function createServer(
  options: TlsServerOptions = {},
  listener?: (socket: TLSSocket) => void,
): Server {
  return new Server(options, listener);
}
