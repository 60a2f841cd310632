/**
 * The stream adapter (src/streams) over a toy engine: how it moves bytes, applies
 * back-pressure, closes and fails. TLS itself is proven by the interop tests against real peers.
 */
import { describe, expect, it } from 'vitest';
import { TlsError } from '../../src/error.ts';
import { openTlsStream } from '../../src/streams/tls-stream.ts';
import type { StreamOptions, TlsStream, Transport } from '../../src/streams/types.ts';
import { concat, fromUtf8, utf8 } from '../../src/util/bytes.ts';
import { FakeEngine, parseToy, Toy, toyRecord } from './fake-engine.ts';

/** Two transports joined back to back, each direction a TransformStream (so back-pressure). */
function pipePair(): [Transport, Transport] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

const TIMEOUT = Symbol('timeout');

/** `promise`'s value, or TIMEOUT after `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof TIMEOUT> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<typeof TIMEOUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMEOUT), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The raw side of a toy connection, driven by hand. */
class RawPeer {
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  #pending: { type: number; body: Uint8Array }[] = [];

  constructor(transport: Transport) {
    this.reader = transport.readable.getReader();
    this.writer = transport.writable.getWriter();
    this.writer.closed.catch(() => undefined);
  }

  /** The next toy record from the adapter, or 'eof'. Fails the test after 2 s. */
  async next(): Promise<{ type: number; body: Uint8Array } | 'eof'> {
    while (this.#pending.length === 0) {
      const result = await within(this.reader.read(), 2000);
      if (result === TIMEOUT) throw new Error('no record from the adapter within 2 s');
      if (result.done) return 'eof';
      this.#pending.push(...parseToy(result.value));
    }
    return this.#pending.shift()!;
  }

  send(type: number, body?: Uint8Array): Promise<void> {
    return this.writer.write(toyRecord(type, body));
  }
}

/** A client adapter over a toy engine, with its raw peer already past the hello exchange. */
async function clientWithRawPeer(
  options: StreamOptions = {},
  plaintextCap?: number,
): Promise<{ tls: TlsStream; engine: FakeEngine; raw: RawPeer }> {
  const [mine, theirs] = pipePair();
  const engine = new FakeEngine(true, plaintextCap);
  const tls = openTlsStream(engine, mine, options);
  const raw = new RawPeer(theirs);
  expect(await raw.next()).toMatchObject({ type: Toy.hello });
  await raw.send(Toy.hello);
  await tls.opened;
  return { tls, engine, raw };
}

async function readAll(readable: ReadableStream<Uint8Array>): Promise<string> {
  let text = '';
  const reader = readable.getReader();
  for (;;) {
    const result = await reader.read();
    if (result.done) return text;
    text += fromUtf8(result.value);
  }
}

/** Settles `promise` and returns its rejection (or fails the test if it fulfils). */
async function rejection(promise: Promise<unknown>): Promise<TlsError> {
  const outcome = await within(
    promise.then(
      () => new Error('expected a rejection'),
      (error: unknown) => error,
    ),
    3000,
  );
  if (outcome === TIMEOUT) throw new Error('promise did not settle within 3 s');
  if (!(outcome instanceof TlsError)) throw outcome;
  return outcome;
}

