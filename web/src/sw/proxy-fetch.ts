/**
 * One proxied fetch: a `Request` for a configured origin carried as HTTP/1.1 over webtls over a
 * relay's WebSocket, answered with a `Response`. One connection per request. Used by the Service
 * Worker (`proxy-sw.ts`); it needs nothing of a Service Worker itself.
 */
import type { ConnectionInfo } from '../../../src/conn/types.ts';
import { TlsError } from '../../../src/error.ts';
import { connect } from '../../../src/streams/connect.ts';
import type { ConnectOptions, TlsStream } from '../../../src/streams/types.ts';
import { bufferSource } from '../../../src/util/bytes.ts';
import { relayTransport } from '../../../src/web/websocket.ts';
import { type Http1Response, request as http1Request } from '../http1.ts';

/** What {@link proxyFetch} needs besides the request. */
export interface ProxyFetchOptions {
  /** The relay's WebSocket URL. */
  relay: string;
  /** The client configuration every connection starts from (roots, session store, ...). */
  client: Omit<ConnectOptions, 'serverName'>;
  /** How long the whole exchange may take, in ms. */
  timeoutMs: number;
  /** Keeps the worker alive for work left after the response (closing the connection). */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/** Headers that belong to one hop (RFC 9110 §7.6.1) or that the HTTP/1.1 client writes itself. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
]);

/** Statuses whose response has no body (Fetch: "null body status"). */
const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);

/** Largest request body carried, in bytes: bodies are buffered, not streamed. */
const MAX_REQUEST_BODY = 4 * 1024 * 1024;

/**
 * Carries `req` to `url`'s host and port over webtls and returns the server's answer, with
 * `x-webtls-resumed` (`yes`/`no`), `x-webtls-protocol` and `x-webtls-cipher` added. Never
 * rejects: any failure is a 502 whose text names the error code (a TlsError's `code`), and a
 * fetch that takes longer than `timeoutMs` is a 504.
 */
export async function proxyFetch(
  req: Request,
  url: URL,
  options: ProxyFetchOptions,
): Promise<Response> {
  let tls: TlsStream | undefined;
  let settled = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
  });
  const exchange = (async () => {
    const body = await requestBody(req);
    const host = bareHost(url.hostname);
    const port = url.port ? Number(url.port) : 443;
    const transport = await relayTransport(options.relay, host, port, {
      timeoutMs: options.timeoutMs,
    });
    if (settled) {
      // The deadline passed while the relay was answering: release what arrived too late.
      transport.readable.cancel().catch(() => undefined);
      transport.writable.abort().catch(() => undefined);
      throw new TlsError('TRANSPORT', 'tls: proxy: relay answered after the deadline');
    }
    tls = connect(transport, { ...options.client, serverName: host });
    const info = await tls.opened;
    const res = await http1Request(tls, {
      method: req.method,
      path: url.pathname + url.search,
      host: url.host,
      headers: forwardedHeaders(req.headers),
      body,
    });
    return toResponse(res, info, req.method);
  })();
  try {
    const outcome = await Promise.race([exchange, timedOut]);
    if (outcome === 'timeout') {
      exchange.catch(() => undefined);
      return failure(504, 'TIMEOUT', `no answer within ${options.timeoutMs} ms`);
    }
    return outcome;
  } catch (error) {
    return errorResponse(error);
  } finally {
    settled = true;
    clearTimeout(timer);
    // The response is complete in memory: the connection is no longer needed.
    const closing = tls?.close().catch(() => undefined);
    if (closing) options.waitUntil?.(closing);
  }
}

/** The request's body, buffered, for methods that carry one. */
async function requestBody(req: Request): Promise<Uint8Array | undefined> {
  if (req.method === 'GET' || req.method === 'HEAD' || req.body === null) return undefined;
  const body = new Uint8Array(await req.arrayBuffer());
  if (body.length > MAX_REQUEST_BODY) {
    throw new TlsError('CONFIG', `tls: proxy: request body over ${MAX_REQUEST_BODY} bytes`, {
      layer: 'app',
    });
  }
  return body.length > 0 ? body : undefined;
}

/** The request's end-to-end headers; the server is asked not to compress. */
function forwardedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of headers) {
    if (!HOP_BY_HOP.has(name) && name !== 'accept-encoding') out[name] = value;
  }
  // A Response built here is handed to the page as is; nothing would undo a content coding.
  out['accept-encoding'] = 'identity';
  return out;
}

/** The server's answer as a Response, with the connection's facts in `x-webtls-*` headers. */
function toResponse(res: Http1Response, info: ConnectionInfo, method: string): Response {
  if (res.status < 200 || res.status > 599) {
    return failure(502, 'HTTP', `unsupported status ${res.status}`);
  }
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (HOP_BY_HOP.has(name)) continue;
    try {
      headers.append(name, value);
    } catch {
      // A header value the Headers class refuses (it may not hold every byte HTTP/1.1 allows).
    }
  }
  headers.set('x-webtls-resumed', info.resumed ? 'yes' : 'no');
  headers.set('x-webtls-protocol', info.protocol ?? 'unknown');
  headers.set('x-webtls-cipher', info.cipherSuite ?? 'unknown');
  exposeAll(headers);
  const nullBody = method === 'HEAD' || NULL_BODY_STATUS.has(res.status);
  const body = nullBody ? null : bufferSource(res.body);
  try {
    return new Response(body, { status: res.status, statusText: res.statusText, headers });
  } catch {
    // A reason phrase the Response constructor refuses: keep the status, drop the phrase.
    return new Response(body, { status: res.status, headers });
  }
}

/**
 * Lets a cross-origin page read every header: a page's fetch to another origin sees a response
 * from a Service Worker through the CORS filter, which shows only the headers listed here.
 */
function exposeAll(headers: Headers): void {
  const names = [...headers.keys()].filter((n) => n !== 'access-control-expose-headers');
  headers.set('access-control-expose-headers', names.join(', '));
}

/** A 502 naming the error: the TlsError code, or a generic kind; never a secret. */
function errorResponse(error: unknown): Response {
  if (error instanceof TlsError) return failure(502, error.code, error.message);
  if (error instanceof Error && error.message.startsWith('http1:')) {
    return failure(502, 'HTTP', error.message);
  }
  return failure(502, 'INTERNAL_ERROR', 'the proxy failed');
}

/** A plain-text error response with `x-webtls-error: <code>`. */
function failure(status: number, code: string, detail: string): Response {
  const headers = new Headers({
    'content-type': 'text/plain; charset=utf-8',
    'x-webtls-error': code,
  });
  exposeAll(headers);
  return new Response(`webtls proxy: ${code}: ${detail}\n`, { status, headers });
}

/** An IPv6 literal without its brackets, as the relay and the certificate check want it. */
function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}
