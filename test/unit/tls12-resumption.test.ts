import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { decodeClientHello, encodeClientHello } from '../../src/msgs/client-hello.ts';
import { CipherSuite, ExtensionType, HandshakeType, NamedGroup } from '../../src/msgs/enums.ts';
import { findExtension } from '../../src/msgs/extensions/extension.ts';
import { encodeHandshake } from '../../src/msgs/handshake.ts';
import { encodeNewSessionTicket12 } from '../../src/msgs/new-session-ticket12.ts';
import { decodeServerHello, encodeServerHello } from '../../src/msgs/server-hello.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import type { StoredSession } from '../../src/sessions/stored-session.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { equalBytes, fromUtf8, utf8 } from '../../src/util/bytes.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { plainAlert, plainHandshakes, record, splitRecords } from './helpers/wire.ts';

/**
 * TLS 1.2 resumption between webtls client and server in memory: RFC 5077 tickets and session
 * IDs, the abbreviated flight, single use of tickets, tampered and expired tickets falling back
 * to a full handshake, and the RFC 7627 §5.3 rules on both sides. Agreement with OpenSSL is
 * proven in test/interop/tls12-resumption.test.ts.
 */

const provider = subtleProvider();
const NAME = 'localhost';

async function serverConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    maxVersion: 'TLSv1.2',
    alpnProtocols: ['http/1.1'],
    ...extra,
  };
}

function clientConfig(store: MemorySessionStore, extra: Partial<ClientConfig> = {}): ClientConfig {
  return {
    provider,
    roots: [certs.caPem],
    maxVersion: 'TLSv1.2',
    groups: [NamedGroup.x25519, NamedGroup.secp256r1],
    alpnProtocols: ['http/1.1'],
    sessionStore: store,
    ...extra,
  };
}

/** One connection: handshake, a message each way, close. Returns both ends and the wire. */
async function connectOnce(client: ClientConfig, server: ServerConfig) {
  const c = new ClientConnection(client, { serverName: NAME });
  const s = new ServerConnection(server);
  await c.process();
  const hello = c.takeTls()!;
  s.readTls(hello);
  await s.process();
  const flight = s.takeTls()!;
  c.readTls(flight);
  await pump(c, s);
  expect(c.handshakeComplete).toBe(true);
  expect(s.handshakeComplete).toBe(true);
  await c.write(utf8('ping'));
  await pump(c, s);
  expect(fromUtf8(s.read()!)).toBe('ping');
  await s.write(utf8('pong'));
  await pump(c, s);
  expect(fromUtf8(c.read()!)).toBe('pong');
  const clientHello = decodeClientHello(plainHandshakes(hello)[0].body);
  return { c, s, clientHello, serverFlight: beforeCcs(flight) };
}

/** The handshake messages before the first ChangeCipherSpec (TLS 1.2 encrypts after it). */
function beforeCcs(wire: Uint8Array): { type: number; body: Uint8Array }[] {
  const records = splitRecords(wire);
  const end = records.findIndex((r) => r.type === 20);
  const clear = records.slice(0, end < 0 ? records.length : end);
  return plainHandshakes(new Uint8Array(clear.flatMap((r) => [...record(r.type, r.body)])));
}

