/**
 * workersSocketTransport and connectTls over a stand-in for a `cloudflare:sockets` socket (the
 * real one is exercised in workerd by test/workers/fetch-worker.test.ts): reads and writes wait
 * for `opened`, a socket that fails or never opens becomes a TRANSPORT TlsError, and the socket
 * is closed once, when both directions are done or on cancel or abort.
 */
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import {
  connectTls,
  type SocketAddressLike,
  type SocketOptionsLike,
  type WorkersSocketLike,
  workersSocketTransport,
} from '../../src/workers/socket.ts';

/** A socket whose readable yields `chunks` then ends, recording writes and closes. */
function fakeSocket(chunks: Uint8Array[], opened: Promise<unknown> = Promise.resolve({})) {
  const written: number[] = [];
  const calls = { close: 0, writableClosed: 0 };
  let closedResolve!: () => void;
  const closed = new Promise<void>((resolve) => {
    closedResolve = resolve;
  });
  let i = 0;
  const socket: WorkersSocketLike = {
    readable: new ReadableStream<Uint8Array>({
      pull(controller) {
        if (i < chunks.length) controller.enqueue(chunks[i++]);
        else controller.close();
      },
    }),
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        written.push(...chunk);
      },
      close() {
        calls.writableClosed++;
      },
    }),
    opened,
    closed,
    async close() {
      calls.close++;
      closedResolve();
    },
  };
  return { socket, written, calls };
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  const reader = readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return out;
    out.push(...value);
  }
}

async function rejection(promise: Promise<unknown>): Promise<TlsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TlsError);
  return error as TlsError;
}

describe('workersSocketTransport', () => {
  it('passes bytes both ways and closes the socket once both directions are done', async () => {
    const { socket, written, calls } = fakeSocket([new Uint8Array([1, 2]), new Uint8Array([3])]);
    const transport = workersSocketTransport(socket);
    const writer = transport.writable.getWriter();
    await writer.write(new Uint8Array([9, 8]));
    expect(await readAll(transport.readable)).toEqual([1, 2, 3]);
    expect(calls.close).toBe(0);
    await writer.close();
    expect(written).toEqual([9, 8]);
    expect(calls.writableClosed).toBe(1);
    expect(calls.close).toBe(1);
  });

  it('holds writes until the socket opened', async () => {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    const { socket, written } = fakeSocket([], opened);
    const writer = workersSocketTransport(socket).writable.getWriter();
    const write = writer.write(new Uint8Array([7]));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(written).toEqual([]);
    open();
    await write;
    expect(written).toEqual([7]);
  });

  it('fails reads and writes with TRANSPORT when the socket does not open', async () => {
    const { socket, calls } = fakeSocket([], Promise.reject(new Error('connection refused')));
    const transport = workersSocketTransport(socket, { label: 'db.test:5432' });
    const error = await rejection(transport.readable.getReader().read());
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toBe('tls: db.test:5432 failed to open: connection refused');
    const writeError = await rejection(transport.writable.getWriter().write(new Uint8Array(1)));
    expect(writeError.code).toBe('TRANSPORT');
    expect(calls.close).toBe(1);
  });

  it('gives up on a socket that never opens after connectTimeoutMs', async () => {
    const { socket, calls } = fakeSocket([], new Promise(() => undefined));
    const transport = workersSocketTransport(socket, { connectTimeoutMs: 30 });
    const error = await rejection(transport.readable.getReader().read());
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toBe('tls: socket did not open in 30 ms');
    expect(calls.close).toBe(1);
  });

  it('closes the socket when the readable is cancelled or the writable aborted', async () => {
    const a = fakeSocket([new Uint8Array([1])]);
    await workersSocketTransport(a.socket).readable.cancel();
    expect(a.calls.close).toBe(1);
    const b = fakeSocket([]);
    await workersSocketTransport(b.socket).writable.abort(new Error('stop'));
    expect(b.calls.close).toBe(1);
  });
});

describe('connectTls', () => {
  it('asks for a plain TCP socket that stays writable after the peer FIN', async () => {
    const seen: [SocketAddressLike | string, SocketOptionsLike | undefined][] = [];
    const { socket } = fakeSocket([], Promise.reject(new Error('refused')));
    const tls = connectTls(
      (address, options) => {
        seen.push([address, options]);
        return socket;
      },
      { hostname: '127.0.0.1', port: 8443 },
      { serverName: 'localhost', sessionStore: null },
    );
    expect(seen).toEqual([
      [
        { hostname: '127.0.0.1', port: 8443 },
        { secureTransport: 'off', allowHalfOpen: true },
      ],
    ]);
    const error = await rejection(tls.opened);
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toContain('tls: 127.0.0.1:8443 failed to open: refused');
    await tls.close();
  });

  it('turns a connect() that throws into a TRANSPORT TlsError', () => {
    const connectFn = () => {
      throw new TypeError('bad port');
    };
    expect(() =>
      connectTls(connectFn, { hostname: 'x.test', port: 0 }, { serverName: 'x.test' }),
    ).toThrow(/^tls: cannot connect to x\.test:0: bad port$/);
  });
});
