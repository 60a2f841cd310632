/**
 * Reads a client's first flight far enough to learn the SNI name it asks for, for node:tls's
 * `SNICallback`, which chooses the certificate before the engine sees the ClientHello. The
 * bytes read are put back (`unshift`), so the engine then reads them as if nobody had.
 */
import type { Duplex } from 'node:stream';
import { decodeClientHello } from '../../msgs/client-hello.ts';
import { ContentType, ExtensionType, HandshakeType } from '../../msgs/enums.ts';
import { decodeServerName } from '../../msgs/extensions/server-name.ts';

/** The most we read while looking (a ClientHello fits well within it; larger ones get none). */
const MAX_PEEK_BYTES = 64 * 1024;

/**
 * What the handshake bytes so far tell: the ClientHello body once complete, `false` when these
 * bytes are not a TLS handshake we could read (the engine will say why), undefined when more
 * are needed. RFC 8446 §5.1: a handshake message may span several records.
 */
function clientHelloBody(data: Uint8Array): Uint8Array | false | undefined {
  const fragments: Uint8Array[] = [];
  let at = 0;
  let have = 0;
  let need: number | undefined;
  while (at + 5 <= data.length) {
    if (data[at] !== ContentType.handshake) return false;
    const length = (data[at + 3] << 8) | data[at + 4];
    if (at + 5 + length > data.length) return undefined;
    fragments.push(data.subarray(at + 5, at + 5 + length));
    have += length;
    at += 5 + length;
    if (need === undefined && have >= 4) {
      const joined = Buffer.concat(fragments);
      if (joined[0] !== HandshakeType.client_hello) return false;
      need = 4 + ((joined[1] << 16) | (joined[2] << 8) | joined[3]);
    }
    if (need !== undefined && have >= need) return Buffer.concat(fragments).subarray(4, need);
  }
  return undefined;
}

/** The host_name of a ClientHello body, if it has a well-formed server_name extension. */
function serverNameOf(body: Uint8Array): string | undefined {
  try {
    const hello = decodeClientHello(body);
    const ext = hello.extensions.find((e) => e.type === ExtensionType.server_name);
    return ext ? decodeServerName(ext.data) : undefined;
  } catch {
    // Malformed: the engine reads the same bytes and ends the handshake with the right alert.
    return undefined;
  }
}

/**
 * Reads from `socket` until the ClientHello is complete (or is not one, or the socket ends),
 * puts everything read back, and resolves with the SNI name, if any. The socket is left paused.
 */
export function peekServerName(socket: Duplex): Promise<string | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (name: string | undefined) => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (chunks.length > 0 && !socket.readableEnded) socket.unshift(Buffer.concat(chunks));
      resolve(name);
    };
    const onEnd = () => finish(undefined);
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      const body = clientHelloBody(Buffer.concat(chunks));
      if (body) finish(serverNameOf(body));
      else if (body === false || size >= MAX_PEEK_BYTES) finish(undefined);
    };
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    socket.resume();
  });
}