describe('TLS 1.2 resumption by RFC 5077 ticket', () => {
  it('a full handshake stores a ticket; the next connection resumes with the abbreviated flight', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });

    const first = await connectOnce(clientConfig(store), server);
    expect(first.c.info.resumed).toBe(false);
    expect(first.s.info.resumed).toBe(false);
    // RFC 5077 §3.2: the client asked with an empty session_ticket.
    const asked = findExtension(first.clientHello.extensions, ExtensionType.session_ticket);
    expect(asked).toEqual(new Uint8Array(0));
    expect(store.count(NAME)).toBe(1);

    const second = await connectOnce(clientConfig(store), server);
    for (const side of [second.c, second.s]) {
      expect(side.info.resumed).toBe(true);
      expect(side.info.protocol).toBe('TLSv1.2');
      expect(side.info.cipherSuite).toBe(first.c.info.cipherSuite);
      expect(side.info.alpn).toBe('http/1.1');
    }
    expect(second.c.info.verification).toBe('OK');
    expect(second.c.info.peerCertificates).toEqual(first.c.info.peerCertificates);
    // RFC 5077 §3.4: the ticket goes in session_ticket, with a fresh 32-byte session ID that
    // the server echoes when it accepts.
    const ticket = findExtension(second.clientHello.extensions, ExtensionType.session_ticket)!;
    expect(ticket.length).toBeGreaterThan(32);
    expect(second.clientHello.legacySessionId.length).toBe(32);
    // The abbreviated flight: ServerHello and NewSessionTicket in the clear, then CCS; no
    // Certificate, no ServerKeyExchange.
    expect(second.serverFlight.map((m) => m.type)).toEqual([
      HandshakeType.server_hello,
      HandshakeType.new_session_ticket,
    ]);
    const sh = decodeServerHello(second.serverFlight[0].body);
    expect(equalBytes(sh.legacySessionId, second.clientHello.legacySessionId)).toBe(true);
    // The server renewed the ticket, and the old one is gone: one stored session again.
    expect(store.count(NAME)).toBe(1);

    const third = await connectOnce(clientConfig(store), server);
    expect(third.c.info.resumed).toBe(true);
    const thirdTicket = findExtension(third.clientHello.extensions, ExtensionType.session_ticket)!;
    expect(equalBytes(thirdTicket, ticket)).toBe(false);
  });

  it('a ticket is used once: of two connections started together only one resumes', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    await connectOnce(clientConfig(store), server);
    expect(store.count(NAME)).toBe(1);
    const a = new ClientConnection(clientConfig(store), { serverName: NAME });
    const b = new ClientConnection(clientConfig(store), { serverName: NAME });
    await Promise.all([a.process(), b.process()]);
    const tickets = [a, b].map((c) => {
      const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
      return findExtension(hello.extensions, ExtensionType.session_ticket)!.length;
    });
    expect(tickets.filter((n) => n > 0)).toHaveLength(1);
    expect(tickets.filter((n) => n === 0)).toHaveLength(1);
  });

  it('a tampered ticket gets a full handshake (and a new ticket)', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    await connectOnce(clientConfig(store), server);
    const session = (await store.take(NAME))!;
    const ticket = session.ticket!.slice();
    ticket[ticket.length - 5] ^= 0x01;
    await store.put(NAME, { ...session, ticket });

    const next = await connectOnce(clientConfig(store), server);
    expect(next.c.info.resumed).toBe(false);
    expect(next.s.info.resumed).toBe(false);
    expect(next.serverFlight.map((m) => m.type)).toContain(HandshakeType.certificate);
    expect(store.count(NAME)).toBe(1);
  });

  it('an expired ticket gets a full handshake', async () => {
    let now = Date.now();
    const store = new MemorySessionStore();
    const ticketer = new AeadTicketer({ provider, lifetimeSeconds: 60, now: () => now });
    const server = await serverConfig({ ticketer });
    await connectOnce(clientConfig(store), server);
    now += 61_000;
    const next = await connectOnce(clientConfig(store), server);
    expect(next.c.info.resumed).toBe(false);
    expect(next.s.info.resumed).toBe(false);
    // The client did offer it (its own clock still allowed it); the server refused it.
    const offered = findExtension(next.clientHello.extensions, ExtensionType.session_ticket)!;
    expect(offered.length).toBeGreaterThan(0);
  });

  it('a session past the lifetime the server gave is not offered', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    await connectOnce(clientConfig(store), server);
    const session = (await store.take(NAME))!;
    await store.put(NAME, { ...session, receivedAt: Date.now() - (session.lifetime + 1) * 1000 });
    const next = await connectOnce(clientConfig(store), server);
    expect(next.c.info.resumed).toBe(false);
    const offered = findExtension(next.clientHello.extensions, ExtensionType.session_ticket)!;
    expect(offered.length).toBe(0);
  });

  it('a session whose chain the verifier no longer accepts is not offered', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    await connectOnce(clientConfig(store), server);
    // Another config, with another trust anchor, sharing the store.
    const other = clientConfig(store, { roots: [certs.rsaCertPem] });
    const c = new ClientConnection(other, { serverName: NAME });
    await c.process();
    const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
    expect(findExtension(hello.extensions, ExtensionType.session_ticket)!.length).toBe(0);
    expect(store.count(NAME)).toBe(0);
  });

  it('a server without a ticketer issues none; the client stores nothing', async () => {
    const store = new MemorySessionStore();
    const first = await connectOnce(clientConfig(store), await serverConfig());
    const sh = decodeServerHello(first.serverFlight[0].body);
    expect(findExtension(sh.extensions, ExtensionType.session_ticket)).toBeUndefined();
    expect(sh.legacySessionId.length).toBe(0);
    expect(store.count(NAME)).toBe(0);
  });

  it('sessionStore: null offers no session_ticket at all', async () => {
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    const c = new ClientConnection(
      { ...clientConfig(new MemorySessionStore()), sessionStore: null },
      { serverName: NAME },
    );
    await c.process();
    const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
    expect(findExtension(hello.extensions, ExtensionType.session_ticket)).toBeUndefined();
    expect(server.ticketer).toBeDefined();
  });
});

