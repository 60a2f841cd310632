/**
 * A node:net socket as a webtls Transport (a pair of Web Streams), with back-pressure both ways:
 * the socket is paused while the readable's queue is full, and a write resolves once node has
 * handed the bytes to the kernel.
 */
import type { Socket } from 'node:net';
import type { Transport } from '../streams/types.ts';

/** Bytes queued in the readable before the socket is paused. */
const READ_HIGH_WATER_MARK = 64 * 1024;

/**
 * Wraps a connected socket. The transport owns it: cancelling the readable or aborting the
 * writable destroys it; closing the writable ends our direction (TCP FIN).
 */
export function socketTransport(socket: Socket): Transport {
  let readDone = false;
  let writeDone = false;
  socket.pause();

  const readable = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        socket.on('data', (chunk: Buffer) => {
          if (readDone) return;
          // A plain Uint8Array view: the core never sees a Buffer.
          controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
          if ((controller.desiredSize ?? 0) <= 0) socket.pause();
        });
        socket.on('end', () => {
          if (readDone) return;
          readDone = true;
          controller.close();
        });
        socket.on('error', (error) => {
          if (!readDone) {
            readDone = true;
            controller.error(error);
          }
        });
        socket.on('close', () => {
          if (!readDone) {
            readDone = true;
            controller.error(new Error('socket closed'));
          }
        });
      },
      pull() {
        socket.resume();
      },
      cancel() {
        readDone = true;
        socket.destroy();
      },
    },
    new ByteLengthQueuingStrategy({ highWaterMark: READ_HIGH_WATER_MARK }),
  );

  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      return new Promise<void>((resolve, reject) => {
        if (writeDone || socket.destroyed) {
          reject(new Error('socket is closed'));
          return;
        }
        socket.write(chunk, (error) => (error ? reject(error) : resolve()));
      });
    },
    close() {
      writeDone = true;
      return new Promise<void>((resolve) => {
        if (socket.destroyed || socket.writableFinished) {
          resolve();
          return;
        }
        socket.end(() => resolve());
        // 'close' also settles it if the socket dies before the FIN is flushed.
        socket.once('close', () => resolve());
      });
    },
    abort() {
      writeDone = true;
      socket.destroy();
    },
  });

  return { readable, writable };
}
