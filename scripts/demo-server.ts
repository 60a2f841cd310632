/**
 * The demo's HTTPS server: webtls over loopback TCP, one HTTP/1.1 request per connection,
 * answered with a short text page that says how the request arrived (full handshake or
 * resumed, in 0-RTT early data or after the handshake). It issues tickets that allow early
 * data, so a browser's second connection resumes and sends its request in the first flight.
 */
import type { CertifiedKey } from '../src/config.ts';
import { listen } from '../src/node/index.ts';
import { AeadTicketer, MemoryAntiReplayStore } from '../src/sessions/index.ts';
import { accept, type TlsStream } from '../src/streams/index.ts';
import { utf8 } from '../src/util/bytes.ts';

/** The largest request head read, in bytes; the demo's requests have no body. */
const MAX_REQUEST_HEAD = 8 * 1024;
/** How long a client has from connecting to finishing its request, in ms. */
const REQUEST_TIMEOUT_MS = 10_000;
/** max_early_data_size advertised in tickets (RFC 8446 §4.2.10): room for a GET. */
const MAX_EARLY_DATA = 4 * 1024;
/** Request heads are read byte for byte (HTTP/1.1 heads are ASCII; nothing here can fail). */
const latin1 = new TextDecoder('latin1');

/** A running demo server. */
export interface DemoServer {
  port: number;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

/** Starts the server on 127.0.0.1:`port` (0 picks a free port). */
export async function startDemoServer(certified: CertifiedKey, port = 0): Promise<DemoServer> {
  const config = {
    certificates: [certified],
    alpnProtocols: ['http/1.1'],
    ticketer: new AeadTicketer(),
    maxEarlyData: MAX_EARLY_DATA,
    antiReplay: new MemoryAntiReplayStore(),
  };
  const open = new Set<TlsStream>();
  const listener = await listen(port, '127.0.0.1', (transport) => {
    const tls = accept(transport, config);
    open.add(tls);
    serve(tls)
      .catch(() => undefined)
      .finally(() => {
        open.delete(tls);
        tls.close().catch(() => undefined);
      });
  });
  return {
    port: listener.port,
    async close() {
      await listener.close();
      await Promise.all([...open].map((tls) => tls.close().catch(() => undefined)));
    },
  };
}

/** Answers one request on `tls`, bounded in size and time. */
async function serve(tls: TlsStream): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error('demo server: request timed out')),
      REQUEST_TIMEOUT_MS,
    );
  });
  try {
    await Promise.race([answer(tls), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function answer(tls: TlsStream): Promise<void> {
  const info = await tls.opened;
  const head = await readHead(tls.readable);
  const [requestLine] = head.split('\r\n');
  const [method, target] = requestLine.split(' ');
  // Accepted 0-RTT bytes are the first the stream returns; the demo's request is all of them.
  const early = info.earlyData === 'accepted' && info.earlyDataBytes > 0;
  let status = '200 OK';
  let body: string;
  if (method !== 'GET' && method !== 'HEAD') {
    status = '405 Method Not Allowed';
    body = 'The demo server answers GET only.\n';
  } else {
    body = [
      'Hello from the webtls demo server.',
      '',
      `You asked for ${target ?? '/'} over ${info.protocol ?? 'TLS'} with ${info.cipherSuite}.`,
      `Handshake: ${info.resumed ? 'resumed from a ticket' : 'full (certificate and key exchange)'}.`,
      `Your request arrived ${early ? 'in 0-RTT early data' : 'after the handshake'}.`,
      '',
    ].join('\n');
  }
  const bytes = utf8(body);
  const response =
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
    `Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
  const writer = tls.writable.getWriter();
  await writer.write(method === 'HEAD' ? utf8(response) : concat(utf8(response), bytes));
  await writer.close();
}

/** Reads up to the blank line that ends a request head; throws past MAX_REQUEST_HEAD. */
async function readHead(readable: ReadableStream<Uint8Array>): Promise<string> {
  const reader = readable.getReader();
  let text = '';
  try {
    while (!text.includes('\r\n\r\n')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('demo server: the request ended early');
      text += latin1.decode(value);
      if (text.length > MAX_REQUEST_HEAD) throw new Error('demo server: request head too large');
    }
    return text.slice(0, text.indexOf('\r\n\r\n'));
  } finally {
    reader.releaseLock();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
