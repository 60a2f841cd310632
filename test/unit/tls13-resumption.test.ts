import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection, type ClientOptions } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';
import { MemoryAntiReplayStore } from '../../src/sessions/anti-replay.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import type { StoredSession } from '../../src/sessions/stored-session.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { fromUtf8, utf8 } from '../../src/util/bytes.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';

/**
 * TLS 1.3 resumption and 0-RTT between webtls client and server in memory: tickets stored and
 * used once, the PSK handshake without certificates, early data accepted once per ticket,
 * rejected and skipped otherwise. Agreement with other implementations is proven in
 * test/interop/.
 */

const provider = subtleProvider();
const NAME = 'localhost';

async function serverConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    ticketer: new AeadTicketer({ provider }),
    alpnProtocols: ['h2'],
    ...extra,
  };
}

function clientConfig(store: MemorySessionStore, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    provider,
    roots: [certs.caPem],
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    alpnProtocols: ['h2'],
    sessionStore: store,
    ...extra,
  };
}

/** A store holding one session. */
async function storeWith(session: StoredSession): Promise<MemorySessionStore> {
  const store = new MemorySessionStore();
  await store.put(NAME, session);
  return store;
}

/** One connection: handshake, the server's tickets, a message each way. */
async function connectOnce(
  client: ClientConfig,
  server: ServerConfig,
  options: Omit<ClientOptions, 'serverName'> = {},
) {
  const c = new ClientConnection(client, { serverName: NAME, ...options });
  const s = new ServerConnection(server);
  await pump(c, s);
  expect(c.handshakeComplete).toBe(true);
  expect(s.handshakeComplete).toBe(true);
  // The server reads the 0-RTT data first (earlyDataBytes of it), then everything after.
  const before = s.read() ?? new Uint8Array(0);
  await c.write(utf8('ping'));
  await pump(c, s);
  const after = fromUtf8(s.read()!);
  await s.write(utf8('pong'));
  await pump(c, s);
  expect(fromUtf8(c.read()!)).toBe('pong');
  const split = s.info.earlyDataBytes;
  const early = fromUtf8(before.subarray(0, split));
  return { c, s, early, got: fromUtf8(before.subarray(split)) + after };
}

describe('TLS 1.3 resumption', () => {
  it('stores the tickets the server sends and resumes with one, once', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig();
    const client = clientConfig(store);
    const first = await connectOnce(client, server);
    expect(first.c.info.resumed).toBe(false);
    expect(store.count(NAME)).toBe(2);

    const second = await connectOnce(client, server);
    expect(second.c.info.resumed).toBe(true);
    expect(second.s.info.resumed).toBe(true);
    expect(second.c.info.peerCertificates).toEqual(first.c.info.peerCertificates);
    expect(second.c.info.verification).toBe('OK');
    // One ticket used; two new ones from the resumed connection.
    expect(store.count(NAME)).toBe(3);
  });

  it('a session cache issues stateful tickets that resume once', async () => {
    const store = new MemorySessionStore();
    const cache = new MemorySessionCache();
    const server = await serverConfig({ ticketer: undefined, sessionCache: cache });
    const client = clientConfig(store);
    await connectOnce(client, server);
    expect(cache.size).toBe(2);
    const session = (await store.take(NAME))!;
    const second = await connectOnce(clientConfig(await storeWith(session)), server);
    expect(second.c.info.resumed).toBe(true);
    // The same ticket again: the cache forgot it, so this is a full handshake.
    const third = await connectOnce(clientConfig(await storeWith(session)), server);
    expect(third.c.info.resumed).toBe(false);
  });

  it('sessionTickets sets how many tickets are sent; 0 sends none', async () => {
    const store = new MemorySessionStore({ maxPerKey: 8 });
    await connectOnce(clientConfig(store), await serverConfig({ sessionTickets: 5 }));
    expect(store.count(NAME)).toBe(5);
    const none = new MemorySessionStore();
    await connectOnce(clientConfig(none), await serverConfig({ sessionTickets: 0 }));
    expect(none.count(NAME)).toBe(0);
  });

  it('a ticket from another server falls back to a full handshake', async () => {
    const store = new MemorySessionStore();
    const client = clientConfig(store);
    await connectOnce(client, await serverConfig());
    const other = await connectOnce(client, await serverConfig());
    expect(other.c.info.resumed).toBe(false);
    expect(other.c.info.verification).toBe('OK');
  });

  it('resumes after a HelloRetryRequest with a fresh binder', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ groups: [NamedGroup.secp256r1] });
    const client = clientConfig(store, { keyShares: 1 });
    await connectOnce(client, server);
    const second = await connectOnce(client, server);
    expect(second.c.info.helloRetry).toBe(true);
    expect(second.c.info.resumed).toBe(true);
  });

  it('psk_ke resumes without a key exchange only when both sides allow it', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ allowPskKe: true });
    const client = clientConfig(store, { pskModes: ['psk_ke'] });
    await connectOnce(client, server);
    const second = await connectOnce(client, server);
    expect(second.c.info.resumed).toBe(true);
    expect(second.c.info.group).toBe('none (psk_ke)');
    const strict = await serverConfig({ ticketer: server.ticketer });
    const third = await connectOnce(client, strict);
    expect(third.c.info.resumed).toBe(false);
  });

  it('a server that authenticates clients issues no tickets', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ clientAuth: 'optional', clientRoots: [certs.caPem] });
    await connectOnce(clientConfig(store), server);
    expect(store.count(NAME)).toBe(0);
  });
});

