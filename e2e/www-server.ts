/**
 * An in-process webtls HTTPS server for browser tests: listen() on 127.0.0.1, accept() per
 * connection, and the `s_server -www` page (one request, one response, then close_notify). Each
 * connection's ClientHello, negotiated facts, request line and error are kept for assertions.
 */
import { readHttpRequest, wwwResponse } from '../src/cli/www.ts';
import type { ServerConfig } from '../src/config.ts';
import type { ConnectionInfo } from '../src/conn/types.ts';
import { type Listener, listen } from '../src/node/index.ts';
import { accept, type TlsStream } from '../src/streams/index.ts';
import { withTimeout } from './chromium.ts';
import { tapClientHello } from './client-hello-tap.ts';

/** How long a connection may wait for its request, and for the browser's close_notify. */
const REQUEST_TIMEOUT_MS = 15_000;
const CLOSE_GRACE_MS = 2_000;

/** What the server saw of one connection. */
export interface WwwSession {
  /** 1-based, in accept order. */
  id: number;
  /** The ClientHello body as received, once it arrived. */
  clientHello?: Uint8Array;
  /** Set once the handshake completed. */
  info?: ConnectionInfo;
  /** The HTTP request line, once a request arrived. */
  requestLine?: string;
  /** The error that failed the handshake, if one did. */
  handshakeError?: unknown;
  /** The error that ended the connection after the handshake, if one did. */
  error?: unknown;
  /** Set when the peer did not close cleanly after the response (no close_notify). */
  closeError?: unknown;
  /** True once the connection is over. */
  ended: boolean;
  /** Resolves once the connection is over; never rejects. */
  finished: Promise<void>;
}

/** A running server. */
export interface WwwServer {
  port: number;
  sessions: WwwSession[];
  /** Resolves once every connection accepted so far has ended, or rejects after `ms`. */
  settled(ms: number): Promise<void>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

/** Starts the server on a free port of 127.0.0.1. */
export async function startWwwServer(config: ServerConfig): Promise<WwwServer> {
  const sessions: WwwSession[] = [];
  const running = new Set<Promise<void>>();
  const streams = new Set<TlsStream>();

  const listener: Listener = await listen(0, '127.0.0.1', (raw) => {
    const tapped = tapClientHello(raw);
    const tls = accept(tapped.transport, config);
    streams.add(tls);
    const session: WwwSession = {
      id: sessions.length + 1,
      ended: false,
      finished: Promise.resolve(),
    };
    void tapped.clientHello.then((body) => {
      session.clientHello = body;
    });
    const run = serve(tls, session).finally(() => {
      session.ended = true;
      streams.delete(tls);
      running.delete(run);
    });
    session.finished = run;
    sessions.push(session);
    running.add(run);
  });

  return {
    port: listener.port,
    sessions,
    settled: (ms) =>
      withTimeout(
        Promise.all([...running]).then(() => undefined),
        ms,
        'sessions',
      ),
    async close() {
      await listener.close();
      await Promise.all([...streams].map((tls) => tls.close()));
    },
  };
}

/** Handshake, one request, the page, close. Records instead of throwing. */
async function serve(tls: TlsStream, session: WwwSession): Promise<void> {
  try {
    session.info = await tls.opened;
  } catch (error) {
    session.handshakeError = error;
    await tls.close();
    return;
  }
  try {
    const request = await withTimeout(readHttpRequest(tls.readable), REQUEST_TIMEOUT_MS, 'request');
    // A speculative connection the browser never used ends without a request when it closes.
    if (request === '') return;
    session.requestLine = request.split(/\r?\n/, 1)[0];
    const writer = tls.writable.getWriter();
    await writer.write(wwwResponse(request, tls.info));
    await writer.close();
    // Chromium closes the TCP connection after the response without sending close_notify, so
    // `closed` usually rejects with TRUNCATED here: kept apart from real failures.
    await withTimeout(tls.closed, CLOSE_GRACE_MS, 'close_notify').catch((error) => {
      session.closeError = error;
    });
  } catch (error) {
    session.error = error;
  } finally {
    await tls.close();
  }
}
