/**
 * denoTcpTransport over a stand-in for the `Deno` namespace (the real `Deno.connect` is exercised
 * by test/runtimes/deno-example.test.ts): a refused or slow connect becomes a TRANSPORT TlsError,
 * a connection that arrives after the timeout is closed, and a connection is closed once, when
 * both directions are done or on cancel or abort.
 */
import { describe, expect, it } from 'vitest';
import { type DenoConnLike, type DenoNetLike, denoTcpTransport } from '../../src/deno/tcp.ts';
import { TlsError } from '../../src/error.ts';

/** A connection whose readable yields `chunks` then ends, recording writes and closes. */
function fakeConn(chunks: Uint8Array[]) {
  const written: number[] = [];
  const calls = { close: 0 };
  let i = 0;
  const conn: DenoConnLike = {
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
    }),
    close() {
      calls.close++;
      // Deno throws when a connection is closed twice.
      if (calls.close > 1) throw new Error('BadResource: Bad resource ID');
    },
  };
  return { conn, written, calls };
}

async function rejection(promise: Promise<unknown>): Promise<TlsError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(TlsError);
  return error as TlsError;
}

describe('denoTcpTransport', () => {
  it('dials hostname:port over TCP and passes bytes both ways', async () => {
    const { conn, written, calls } = fakeConn([new Uint8Array([5, 6])]);
    const dialled: unknown[] = [];
    const deno: DenoNetLike = {
      async connect(options) {
        dialled.push(options);
        return conn;
      },
    };
    const transport = await denoTcpTransport('127.0.0.1', 4433, { deno });
    expect(dialled).toEqual([{ hostname: '127.0.0.1', port: 4433, transport: 'tcp' }]);
    const writer = transport.writable.getWriter();
    await writer.write(new Uint8Array([1]));
    const reader = transport.readable.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([5, 6]));
    expect((await reader.read()).done).toBe(true);
    expect(calls.close).toBe(0);
    await writer.close();
    expect(written).toEqual([1]);
    expect(calls.close).toBe(1);
  });

  it('turns a refused connect into TRANSPORT with the cause', async () => {
    const refused = new Error('Connection refused (os error 111)');
    const deno: DenoNetLike = { connect: () => Promise.reject(refused) };
    const error = await rejection(denoTcpTransport('127.0.0.1', 1, { deno }));
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toBe(
      'tls: connect to 127.0.0.1:1 failed: Connection refused (os error 111)',
    );
    expect(error.cause).toBe(refused);
  });

  it('times out, and closes a connection that arrives afterwards', async () => {
    const { conn, calls } = fakeConn([]);
    let arrive!: (c: DenoConnLike) => void;
    const deno: DenoNetLike = {
      connect: () =>
        new Promise<DenoConnLike>((resolve) => {
          arrive = resolve;
        }),
    };
    const error = await rejection(denoTcpTransport('127.0.0.1', 2, { deno, timeoutMs: 30 }));
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toBe('tls: connect to 127.0.0.1:2 timed out after 30 ms');
    arrive(conn);
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(calls.close).toBe(1);
  });

  it('closes the connection once on cancel and abort, without throwing', async () => {
    const { conn, calls } = fakeConn([new Uint8Array([1])]);
    const transport = await denoTcpTransport('h.test', 3, { deno: { connect: async () => conn } });
    await transport.readable.cancel();
    await transport.writable.abort(new Error('stop'));
    expect(calls.close).toBe(1);
  });

  it.skipIf('Deno' in globalThis)('fails with TRANSPORT where there is no Deno', async () => {
    const error = await rejection(denoTcpTransport('127.0.0.1', 4));
    expect(error.code).toBe('TRANSPORT');
    expect(error.message).toMatch(/no Deno\.connect/);
  });
});