describe('TLS 1.3 0-RTT', () => {
  const request = 'GET / HTTP/1.1\r\n\r\n';

  it('sends early data that the server accepts once per ticket', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ maxEarlyData: 1024 });
    const client = clientConfig(store);
    await connectOnce(client, server);
    const second = await connectOnce(client, server, { earlyData: utf8(request) });
    expect(second.c.info.earlyData).toBe('accepted');
    expect(second.s.info.earlyData).toBe('accepted');
    expect(second.s.info.earlyDataBytes).toBe(request.length);
    expect(second.early).toBe(request);
    expect(second.got).toBe('ping');
  });

  it('without a ticket, early data is not sent; resendEarlyData sends it after', async () => {
    const server = await serverConfig({ maxEarlyData: 1024 });
    const plain = await connectOnce(clientConfig(new MemorySessionStore()), server, {
      earlyData: utf8(request),
    });
    expect(plain.c.info.earlyData).toBe('not sent');
    expect(plain.got).toBe('ping');
    const resent = await connectOnce(clientConfig(new MemorySessionStore()), server, {
      earlyData: utf8(request),
      resendEarlyData: true,
    });
    expect(resent.got).toBe(`${request}ping`);
  });

  it('a server without maxEarlyData rejects and skips it; the handshake completes', async () => {
    const store = new MemorySessionStore();
    const ticketer = new AeadTicketer({ provider });
    const client = clientConfig(store);
    await connectOnce(client, await serverConfig({ ticketer, maxEarlyData: 1024 }));
    const second = await connectOnce(client, await serverConfig({ ticketer }), {
      earlyData: utf8(request),
      resendEarlyData: true,
    });
    expect(second.c.info.resumed).toBe(true);
    expect(second.c.info.earlyData).toBe('rejected');
    expect(second.s.info.earlyData).toBe('rejected');
    expect(second.early).toBe('');
    expect(second.got).toBe(`${request}ping`);
  });

  it('the ticket max_early_data_size bounds what goes early; the rest follows', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ maxEarlyData: 8 });
    const client = clientConfig(store);
    await connectOnce(client, server);
    const second = await connectOnce(client, server, { earlyData: utf8('0123456789abcdef') });
    expect(second.c.info.earlyData).toBe('accepted');
    expect(second.early).toBe('01234567');
    expect(second.got).toBe('89abcdefping');
  });

  it('early data is not held to a record_size_limit the client learns only later', async () => {
    // RFC 8449 §4: records are subject to the limits of the handshake that made their keys; the
    // client sends 0-RTT data before the server's EncryptedExtensions, so in one large record.
    const store = new MemorySessionStore();
    const server = await serverConfig({ maxEarlyData: 1024, recordSizeLimit: 100 });
    const client = clientConfig(store);
    await connectOnce(client, server);
    const early = 'x'.repeat(600);
    const second = await connectOnce(client, server, { earlyData: utf8(early) });
    expect(second.s.info.recordSizeLimit).toEqual({ sent: 16385, received: 100 });
    expect(second.c.info.earlyData).toBe('accepted');
    expect(second.early).toBe(early);
    expect(second.got).toBe('ping');
  });

  it('a replayed ClientHello gets its early data rejected', async () => {
    const store = new MemorySessionStore();
    const antiReplay = new MemoryAntiReplayStore();
    const server = await serverConfig({ maxEarlyData: 1024, antiReplay });
    const client = clientConfig(store);
    await connectOnce(client, server);

    const c = new ClientConnection(client, { serverName: NAME, earlyData: utf8(request) });
    await c.process();
    const firstFlight = c.takeTls()!;
    const s1 = new ServerConnection(server);
    s1.readTls(firstFlight);
    await s1.process();
    expect(s1.info.earlyData).toBe('accepted');
    expect(fromUtf8(s1.read()!)).toBe(request);

    const s2 = new ServerConnection(server);
    s2.readTls(firstFlight);
    await s2.process();
    expect(s2.info.resumed).toBe(true);
    expect(s2.info.earlyData).toBe('rejected');
    expect(s2.read()).toBeNull();
    expect(antiReplay.size).toBe(1);
  });

  it('early data outside the ticket-age window is rejected', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ maxEarlyData: 1024, earlyDataWindowMs: 1000 });
    const client = clientConfig(store);
    await connectOnce(client, server);
    // The client claims the ticket is 5 s older than the server knows it to be.
    const session = (await store.take(NAME))!;
    await store.put(NAME, { ...session, receivedAt: session.receivedAt - 5000 });
    const second = await connectOnce(client, server, { earlyData: utf8(request) });
    expect(second.c.info.resumed).toBe(true);
    expect(second.s.info.earlyData).toBe('rejected');
  });

  it('more early data than max_early_data_size ends the connection', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ maxEarlyData: 8 });
    const client = clientConfig(store);
    await connectOnce(client, server);
    // The client believes it may send more than the ticket allows.
    const session = (await store.take(NAME))!;
    await store.put(NAME, { ...session, maxEarlyData: 64 });
    const c = new ClientConnection(client, { serverName: NAME, earlyData: new Uint8Array(64) });
    const s = new ServerConnection(server);
    await expect(pump(c, s)).rejects.toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
  });
});