describe('TLS 1.2 resumption by session ID', () => {
  it('the server caches the session; the client offers its ID and resumes', async () => {
    const store = new MemorySessionStore();
    const cache = new MemorySessionCache();
    const server = await serverConfig({ sessionCache: cache });
    const first = await connectOnce(clientConfig(store), server);
    const id = decodeServerHello(first.serverFlight[0].body).legacySessionId;
    expect(id.length).toBe(32);
    expect(cache.size).toBe(1);

    const second = await connectOnce(clientConfig(store), server);
    expect(second.c.info.resumed).toBe(true);
    expect(second.s.info.resumed).toBe(true);
    expect(equalBytes(second.clientHello.legacySessionId, id)).toBe(true);
    expect(second.serverFlight.map((m) => m.type)).toEqual([HandshakeType.server_hello]);
    // A session ID may be used again: the client put it back.
    expect(store.count(NAME)).toBe(1);
    const third = await connectOnce(clientConfig(store), server);
    expect(third.c.info.resumed).toBe(true);
  });

  it('an ID the server does not know gets a full handshake with a new ID', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ sessionCache: new MemorySessionCache() });
    await connectOnce(clientConfig(store), server);
    const other = await serverConfig({ sessionCache: new MemorySessionCache() });
    const next = await connectOnce(clientConfig(store), other);
    expect(next.c.info.resumed).toBe(false);
    const id = decodeServerHello(next.serverFlight[0].body).legacySessionId;
    expect(equalBytes(id, next.clientHello.legacySessionId)).toBe(false);
  });

  it('an expired cache entry gets a full handshake', async () => {
    let now = Date.now();
    const store = new MemorySessionStore();
    const cache = new MemorySessionCache({ lifetimeSeconds: 10, now: () => now });
    const server = await serverConfig({ sessionCache: cache });
    await connectOnce(clientConfig(store), server);
    now += 11_000;
    const next = await connectOnce(clientConfig(store), server);
    expect(next.s.info.resumed).toBe(false);
  });

  it('with a ticket offered, the server does not resume by the session ID (RFC 5077 §3.4)', async () => {
    const store = new MemorySessionStore();
    const cache = new MemorySessionCache();
    const server = await serverConfig({ sessionCache: cache, ticketer: new AeadTicketer() });
    await connectOnce(clientConfig(store), server);
    const session = (await store.take(NAME))!;
    // Offer the cached ID's session with a ticket that does not open: no stateful fallback.
    const ticket = session.ticket!.slice();
    ticket[20] ^= 0xff;
    await store.put(NAME, { ...session, ticket });
    const next = await connectOnce(clientConfig(store), server);
    expect(next.s.info.resumed).toBe(false);
  });
});

