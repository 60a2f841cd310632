import { transportError } from './outbox.ts';
import type { Transport } from './types.ts';

/** A connected socket that speaks Web Streams (a Deno connection, a Workers socket). */
export interface StreamSocket {
  readable: ReadableStream<Uint8Array | ArrayBufferView>;
  writable: WritableStream<Uint8Array>;
}

/** How {@link streamSocketTransport} treats its socket. */
export interface StreamSocketOptions {
  /** Names the socket in error messages. */
  label: string;
  /** Frees the socket; called once, when both directions are done or on any failure. */
  release(): void;
  /** Settles when the socket may be used (a Workers socket opens asynchronously). */
  ready?: Promise<void>;
}

/**
 * Wraps a Web Streams socket as a webtls Transport. The socket is read only when the TLS layer
 * pulls (its own buffers bound memory); closing the writable ends our direction; the socket is
 * released once the peer has ended its direction and ours is closed, or at once on cancel, abort
 * or error. Failures become TlsError TRANSPORT.
 */
export function streamSocketTransport(
  socket: StreamSocket,
  options: StreamSocketOptions,
): Transport {
  const { label } = options;
  const ready = options.ready ?? Promise.resolve();
  const reader = socket.readable.getReader();
  const writer = socket.writable.getWriter();
  let readDone = false;
  let writeDone = false;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    options.release();
  };
  const finishedOne = () => {
    if (readDone && writeDone) release();
  };

  const readable = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        await ready;
        let result: ReadableStreamReadResult<Uint8Array | ArrayBufferView>;
        try {
          result = await reader.read();
        } catch (error) {
          readDone = true;
          release();
          throw transportError(`tls: reading from ${label} failed`, error);
        }
        if (result.done) {
          readDone = true;
          controller.close();
          finishedOne();
          return;
        }
        const chunk = result.value;
        controller.enqueue(
          chunk instanceof Uint8Array
            ? chunk
            : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
      },
      cancel() {
        readDone = true;
        reader.cancel().catch(() => undefined);
        release();
      },
    },
    { highWaterMark: 0 },
  );

  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      await ready;
      try {
        await writer.write(chunk);
      } catch (error) {
        throw transportError(`tls: writing to ${label} failed`, error);
      }
    },
    async close() {
      writeDone = true;
      try {
        await ready;
        // Ends our direction of the connection (a TCP FIN on both runtimes).
        await writer.close();
      } catch {
        // The socket already went away: there is nothing left to end.
      }
      finishedOne();
    },
    abort() {
      writeDone = true;
      release();
    },
  });

  return { readable, writable };
}
