/**
 * A tap on an accepted transport that keeps a copy of the client's first handshake message (its
 * ClientHello) as it passes to the server, so a test can decode what a real browser offered.
 * The bytes reach the server unchanged.
 */
import { ContentType, HandshakeType } from '../src/msgs/enums.ts';
import { HandshakeJoiner } from '../src/msgs/handshake.ts';
import type { Transport } from '../src/streams/types.ts';

/** RFC 8446 §5.1: type (1), legacy_record_version (2), length (2). */
const RECORD_HEADER_LENGTH = 5;

/** Bytes looked at before giving up on finding a ClientHello. */
const MAX_TAPPED = 64 * 1024;

/** A transport whose first handshake message is also delivered to `clientHello`. */
export interface TappedTransport {
  transport: Transport;
  /**
   * The ClientHello body (no handshake header), or undefined when the stream ended or started
   * with something else.
   */
  clientHello: Promise<Uint8Array | undefined>;
}

/** Wraps `transport` so its readable side also feeds a ClientHello parser. */
export function tapClientHello(transport: Transport): TappedTransport {
  let resolve!: (body: Uint8Array | undefined) => void;
  const clientHello = new Promise<Uint8Array | undefined>((r) => {
    resolve = r;
  });
  const joiner = new HandshakeJoiner();
  let pending = new Uint8Array(0);
  let seen = 0;
  let done = false;

  const finish = (body: Uint8Array | undefined) => {
    done = true;
    pending = new Uint8Array(0);
    resolve(body);
  };

  // Splits what arrived into records; handshake payloads go to the joiner until a message is
  // complete. Anything unexpected ends the tap without touching the stream.
  const feed = (chunk: Uint8Array) => {
    seen += chunk.length;
    const joined = new Uint8Array(pending.length + chunk.length);
    joined.set(pending);
    joined.set(chunk, pending.length);
    let at = 0;
    while (!done && joined.length - at >= RECORD_HEADER_LENGTH) {
      const length = (joined[at + 3] << 8) | joined[at + 4];
      if (joined.length - at < RECORD_HEADER_LENGTH + length) break;
      if (joined[at] !== ContentType.handshake || length === 0) return finish(undefined);
      joiner.push(joined.subarray(at + RECORD_HEADER_LENGTH, at + RECORD_HEADER_LENGTH + length));
      at += RECORD_HEADER_LENGTH + length;
      const message = joiner.next();
      if (message) {
        return finish(message.type === HandshakeType.client_hello ? message.body : undefined);
      }
    }
    if (!done && seen > MAX_TAPPED) return finish(undefined);
    if (!done) pending = joined.slice(at);
  };

  // A pull-through stream (no queue of its own), so the server's back-pressure still reaches
  // the socket; cancelling it cancels the socket's stream.
  const source = transport.readable.getReader();
  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await source.read();
        } catch (error) {
          if (!done) finish(undefined);
          controller.error(error);
          return;
        }
        if (result.done) {
          if (!done) finish(undefined);
          controller.close();
          return;
        }
        if (!done) {
          try {
            feed(result.value);
          } catch {
            finish(undefined);
          }
        }
        controller.enqueue(result.value);
      },
      cancel(reason) {
        if (!done) finish(undefined);
        return source.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
  return { transport: { readable, writable: transport.writable }, clientHello };
}
