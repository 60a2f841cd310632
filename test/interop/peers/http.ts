/** A tiny HTTP/1.1 responder for a webtls test server (startWebtlsServer's handler). */
import type { SessionHandler } from './webtls.ts';

const latin1 = new TextDecoder('latin1');
/** The largest request head read before the handler gives up. */
const MAX_HEAD = 16 * 1024;

/**
 * Reads one request head (into `session.received`), answers `200 OK` with `body` as
 * `text/plain` and `Connection: close`, then closes its side and waits for the client's.
 */
export function httpResponder(body: string): SessionHandler {
  return async (tls, session) => {
    const reader = tls.readable.getReader();
    while (!session.received.includes('\r\n\r\n')) {
      const { value, done } = await reader.read();
      if (done || session.received.length > MAX_HEAD) break;
      session.received += latin1.decode(value);
    }
    reader.releaseLock();
    const bytes = new TextEncoder().encode(body);
    const head =
      'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n' +
      `Content-Length: ${bytes.length}\r\nConnection: close\r\n\r\n`;
    const writer = tls.writable.getWriter();
    await writer.write(new TextEncoder().encode(head));
    await writer.write(bytes);
    await writer.close();
    await tls.closed.catch(() => undefined);
  };
}
