/**
 * WebSocket transports: TLS bytes carried in binary WebSocket messages, for pages, Workers and
 * Service Workers that cannot open TCP themselves and reach servers through a relay
 * (`workers/relay`). Runtime-neutral: it uses the standard WebSocket API (browsers, Deno, Bun,
 * workerd, Node 22) or a constructor passed in (the `ws` package on Node 20).
 */
import { TlsError } from '../error.ts';
import type { Transport } from '../streams/types.ts';

/** The parts of the standard WebSocket API a transport uses. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: string, listener: (event: never) => void): void;
  removeEventListener(type: string, listener: (event: never) => void): void;
}

/** A WebSocket constructor (the global one, or the `ws` package's). */
export type WebSocketConstructorLike = new (
  url: string,
  protocols?: string | string[],
) => WebSocketLike;

/** Options of {@link webSocketTransport} and {@link fromWebSocket}. */
export interface WebSocketTransportOptions {
  /** The WebSocket implementation (default `globalThis.WebSocket`). */
  WebSocket?: WebSocketConstructorLike;
  /** Subprotocols to ask for. */
  protocols?: string | string[];
  /** How long opening may take, in ms (default 10000). */
  timeoutMs?: number;
  /** Bytes queued in the socket before a write waits for them to drain (default 1 MiB). */
  maxBufferedAmount?: number;
  /**
   * Bytes received but not yet read before the transport fails (default 8 MiB). The WebSocket
   * API cannot pause the peer, so this bounds memory when the reader stops.
   */
  maxReadBuffer?: number;
}

const OPEN = 1;
/** Close codes a client may send: normal, and one from the application range for errors. */
const NORMAL_CLOSURE = 1000;
const APP_ERROR_CLOSURE = 3000;

/**
 * Opens a WebSocket to `url` and resolves with it as a Transport once it is open.
 *
 * @throws TlsError TRANSPORT when it cannot be opened in time or there is no WebSocket
 */
export function webSocketTransport(
  url: string | URL,
  options: WebSocketTransportOptions = {},
): Promise<Transport> {
  const Ctor =
    options.WebSocket ??
    (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket ??
    undefined;
  if (!Ctor) {
    return Promise.reject(
      transportFailure('tls: no WebSocket in this runtime (pass options.WebSocket)'),
    );
  }
  const ws = new Ctor(String(url), options.protocols);
  ws.binaryType = 'arraybuffer';
  const timeoutMs = options.timeoutMs ?? 10_000;
  return new Promise<Transport>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      ws.removeEventListener('open', onOpen);
      ws.removeEventListener('error', onFail);
      ws.removeEventListener('close', onFail);
    };
    const onOpen = () => {
      done();
      resolve(fromWebSocket(ws, options));
    };
    const onFail = () => {
      done();
      reject(transportFailure(`tls: WebSocket to ${String(url)} failed to open`));
    };
    const timer = setTimeout(() => {
      done();
      ws.close();
      reject(transportFailure(`tls: WebSocket to ${String(url)} did not open in ${timeoutMs} ms`));
    }, timeoutMs);
    ws.addEventListener('open', onOpen);
    ws.addEventListener('error', onFail);
    ws.addEventListener('close', onFail);
  });
}

/**
 * Wraps an open WebSocket (a client's, or one a server accepted) as a Transport: binary
 * messages in, binary messages out. A text message from the peer is a protocol error. A clean
 * close (code 1000) ends `readable`; any other close errors it.
 */
export function fromWebSocket(
  ws: WebSocketLike,
  options: Pick<WebSocketTransportOptions, 'maxBufferedAmount' | 'maxReadBuffer'> = {},
): Transport {
  ws.binaryType = 'arraybuffer';
  const maxBuffered = options.maxBufferedAmount ?? 1024 * 1024;
  const maxRead = options.maxReadBuffer ?? 8 * 1024 * 1024;
  let readController!: ReadableStreamDefaultController<Uint8Array>;
  let readOpen = true;

  const endRead = (error?: Error) => {
    if (!readOpen) return;
    readOpen = false;
    if (error) readController.error(error);
    else readController.close();
  };
  ws.addEventListener('message', (event: { data: unknown }) => {
    if (!readOpen) return;
    const data = event.data;
    if (!(data instanceof ArrayBuffer)) {
      endRead(transportFailure('tls: WebSocket peer sent a non-binary message'));
      ws.close(APP_ERROR_CLOSURE, 'binary messages only');
      return;
    }
    if ((readController.desiredSize ?? 0) < -maxRead) {
      endRead(transportFailure('tls: WebSocket peer sent more than the read buffer holds'));
      ws.close(APP_ERROR_CLOSURE, 'read buffer full');
      return;
    }
    readController.enqueue(new Uint8Array(data));
  });
  ws.addEventListener('close', (event: { code?: number; reason?: string }) => {
    if (event.code === NORMAL_CLOSURE) endRead();
    else endRead(transportFailure(`tls: WebSocket closed with code ${event.code ?? 'none'}`));
  });
  ws.addEventListener('error', () => {
    endRead(transportFailure('tls: WebSocket error'));
  });

  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        readController = controller;
      },
      cancel() {
        readOpen = false;
        ws.close(NORMAL_CLOSURE);
      },
    },
    // Counted in bytes, so desiredSize tells how much is waiting (no back-pressure is possible).
    new ByteLengthQueuingStrategy({ highWaterMark: 0 }),
  );
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (ws.readyState !== OPEN) throw transportFailure('tls: WebSocket is not open');
      ws.send(chunk);
      // The API has no write back-pressure either: poll while too much is queued, until it
      // drains or the socket closes.
      while (ws.bufferedAmount > maxBuffered && ws.readyState === OPEN) {
        await new Promise<void>((resolve) => setTimeout(resolve, 10));
      }
    },
    close() {
      ws.close(NORMAL_CLOSURE);
    },
    abort() {
      ws.close(APP_ERROR_CLOSURE, 'aborted');
    },
  });
  return { readable, writable };
}

/**
 * Opens a transport to `host:port` through a webtls relay (`workers/relay`): a WebSocket to
 * `relayUrl` with the destination in the query (`?host=...&port=...`). The relay only connects
 * to destinations on its allowlist.
 */
export function relayTransport(
  relayUrl: string | URL,
  host: string,
  port: number,
  options: WebSocketTransportOptions = {},
): Promise<Transport> {
  const url = new URL(String(relayUrl));
  url.searchParams.set('host', host);
  url.searchParams.set('port', String(port));
  return webSocketTransport(url, options);
}

function transportFailure(message: string): TlsError {
  return new TlsError('TRANSPORT', message, { layer: 'transport' });
}
