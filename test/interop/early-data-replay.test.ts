import { connect as netConnect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.ts';
import { defaultProvider } from '../../src/crypto/index.ts';
import { type Listener, listen } from '../../src/node/listen.ts';
import { tcpTransport } from '../../src/node/tcp.ts';
import { MemoryAntiReplayStore } from '../../src/sessions/anti-replay.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { RedisAntiReplayStore } from '../../src/sessions/redis-anti-replay.ts';
import { AeadTicketer, derivedTicketKeys } from '../../src/sessions/ticketer.ts';
import { accept, connect, type TlsStream, type Transport } from '../../src/streams/index.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { type RedisConnection, type RedisServer, startRedis } from './peers/redis.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert } from './peers/webtls.ts';

/**
 * RFC 8446 §8: a 0-RTT ClientHello captured off the wire and sent again must not get its early
 * data accepted twice. A webtls client resumes with early data over TCP; its first flight
 * (ClientHello, CCS, early data) is copied as it leaves, then replayed byte for byte on a new
 * connection. The replay still resumes the PSK (its binder is genuine), but its early data is
 * rejected and never reaches the application. With Redis the replay goes to a second server of
 * the same "fleet" (shared ticket keys, shared anti-replay store).
 */

const provider = defaultProvider();
const encoder = new TextEncoder();
const REQUEST = 'GET /transfer?amount=100 HTTP/1.1\r\n\r\n';
const hasRedis = requirePeer('redis-server');

/** A webtls server that keeps every accepted stream, so a test can look at unfinished ones. */
async function startServer(config: ServerConfig) {
  const streams: TlsStream[] = [];
  const early: string[] = [];
  const listener: Listener = await listen(0, '127.0.0.1', (transport) => {
    const tls = accept(transport, config);
    streams.push(tls);
    void (async () => {
      // The 0-RTT bytes come first in `readable`; record what the application would see.
      const reader = tls.readable.getReader();
      let got = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          got += new TextDecoder().decode(value);
          early[streams.indexOf(tls)] = got.slice(0, tls.info.earlyDataBytes);
        }
      } catch {
        // The replayed connection never completes; its stream errors when it is dropped.
      }
    })();
  });
  return {
    port: listener.port,
    streams,
    early,
    async close() {
      // Streams first: the listener's close waits for every connection to end.
      await Promise.all(streams.map((s) => s.close()));
      await listener.close();
    },
  };
}

/** A transport that remembers the first chunk the client writes (its whole first flight). */
function capturing(inner: Transport, sink: Uint8Array[]): Transport {
  const writer = inner.writable.getWriter();
  return {
    readable: inner.readable,
    writable: new WritableStream<Uint8Array>({
      write(chunk) {
        if (sink.length === 0) sink.push(chunk.slice());
        return writer.write(chunk);
      },
      close: () => writer.close(),
      abort: (reason) => writer.abort(reason),
    }),
  };
}

/** Connects with `earlyData`, writes nothing else, and returns the info and the first flight. */
async function connectWithEarlyData(port: number, store: MemorySessionStore) {
  const flight: Uint8Array[] = [];
  const tls = connect(capturing(await tcpTransport('127.0.0.1', port), flight), {
    serverName: 'localhost',
    roots: [pem(ROOT)],
    sessionStore: store,
    earlyData: encoder.encode(REQUEST),
  });
  const info = await tls.opened;
  // Tickets arrive after the handshake: give them a moment before closing.
  await waitFor(() => store.count('localhost') > 0, 'tickets');
  await tls.close();
  return { info, flight: flight[0] };
}

/** Sends `bytes` on a raw TCP connection and keeps it open until `until` holds (bounded). */
async function replay(port: number, bytes: Uint8Array, until: () => boolean): Promise<void> {
  const socket = netConnect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(bytes);
  try {
    await waitFor(until, 'the replay to be processed');
  } finally {
    socket.destroy();
  }
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A session to resume: one full handshake against `port`. */
async function primedStore(port: number): Promise<MemorySessionStore> {
  const store = new MemorySessionStore();
  const tls = connect(await tcpTransport('127.0.0.1', port), {
    serverName: 'localhost',
    roots: [pem(ROOT)],
    sessionStore: store,
  });
  await tls.opened;
  await waitFor(() => store.count('localhost') > 0, 'tickets');
  await tls.close();
  return store;
}

describe('a replayed 0-RTT ClientHello, memory anti-replay store', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer({
      certificates: [await loadCert(certFiles('p256'), provider)],
      ticketer: new AeadTicketer({ provider }),
      maxEarlyData: 4096,
      antiReplay: new MemoryAntiReplayStore(),
    });
  });
  afterAll(() => server.close());

  it('accepts the original early data once and rejects the copy', async () => {
    const store = await primedStore(server.port);
    const original = await connectWithEarlyData(server.port, store);
    expect(original.info.resumed).toBe(true);
    expect(original.info.earlyData).toBe('accepted');
    const first = server.streams.length - 1;
    await waitFor(() => server.early[first] === REQUEST, 'the early data');

    await replay(server.port, original.flight, () => server.streams.length > first + 1);
    const copy = server.streams[first + 1];
    await waitFor(() => copy.info.earlyData !== 'not sent', 'the early-data decision');
    expect(copy.info.resumed).toBe(true);
    expect(copy.info.earlyData).toBe('rejected');
    expect(copy.info.earlyDataBytes).toBe(0);
    expect(server.early[first + 1]).toBeUndefined();
  });
});

describe.skipIf(!hasRedis)('a replayed 0-RTT ClientHello, Redis anti-replay store', () => {
  let redis: RedisServer;
  const connections: RedisConnection[] = [];
  let a: Awaited<ReturnType<typeof startServer>>;
  let b: Awaited<ReturnType<typeof startServer>>;

  beforeAll(async () => {
    redis = await startRedis();
    // Two servers of one fleet: the same ticket keys, one Redis, a connection each.
    const secret = provider.random(32);
    const fleetMember = async () => {
      const connection = await redis.connect();
      connections.push(connection);
      return startServer({
        certificates: [await loadCert(certFiles('p256'), provider)],
        ticketer: new AeadTicketer({ keys: derivedTicketKeys(provider, secret) }),
        maxEarlyData: 4096,
        antiReplay: new RedisAntiReplayStore(connection.command),
      });
    };
    a = await fleetMember();
    b = await fleetMember();
  }, 30_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    for (const c of connections) c.close();
    await redis?.stop();
  });

  it('a copy sent to another server of the fleet has its early data rejected', async () => {
    const store = await primedStore(a.port);
    const original = await connectWithEarlyData(a.port, store);
    expect(original.info.earlyData).toBe('accepted');
    await waitFor(() => a.early[a.streams.length - 1] === REQUEST, 'the early data');

    await replay(b.port, original.flight, () => b.streams.length > 0);
    const copy = b.streams[0];
    await waitFor(() => copy.info.earlyData !== 'not sent', 'the early-data decision');
    expect(copy.info.resumed).toBe(true);
    expect(copy.info.earlyData).toBe('rejected');
    expect(b.early[0]).toBeUndefined();
    // The claim is in Redis, under the store's prefix.
    const keys = (await redis.command(['KEYS', 'webtls:0rtt:*'])) as string[];
    expect(keys).toHaveLength(1);
  });

  it('a fresh ticket of the same fleet still gets its early data accepted by either server', async () => {
    const store = await primedStore(a.port);
    const viaB = await connectWithEarlyData(b.port, store);
    expect(viaB.info.resumed).toBe(true);
    expect(viaB.info.earlyData).toBe('accepted');
  });
});
