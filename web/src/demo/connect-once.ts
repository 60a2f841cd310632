/**
 * One demo connection: a WebSocket to the relay, TLS over it to the demo server, `GET /` over
 * HTTP/1.1, and everything the page shows about it. On a resumed connection the request goes
 * as 0-RTT early data when the ticket allows it; if the server rejects it (or it could not be
 * sent early) it is sent again after the handshake, as ordinary data.
 */
import {
  type CertificateDetails,
  type ClientSessionStore,
  type ConnectionInfo,
  connect,
  peerCertificateDetails,
  relayTransport,
  type TlsEvent,
} from '../../../src/web/index.ts';
import { encodeRequest, type Http1Response, readResponse, request } from '../http1.ts';
import type { DemoConfig } from './config.ts';

/** The largest response the page accepts, in bytes. */
const MAX_RESPONSE_BYTES = 64 * 1024;
/** How long the WebSocket to the relay may take to open, in ms. */
const RELAY_OPEN_TIMEOUT_MS = 10_000;
/** How long the whole exchange may take, in ms. */
const EXCHANGE_TIMEOUT_MS = 20_000;

/** What happened on one connection. */
export interface DemoResult {
  /** Every handshake step the library reported, in order. */
  events: TlsEvent[];
  /** The negotiated parameters; undefined when the handshake failed. */
  info?: ConnectionInfo;
  /** The server's chain as sent, leaf first. */
  certificates: CertificateDetails[];
  /** Whether the request went as 0-RTT data (the server then answered it early). */
  requestInEarlyData: boolean;
  response?: Http1Response;
  /** Milliseconds the WebSocket to the relay took to open. */
  relayOpenMs?: number;
  /** Milliseconds from the click to the end of the response (or the failure). */
  elapsedMs: number;
  error?: string;
}

/** Runs one connection and request; never throws (a failure is in `error`). */
export async function connectOnce(
  config: DemoConfig,
  sessionStore: ClientSessionStore,
): Promise<DemoResult> {
  const started = performance.now();
  const events: TlsEvent[] = [];
  const result: DemoResult = { events, certificates: [], requestInEarlyData: false, elapsedMs: 0 };
  const http = { path: '/', host: config.serverName, maxBytes: MAX_RESPONSE_BYTES };
  let timer: ReturnType<typeof setTimeout> | undefined;
  let tls: ReturnType<typeof connect> | undefined;
  const exchange = async () => {
    // 1. A byte stream to the server, through the relay.
    const transport = await relayTransport(config.relayUrl, config.host, config.port, {
      timeoutMs: RELAY_OPEN_TIMEOUT_MS,
    });
    result.relayOpenMs = performance.now() - started;

    // 2. TLS, trusting only the demo CA, with tickets kept in IndexedDB. GET / is offered as
    // early data; the library sends it only when resuming a ticket that allows 0-RTT.
    tls = connect(transport, {
      serverName: config.serverName,
      roots: [config.caPem],
      sessionStore,
      alpnProtocols: ['http/1.1'],
      earlyData: encodeRequest(http),
      onEvent: (event) => events.push(event),
    });
    const info = await tls.opened;
    result.info = info;
    result.certificates = peerCertificateDetails(info);

    // 3. The response: to the early request if it was accepted, else to one sent now.
    result.requestInEarlyData = info.earlyData === 'accepted';
    result.response = result.requestInEarlyData
      ? await readResponse(tls.readable, MAX_RESPONSE_BYTES)
      : await request(tls, http);
    await tls.close();
  };
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no response within ${EXCHANGE_TIMEOUT_MS} ms`)),
      EXCHANGE_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([exchange(), timeout]);
  } catch (error) {
    result.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    if (tls) {
      result.info ??= tls.info;
      await tls.close().catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
    result.elapsedMs = performance.now() - started;
  }
  return result;
}