describe('stream adapter over a toy engine', () => {
  it('runs the handshake, moves data both ways and closes cleanly', async () => {
    const [a, b] = pipePair();
    const client = openTlsStream(new FakeEngine(true), a);
    const server = openTlsStream(new FakeEngine(false), b);
    expect((await client.opened).protocol).toBe('toy');
    await server.opened;

    const cw = client.writable.getWriter();
    await cw.write(utf8('ping'));
    const sr = server.readable.getReader();
    expect(fromUtf8((await sr.read()).value!)).toBe('ping');

    const sw = server.writable.getWriter();
    await sw.write(utf8('pong'));
    await sw.close();
    expect(await readAll(client.readable)).toBe('pong');

    await cw.close();
    expect((await sr.read()).done).toBe(true);
    await expect(within(client.closed, 2000)).resolves.toBeUndefined();
    await expect(within(server.closed, 2000)).resolves.toBeUndefined();
  });

  it('sends close_notify when the writable closes and ends once the peer answers', async () => {
    const { tls, raw } = await clientWithRawPeer();
    const closing = tls.writable.close();
    expect(await raw.next()).toMatchObject({ type: Toy.close });
    await closing;
    expect(await within(tls.closed, 100)).toBe(TIMEOUT);
    await raw.send(Toy.close);
    expect(await within(tls.closed, 2000)).toBeUndefined();
    expect(await raw.next()).toBe('eof');
    expect(await readAll(tls.readable)).toBe('');
  });

  it('delivers data that arrived before a truncation, then errors with TRUNCATED', async () => {
    const { tls, raw } = await clientWithRawPeer();
    await raw.send(Toy.data, utf8('partial page'));
    await raw.writer.close();
    const reader = tls.readable.getReader();
    expect(fromUtf8((await reader.read()).value!)).toBe('partial page');
    expect((await rejection(reader.read())).code).toBe('TRUNCATED');
    expect((await rejection(tls.closed)).code).toBe('TRUNCATED');
    expect((await rejection(tls.writable.getWriter().write(utf8('x')))).code).toBe('TRUNCATED');
  });

  it('rejects opened with TRUNCATED when the transport ends during the handshake', async () => {
    const [mine, theirs] = pipePair();
    const tls = openTlsStream(new FakeEngine(true), mine);
    const raw = new RawPeer(theirs);
    expect(await raw.next()).toMatchObject({ type: Toy.hello });
    await raw.writer.close();
    expect((await rejection(tls.opened)).code).toBe('TRUNCATED');
    expect((await rejection(tls.closed)).code).toBe('TRUNCATED');
    expect(await raw.next()).toBe('eof');
  });

  it('flushes the engine alert before closing the transport, and errors both streams', async () => {
    const { tls, raw } = await clientWithRawPeer();
    await raw.send(99);
    expect(await raw.next()).toEqual({ type: Toy.alert, body: new Uint8Array([50]) });
    expect(await raw.next()).toBe('eof');
    const error = await rejection(tls.closed);
    expect(error.code).toBe('DECODE_ERROR');
    expect(await rejection(tls.readable.getReader().read())).toBe(error);
    expect(await rejection(tls.writable.getWriter().write(utf8('x')))).toBe(error);
  });

  it("reports the peer's alert as PEER_ALERT everywhere", async () => {
    const { tls, raw } = await clientWithRawPeer();
    await raw.send(Toy.alert, new Uint8Array([40]));
    const error = await rejection(tls.closed);
    expect(error.code).toBe('PEER_ALERT');
    expect(error.peerAlert).toBe(40);
    expect(await raw.next()).toBe('eof');
  });

  it('stops reading the transport while the readable queue is full', async () => {
    const { tls, raw } = await clientWithRawPeer({ readableHighWaterMark: 2000 });
    const body = new Uint8Array(1000).fill(0x61);
    let accepted = 0;
    const writing = (async () => {
      for (let i = 0; i < 50; i++) {
        await raw.send(Toy.data, body);
        accepted++;
      }
    })();
    writing.catch(() => undefined);
    // Nobody reads: the adapter must stop after about the high-water mark.
    await within(writing, 300);
    expect(accepted).toBeLessThan(8);

    // Reading lets everything through.
    const reader = tls.readable.getReader();
    let received = 0;
    while (received < 50_000) {
      const result = await within(reader.read(), 2000);
      if (result === TIMEOUT || result.done) throw new Error('data stopped flowing');
      received += result.value.length;
    }
    await writing;
    expect(accepted).toBe(50);
  });

  it('lets the engine finish records it held back at its plaintext cap', async () => {
    const { tls, raw } = await clientWithRawPeer({}, 1);
    const burst = ['a', 'b', 'c', 'd', 'e'].map((letter) => toyRecord(Toy.data, utf8(letter)));
    // One transport chunk, then silence: nothing else will prompt the adapter.
    await raw.writer.write(concat(...burst));
    const reader = tls.readable.getReader();
    let text = '';
    while (text.length < 5) {
      const result = await within(reader.read(), 2000);
      if (result === TIMEOUT || result.done) throw new Error(`stalled after '${text}'`);
      text += fromUtf8(result.value);
    }
    expect(text).toBe('abcde');
  });

  it('stops reading while its own replies pile up in front of a peer that never reads', async () => {
    const { raw } = await clientWithRawPeer({ maxPendingControlBytes: 40 });
    let accepted = 0;
    const writing = (async () => {
      for (let i = 0; i < 200; i++) {
        await raw.send(Toy.keyUpdate, new Uint8Array([1]));
        accepted++;
      }
    })();
    writing.catch(() => undefined);
    await within(writing, 300);
    expect(accepted).toBeLessThan(30);

    let answers = 0;
    while (answers < 200) {
      const record = await raw.next();
      if (record === 'eof') throw new Error('unexpected EOF');
      expect(record).toEqual({ type: Toy.keyUpdate, body: new Uint8Array([0]) });
      answers++;
    }
    await writing;
  });

  it('sends KeyUpdate on request and keeps data flowing', async () => {
    const { tls, raw } = await clientWithRawPeer();
    // The pipe between them only moves a write once the other end reads it.
    const updating = tls.keyUpdate(true);
    expect(await raw.next()).toEqual({ type: Toy.keyUpdate, body: new Uint8Array([1]) });
    await updating;
    const writing = tls.writable.getWriter().write(utf8('after'));
    expect(await raw.next()).toMatchObject({ type: Toy.data, body: utf8('after') });
    await writing;
  });

  it('a call the engine refuses (no failure) is reported without ending the connection', async () => {
    const { tls, engine, raw } = await clientWithRawPeer();
    engine.refuseKeyUpdate = true;
    await expect(tls.keyUpdate()).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
    const writing = tls.writable.getWriter().write(utf8('still here'));
    expect(await raw.next()).toMatchObject({ type: Toy.data, body: utf8('still here') });
    await writing;
    expect(await within(tls.closed, 50)).toBe(TIMEOUT);
  });

  it('never runs two engine calls at once', async () => {
    const { tls, engine, raw } = await clientWithRawPeer();
    const writer = tls.writable.getWriter();
    const writes = Array.from({ length: 20 }, (_, i) => writer.write(utf8(`w${i};`)));
    const incoming = Array.from({ length: 20 }, () => raw.send(Toy.data, utf8('in')));
    const expected = Array.from({ length: 20 }, (_, i) => `w${i};`).join('');
    let text = '';
    while (text.length < expected.length) {
      const record = await raw.next();
      if (record === 'eof') break;
      text += fromUtf8(record.body);
    }
    await Promise.all([...writes, ...incoming]);
    expect(text).toBe(expected);
    expect(engine.maxActive).toBe(1);
  });

  it('coalesces the small writes queued while a batch is sealed into fewer records, in order', async () => {
    const { tls, raw } = await clientWithRawPeer();
    const writer = tls.writable.getWriter();
    const writes = Array.from({ length: 50 }, (_, i) => writer.write(utf8(`w${i};`)));
    const expected = Array.from({ length: 50 }, (_, i) => `w${i};`).join('');
    let text = '';
    let records = 0;
    while (text.length < expected.length) {
      const record = await raw.next();
      if (record === 'eof') break;
      records++;
      text += fromUtf8(record.body);
    }
    await Promise.all(writes);
    expect(text).toBe(expected);
    expect(records).toBeLessThan(50);
  });

  it('sends data written before close() ahead of close_notify', async () => {
    const { tls, raw } = await clientWithRawPeer();
    const writer = tls.writable.getWriter();
    // The writes resolve once queued, before the engine has them: close() comes right after.
    await Promise.all(Array.from({ length: 5 }, (_, i) => writer.write(utf8(`d${i}`))));
    const closing = tls.close();
    let text = '';
    for (;;) {
      const record = await raw.next();
      if (record === 'eof') throw new Error('no close_notify');
      if (record.type === Toy.close) break;
      text += fromUtf8(record.body);
    }
    expect(text).toBe('d0d1d2d3d4');
    await raw.send(Toy.close);
    await closing;
  });

  it('close() before the handshake rejects opened with CLOSED and releases the transport', async () => {
    const [mine, theirs] = pipePair();
    const tls = openTlsStream(new FakeEngine(true), mine);
    const raw = new RawPeer(theirs);
    expect(await raw.next()).toMatchObject({ type: Toy.hello });
    await tls.close();
    expect((await rejection(tls.opened)).code).toBe('CLOSED');
    expect(await raw.next()).toBe('eof');
  });

  it('close() after the handshake sends close_notify and ends both streams', async () => {
    const { tls, raw } = await clientWithRawPeer();
    await raw.send(Toy.data, utf8('queued'));
    const closing = tls.close();
    expect(await raw.next()).toMatchObject({ type: Toy.close });
    expect(await raw.next()).toBe('eof');
    await expect(within(closing, 2000)).resolves.toBeUndefined();
    expect(await readAll(tls.readable)).toBe('queued');
    expect((await rejection(tls.writable.getWriter().write(utf8('x')))).code).toBe('CLOSED');
  });

  it('refuses chunks that are not Uint8Array', async () => {
    const { tls } = await clientWithRawPeer();
    const writer = tls.writable.getWriter();
    await expect(writer.write('text' as unknown as Uint8Array)).rejects.toThrow(TypeError);
  });
});