describe('RFC 7627 §5.3 on resumption', () => {
  it('the client aborts when a resumed ServerHello drops extended_master_secret', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    await connectOnce(clientConfig(store), server);
    const c = new ClientConnection(clientConfig(store), { serverName: NAME });
    const s = new ServerConnection(server);
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    const flight = s.takeTls()!;
    expect(s.info.resumed).toBe(true);
    // Rewrite the ServerHello without the extension; the rest of the flight stays.
    const records = splitRecords(flight);
    const messages = plainHandshakes(record(22, records[0].body));
    const sh = decodeServerHello(messages[0].body);
    sh.extensions = sh.extensions.filter((e) => e.type !== ExtensionType.extended_master_secret);
    const rest = records[0].body.subarray(4 + messages[0].body.length);
    const first = record(
      22,
      new Uint8Array([
        ...encodeHandshake(HandshakeType.server_hello, encodeServerHello(sh)),
        ...rest,
      ]),
    );
    c.readTls(first);
    await expect(c.process()).rejects.toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    expect(plainAlert(c.takeTls())).toBe(40);
  });

  it('the server aborts when a ClientHello resuming an EMS session lacks the extension', async () => {
    const store = new MemorySessionStore();
    // A server that would accept a client without the extension on a full handshake.
    const server = await serverConfig({
      ticketer: new AeadTicketer({ provider }),
      requireExtendedMasterSecret: false,
    });
    await connectOnce(clientConfig(store), server);
    const c = new ClientConnection(clientConfig(store), { serverName: NAME });
    await c.process();
    const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
    expect(findExtension(hello.extensions, ExtensionType.session_ticket)!.length).toBeGreaterThan(
      0,
    );
    hello.extensions = hello.extensions.filter(
      (e) => e.type !== ExtensionType.extended_master_secret,
    );
    const s = new ServerConnection(server);
    s.readTls(record(22, encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello))));
    await expect(s.process()).rejects.toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    expect(plainAlert(s.takeTls())).toBe(40);
  });

  it('the client aborts when the server resumes with another cipher suite', async () => {
    const store = new MemorySessionStore();
    const server = await serverConfig({ sessionCache: new MemorySessionCache() });
    await connectOnce(clientConfig(store), server);
    const session = (await store.take(NAME))!;
    const other =
      session.cipherSuite === CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        ? CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
        : CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    const forged: StoredSession = { ...session, cipherSuite: other };
    await store.put(NAME, forged);
    const c = new ClientConnection(clientConfig(store), { serverName: NAME });
    const s = new ServerConnection(server);
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    c.readTls(s.takeTls()!);
    await expect(c.process()).rejects.toMatchObject({ code: 'ILLEGAL_PARAMETER' });
  });
});

describe('RFC 5077 §3.3 message order on the client', () => {
  /** A resumed server flight, split into the ServerHello's messages and the records after. */
  async function resumedFlight(server: ServerConfig, store: MemorySessionStore) {
    await connectOnce(clientConfig(store), server);
    const c = new ClientConnection(clientConfig(store), { serverName: NAME });
    const s = new ServerConnection(server);
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    expect(s.info.resumed).toBe(true);
    const records = splitRecords(s.takeTls()!);
    const ccs = records.findIndex((r) => r.type === 20);
    const clear = beforeCcs(
      new Uint8Array(records.slice(0, ccs).flatMap((r) => [...record(r.type, r.body)])),
    );
    const after = new Uint8Array(records.slice(ccs).flatMap((r) => [...record(r.type, r.body)]));
    return { c, clear, after };
  }

  it('a ChangeCipherSpec without the promised NewSessionTicket is unexpected_message', async () => {
    const server = await serverConfig({ ticketer: new AeadTicketer({ provider }) });
    const { c, clear, after } = await resumedFlight(server, new MemorySessionStore());
    expect(clear.map((m) => m.type)).toEqual([
      HandshakeType.server_hello,
      HandshakeType.new_session_ticket,
    ]);
    const sh = encodeHandshake(HandshakeType.server_hello, clear[0].body);
    c.readTls(new Uint8Array([...record(22, sh), ...after]));
    await expect(c.process()).rejects.toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
    expect(plainAlert(c.takeTls())).toBe(10);
  });

  it('a NewSessionTicket that was not promised is unexpected_message', async () => {
    const server = await serverConfig({ sessionCache: new MemorySessionCache() });
    const { c, clear, after } = await resumedFlight(server, new MemorySessionStore());
    expect(clear.map((m) => m.type)).toEqual([HandshakeType.server_hello]);
    const nst = encodeHandshake(
      HandshakeType.new_session_ticket,
      encodeNewSessionTicket12({ lifetimeHint: 60, ticket: new Uint8Array([1, 2, 3]) }),
    );
    const sh = encodeHandshake(HandshakeType.server_hello, clear[0].body);
    c.readTls(new Uint8Array([...record(22, sh), ...record(22, nst), ...after]));
    await expect(c.process()).rejects.toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
    expect(plainAlert(c.takeTls())).toBe(10);
  });
});
