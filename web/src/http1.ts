/**
 * A minimal HTTP/1.1 client over a webtls stream, for the demo page, the Service Worker proxy
 * and the Worker and Deno examples: one request per connection (`Connection: close`), a
 * response read up to its Content-Length, its chunked end, or the end of the stream. Bounded:
 * a response larger than `maxBytes` is an error. Not a general HTTP client.
 */
import type { TlsStream } from '../../src/streams/types.ts';

/** One request. */
export interface Http1Request {
  method?: string;
  /** The request target, e.g. `/index.html?x=1`. */
  path: string;
  /** The Host header (the server name). */
  host: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** The largest response accepted, head and body, in bytes (default 4 MiB). */
  maxBytes?: number;
}

/** The response. */
export interface Http1Response {
  status: number;
  statusText: string;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Record<string, string>;
  body: Uint8Array;
}

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

/** The request's bytes: request line, headers, blank line, body. */
export function encodeRequest(req: Http1Request): Uint8Array {
  const lines = [`${req.method ?? 'GET'} ${req.path} HTTP/1.1`, `Host: ${req.host}`];
  for (const [name, value] of Object.entries(req.headers ?? {})) lines.push(`${name}: ${value}`);
  if (req.body) lines.push(`Content-Length: ${req.body.length}`);
  lines.push('Connection: close', '', '');
  const head = encoder.encode(lines.join('\r\n'));
  if (!req.body) return head;
  const out = new Uint8Array(head.length + req.body.length);
  out.set(head);
  out.set(req.body, head.length);
  return out;
}

/**
 * Sends `req` on `tls` (after anything already written) and reads the response. The stream is
 * left for the caller to close.
 */
export async function request(tls: TlsStream, req: Http1Request): Promise<Http1Response> {
  const writer = tls.writable.getWriter();
  await writer.write(encodeRequest(req));
  writer.releaseLock();
  return readResponse(tls.readable, req.maxBytes ?? 4 * 1024 * 1024);
}

/** Reads one HTTP/1.1 response from `readable`. */
export async function readResponse(
  readable: ReadableStream<Uint8Array>,
  maxBytes: number,
): Promise<Http1Response> {
  const reader = readable.getReader();
  let buffer = new Uint8Array(0);
  let ended = false;
  const more = async (): Promise<boolean> => {
    if (ended) return false;
    const { value, done } = await reader.read();
    if (done) {
      ended = true;
      return false;
    }
    if (buffer.length + value.length > maxBytes) {
      throw new Error(`http1: response larger than ${maxBytes} bytes`);
    }
    const next = new Uint8Array(buffer.length + value.length);
    next.set(buffer);
    next.set(value, buffer.length);
    buffer = next;
    return true;
  };
  try {
    let headEnd = indexOfBlankLine(buffer);
    while (headEnd < 0) {
      if (!(await more())) throw new Error('http1: stream ended inside the response head');
      headEnd = indexOfBlankLine(buffer);
    }
    const head = latin1.decode(buffer.subarray(0, headEnd)).split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(head[0] ?? '');
    if (!match) throw new Error(`http1: bad status line ${JSON.stringify(head[0])}`);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new Error(`http1: bad header line ${JSON.stringify(line)}`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    let rest = buffer.subarray(headEnd + 4);
    const length = headers['content-length'];
    let body: Uint8Array;
    if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      body = await readChunked(
        () => rest,
        async () => {
          const grew = await more();
          rest = buffer.subarray(headEnd + 4);
          return grew;
        },
      );
    } else if (length !== undefined) {
      const n = Number(length);
      if (!Number.isSafeInteger(n) || n < 0) throw new Error('http1: bad Content-Length');
      while (rest.length < n) {
        if (!(await more())) throw new Error('http1: stream ended inside the body');
        rest = buffer.subarray(headEnd + 4);
      }
      body = rest.slice(0, n);
    } else {
      while (await more()) rest = buffer.subarray(headEnd + 4);
      body = buffer.slice(headEnd + 4);
    }
    return { status: Number(match[1]), statusText: match[2], headers, body };
  } finally {
    reader.releaseLock();
  }
}

/** Decodes a chunked body from `view()` (everything after the head), reading more as needed. */
async function readChunked(
  view: () => Uint8Array,
  more: () => Promise<boolean>,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (;;) {
    let lineEnd = indexOfCrlf(view(), at);
    while (lineEnd < 0) {
      if (!(await more())) throw new Error('http1: stream ended inside a chunk size');
      lineEnd = indexOfCrlf(view(), at);
    }
    const size = Number.parseInt(latin1.decode(view().subarray(at, lineEnd)).split(';')[0], 16);
    if (!Number.isSafeInteger(size) || size < 0) throw new Error('http1: bad chunk size');
    at = lineEnd + 2;
    while (view().length < at + size + 2) {
      if (!(await more())) throw new Error('http1: stream ended inside a chunk');
    }
    if (size === 0) break;
    parts.push(view().slice(at, at + size));
    at += size + 2;
  }
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function indexOfBlankLine(data: Uint8Array): number {
  for (let i = 0; i + 3 < data.length; i++) {
    if (data[i] === 13 && data[i + 1] === 10 && data[i + 2] === 13 && data[i + 3] === 10) {
      return i;
    }
  }
  return -1;
}

function indexOfCrlf(data: Uint8Array, from: number): number {
  for (let i = from; i + 1 < data.length; i++) {
    if (data[i] === 13 && data[i + 1] === 10) return i;
  }
  return -1;
}
