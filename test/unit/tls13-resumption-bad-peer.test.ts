import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection, type ClientOptions } from '../../src/conn/client.ts';
import type { ConnectionCore } from '../../src/conn/core.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { tls13Suite } from '../../src/crypto/suites.ts';
import { TlsError } from '../../src/error.ts';
import { EarlySecret, finishedVerifyData, trafficKeys } from '../../src/keyschedule/tls13.ts';
import {
  type ClientHello,
  decodeClientHello,
  encodeClientHello,
} from '../../src/msgs/client-hello.ts';
import {
  decodeEncryptedExtensions,
  encodeEncryptedExtensions,
} from '../../src/msgs/encrypted-extensions.ts';
import {
  AlertDescription,
  CipherSuite,
  ContentType,
  ExtensionType,
  HandshakeType,
  NamedGroup,
} from '../../src/msgs/enums.ts';
import { EMPTY_EXTENSION_DATA } from '../../src/msgs/extensions/empty.ts';
import {
  decodeOfferedPsks,
  encodeOfferedPsks,
  encodePreSharedKeyServerHello,
} from '../../src/msgs/extensions/pre-shared-key.ts';
import { encodeHandshake } from '../../src/msgs/handshake.ts';
import {
  decodeNewSessionTicket,
  encodeNewSessionTicket,
} from '../../src/msgs/new-session-ticket.ts';
import { setPskBinders, truncateClientHello } from '../../src/msgs/psk-binders.ts';
import { decodeServerHello, encodeServerHello } from '../../src/msgs/server-hello.ts';
import { RecordSealer, sealRecord } from '../../src/record/protection.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import type { StoredSession } from '../../src/sessions/stored-session.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { concat, fromHex, utf8 } from '../../src/util/bytes.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { captureOutput, sentAlert, writeSecrets } from './helpers/sent-alert.ts';
import { tamper } from './helpers/tamper.ts';
import { plainHandshakes, record, splitRecords } from './helpers/wire.ts';

/**
 * TLS 1.3 resumption and 0-RTT with a peer that breaks RFC 8446 §4.2.9, §4.2.10, §4.2.11, §4.5,
 * §4.6.1 or Appendix D.3: the real engine on both sides, with one message re-encoded on its way
 * (a ClientHello re-bound so only the intended defect is in it, or a server message rewritten
 * before it is protected). The misbehaved-against side must throw a TlsError with the right
 * code and put the right alert on the wire (read back with the key log when it is encrypted),
 * never hang or crash. Happy paths are in tls13-resumption.test.ts.
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

/** One side of a connection under test, with its key log and everything it has sent. */
interface Side<C extends ConnectionCore> {
  conn: C;
  lines: string[];
  sent: () => Uint8Array;
}

function client(
  store: MemorySessionStore,
  extra: Partial<ClientConfig> = {},
  options: Omit<ClientOptions, 'serverName'> = {},
): Side<ClientConnection> {
  const lines: string[] = [];
  const config = clientConfig(store, { ...extra, keyLog: (l) => lines.push(l) });
  const conn = new ClientConnection(config, { serverName: NAME, ...options });
  return { conn, lines, sent: captureOutput(conn) };
}

function server(config: ServerConfig): Side<ServerConnection> {
  const lines: string[] = [];
  const conn = new ServerConnection({ ...config, keyLog: (l) => lines.push(l) });
  return { conn, lines, sent: captureOutput(conn) };
}

/**
 * A session from a full handshake with `config`, and a store that holds only it (the session
 * itself is kept for re-binding modified ClientHellos).
 */
async function ticketFrom(config: ServerConfig, extra: Partial<ClientConfig> = {}) {
  const first = new MemorySessionStore();
  await pump(
    new ClientConnection(clientConfig(first, extra), { serverName: NAME }),
    new ServerConnection(config),
  );
  const session = (await first.take(NAME))!;
  expect(session.ticket).toBeDefined();
  const store = new MemorySessionStore();
  await store.put(NAME, session);
  return { session, store };
}

/** The fatal alert `side` sent, in the clear or under one of its traffic keys. */
async function alertSent(side: Side<ConnectionCore>, who: 'CLIENT' | 'SERVER') {
  side.conn.takeTls(); // what is still queued (the alert itself), into side.sent()
  const secrets = writeSecrets(side.lines, who);
  const suite =
    secrets.length > 0 ? side.conn.suite : tls13Suite(CipherSuite.TLS_AES_128_GCM_SHA256)!;
  return sentAlert(provider, suite, secrets, side.sent());
}

/** `run` fails on `side` with `code`; `side` sent `alert` and stays failed. */
async function expectFailure(
  side: Side<ConnectionCore>,
  who: 'CLIENT' | 'SERVER',
  run: Promise<unknown>,
  code: string,
  alert: number,
) {
  const err = await run.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TlsError);
  expect((err as TlsError).code).toBe(code);
  expect(side.conn.failed).toBe(err);
  expect(await alertSent(side, who)).toBe(alert);
  await expect(side.conn.process()).rejects.toBe(err);
}

// ---- the client's first flight, taken apart and put back together ----

/** A resuming client's first flight, and its ClientHello decoded. */
async function firstFlight(
  store: MemorySessionStore,
  options: Omit<ClientOptions, 'serverName'> = {},
  extra: Partial<ClientConfig> = {},
) {
  const c = client(store, extra, options);
  await c.conn.process();
  const wire = c.conn.takeTls()!;
  const records = splitRecords(wire);
  expect(records[0].type).toBe(ContentType.handshake);
  const hello = decodeClientHello(plainHandshakes(wire)[0].body);
  return { c, wire, hello };
}

/** Frames a ClientHello and fills in its binder from the session (§4.2.11.2), as a client does. */
async function bound(hello: ClientHello, session: StoredSession): Promise<Uint8Array> {
  const framed = encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello));
  const { hash } = tls13Suite(session.cipherSuite)!;
  const early = await EarlySecret.create(provider, hash, session.secret);
  const transcript = await provider.digest(hash, truncateClientHello(framed));
  const binder = await finishedVerifyData(provider, hash, await early.binderKey(false), transcript);
  return record(ContentType.handshake, setPskBinders(framed, [binder]));
}

function without(hello: ClientHello, ...types: number[]): ClientHello {
  return { ...hello, extensions: hello.extensions.filter((e) => !types.includes(e.type)) };
}

describe('a client that misbehaves around PSK and 0-RTT', () => {
  it('control: a ClientHello decoded, re-encoded and bound again resumes', async () => {
    const config = await serverConfig();
    const { session, store } = await ticketFrom(config);
    const { hello } = await firstFlight(store);
    const s = server(config);
    s.conn.readTls(await bound(hello, session));
    await s.conn.process();
    expect(s.conn.info.resumed).toBe(true);
  });

  it('§4.2.11: pre_shared_key not the last extension → illegal_parameter', async () => {
    const config = await serverConfig();
    const { store } = await ticketFrom(config);
    const { hello } = await firstFlight(store);
    const psk = hello.extensions.pop()!;
    expect(psk.type).toBe(ExtensionType.pre_shared_key);
    hello.extensions.splice(hello.extensions.length - 1, 0, psk);
    const s = server(config);
    s.conn.readTls(record(ContentType.handshake, encodeHandshake(1, encodeClientHello(hello))));
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('§4.2.9: pre_shared_key without psk_key_exchange_modes → missing_extension', async () => {
    const config = await serverConfig();
    const { session, store } = await ticketFrom(config);
    const { hello } = await firstFlight(store);
    const s = server(config);
    s.conn.readTls(await bound(without(hello, ExtensionType.psk_key_exchange_modes), session));
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'MISSING_EXTENSION',
      AlertDescription.missing_extension,
    );
  });

  it('§4.2.11: a binder that does not verify → decrypt_error', async () => {
    const config = await serverConfig();
    const { store } = await ticketFrom(config);
    const { hello } = await firstFlight(store);
    const ext = hello.extensions[hello.extensions.length - 1];
    const offered = decodeOfferedPsks(ext.data);
    offered.binders[0][7] ^= 0x01;
    ext.data = encodeOfferedPsks(offered);
    const s = server(config);
    s.conn.readTls(record(ContentType.handshake, encodeHandshake(1, encodeClientHello(hello))));
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'DECRYPT_ERROR',
      AlertDescription.decrypt_error,
    );
    expect(s.conn.info.resumed).toBe(false);
  });

  it('§4.5: Finished under the early key, not EndOfEarlyData → unexpected_message', async () => {
    const config = await serverConfig({ maxEarlyData: 1024 });
    const { store } = await ticketFrom(config);
    const { c, wire } = await firstFlight(store, { earlyData: utf8('GET / HTTP/1.1\r\n\r\n') });
    // Seal a Finished under client_early_traffic_secret, after the early data records.
    const early = c.lines.find((l) => l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET '))!;
    const suite = c.conn.suite;
    const { key, iv } = await trafficKeys(
      provider,
      suite.hash,
      fromHex(early.split(' ')[2]),
      suite.keyLength,
    );
    const sealer = new RecordSealer(await provider.aead(suite.aead, key), iv);
    const sealedBefore = splitRecords(wire).filter((r) => r.type === ContentType.application_data);
    for (const _ of sealedBefore)
      await sealRecord(sealer, ContentType.application_data, new Uint8Array(1));
    const finished = encodeHandshake(
      HandshakeType.finished,
      new Uint8Array(suite.hash === 'SHA-384' ? 48 : 32),
    );
    const stray = await sealRecord(sealer, ContentType.handshake, finished);

    const s = server(config);
    s.conn.readTls(concat(wire, stray));
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'UNEXPECTED_MESSAGE',
      AlertDescription.unexpected_message,
    );
    expect(s.conn.info.earlyData).toBe('accepted');
  });

  /**
   * §4.2.10: a server that rejects 0-RTT data skips records that fail to deprotect "up to the
   * configured max_early_data_size"; the engine skips max(its own, the ticket's, one record).
   * Past that, the next record is read as the client's second flight and fails deprotection
   * (§5.2: bad_record_mac), or, when a record is bigger than what is left of the budget, the
   * engine ends the connection with unexpected_message (as for accepted early data, §4.2.10).
   */
  async function overBudget(ticketMax: number) {
    const ticketer = new AeadTicketer({ provider });
    const config = await serverConfig({ ticketer, maxEarlyData: ticketMax });
    const { session, store } = await ticketFrom(config);
    expect(session.maxEarlyData).toBe(ticketMax);
    // The client believes it may send 40000 bytes early (records of 16384, 16384, 7232); the
    // server it talks to takes no early data and skips at most the budget of it.
    await store.put(NAME, { ...(await store.take(NAME))!, maxEarlyData: 65536 });
    const { wire } = await firstFlight(store, { earlyData: new Uint8Array(40000) });
    const s = server(await serverConfig({ ticketer }));
    s.conn.readTls(wire);
    return s;
  }

  it('§4.2.10: rejected early data past the skip budget → bad_record_mac', async () => {
    const s = await overBudget(1024); // budget 16384: exactly the first record
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'BAD_RECORD_MAC',
      AlertDescription.bad_record_mac,
    );
    expect(s.conn.info.resumed).toBe(true);
    expect(s.conn.info.earlyData).toBe('rejected');
  });

  it('§4.2.10: rejected record over the skip budget left → unexpected_message', async () => {
    const s = await overBudget(20000); // budget 20000: 3616 left after the first record
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'UNEXPECTED_MESSAGE',
      AlertDescription.unexpected_message,
    );
    expect(s.conn.info.earlyData).toBe('rejected');
  });

  it('§9.2: psk_dhe_ke with no key_share nor supported_groups → missing_extension', async () => {
    const config = await serverConfig();
    const { session, store } = await ticketFrom(config);
    const { hello } = await firstFlight(store);
    const bare = without(hello, ExtensionType.key_share, ExtensionType.supported_groups);
    const s = server(config);
    s.conn.readTls(await bound(bare, session));
    await expectFailure(
      s,
      'SERVER',
      s.conn.process(),
      'MISSING_EXTENSION',
      AlertDescription.missing_extension,
    );
  });

  it('control: the same ClientHello with psk_ke resumes without (EC)DHE (§4.2.9)', async () => {
    const config = await serverConfig({ allowPskKe: true });
    const { session, store } = await ticketFrom(config);
    const { hello } = await firstFlight(store, {}, { pskModes: ['psk_ke'] });
    const bare = without(hello, ExtensionType.key_share, ExtensionType.supported_groups);
    const s = server(config);
    s.conn.readTls(await bound(bare, session));
    await s.conn.process();
    const [sh] = plainHandshakes(s.conn.takeTls()!);
    const extensions = decodeServerHello(sh.body).extensions.map((e) => e.type);
    expect(extensions).toContain(ExtensionType.pre_shared_key);
    expect(extensions).not.toContain(ExtensionType.key_share);
  });
});

// ---- the server's messages, rewritten before they are protected ----

type Edit<T> = (message: T) => void;

function editServerHello(edit: Edit<ReturnType<typeof decodeServerHello>>) {
  return (type: number, body: Uint8Array) => {
    if (type !== HandshakeType.server_hello) return body;
    const sh = decodeServerHello(body);
    edit(sh);
    return encodeServerHello(sh);
  };
}

function setExtension(
  extensions: { type: number; data: Uint8Array }[],
  type: number,
  data: Uint8Array,
) {
  const at = extensions.findIndex((e) => e.type === type);
  if (at >= 0) extensions[at] = { type, data };
  else extensions.push({ type, data });
}

describe('a server that misbehaves around PSK and 0-RTT', () => {
  it('§4.2.11: ServerHello selects identity 1 of 1 offered → illegal_parameter', async () => {
    const config = await serverConfig();
    const { store } = await ticketFrom(config);
    const c = client(store);
    const s = server(config);
    tamper(
      s.conn,
      editServerHello((sh) => {
        setExtension(sh.extensions, ExtensionType.pre_shared_key, encodePreSharedKeyServerHello(1));
      }),
    );
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('§4.2: pre_shared_key in ServerHello, none offered → unsupported_extension', async () => {
    const c = client(new MemorySessionStore());
    const s = server(await serverConfig());
    tamper(
      s.conn,
      editServerHello((sh) => {
        setExtension(sh.extensions, ExtensionType.pre_shared_key, encodePreSharedKeyServerHello(0));
      }),
    );
    // The client offered no PSK, so it offered no pre_shared_key to answer (§4.2).
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'UNSUPPORTED_EXTENSION',
      AlertDescription.unsupported_extension,
    );
  });

  it('§4.2.11: a resumption under a suite with another hash → illegal_parameter', async () => {
    const config = await serverConfig();
    const { session, store } = await ticketFrom(config);
    const other =
      tls13Suite(session.cipherSuite)!.hash === 'SHA-256'
        ? CipherSuite.TLS_AES_256_GCM_SHA384
        : CipherSuite.TLS_AES_128_GCM_SHA256;
    const c = client(store);
    const s = server(config);
    tamper(
      s.conn,
      editServerHello((sh) => {
        sh.cipherSuite = other;
      }),
    );
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('§4.2.9: psk_ke ServerHello, only psk_dhe_ke offered → missing_extension', async () => {
    const config = await serverConfig();
    const { store } = await ticketFrom(config);
    const c = client(store);
    const s = server(config);
    tamper(
      s.conn,
      editServerHello((sh) => {
        sh.extensions = sh.extensions.filter((e) => e.type !== ExtensionType.key_share);
      }),
    );
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'MISSING_EXTENSION',
      AlertDescription.missing_extension,
    );
  });

  const withEarlyData = (type: number, body: Uint8Array) => {
    if (type !== HandshakeType.encrypted_extensions) return body;
    const ee = decodeEncryptedExtensions(body);
    setExtension(ee.extensions, ExtensionType.early_data, EMPTY_EXTENSION_DATA);
    return encodeEncryptedExtensions(ee);
  };

  it('§4.2.10: EncryptedExtensions early_data, not offered → unsupported_extension', async () => {
    const config = await serverConfig({ maxEarlyData: 1024 });
    const { store } = await ticketFrom(config);
    const c = client(store);
    const s = server(config);
    tamper(s.conn, withEarlyData);
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'UNSUPPORTED_EXTENSION',
      AlertDescription.unsupported_extension,
    );
  });

  it('§4.2.10: early_data accepted on a full handshake → illegal_parameter', async () => {
    const { store } = await ticketFrom(await serverConfig({ maxEarlyData: 1024 }));
    const c = client(store, {}, { earlyData: utf8('early') });
    // Another server: the ticket does not open, so this is a full handshake.
    const s = server(await serverConfig({ maxEarlyData: 1024 }));
    tamper(s.conn, withEarlyData);
    // The client's alert goes under its early key (the only key it writes with yet).
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
    expect(c.conn.info.resumed).toBe(false);
  });

  it('Appendix D.3: a TLS 1.2 ServerHello after 0-RTT data → protocol_version', async () => {
    const { store } = await ticketFrom(await serverConfig({ maxEarlyData: 1024 }));
    const c = client(store, {}, { earlyData: utf8('early') });
    await c.conn.process();
    const [hello] = splitRecords(c.conn.takeTls()!);
    const s = server(await serverConfig({ maxVersion: 'TLSv1.2' }));
    s.conn.readTls(record(hello.type, hello.body));
    await s.conn.process();
    c.conn.readTls(s.conn.takeTls()!);
    await expectFailure(
      c,
      'CLIENT',
      c.conn.process(),
      'PROTOCOL_VERSION',
      AlertDescription.protocol_version,
    );
  });

  it('control: without 0-RTT data the same client falls back to TLS 1.2', async () => {
    const { store } = await ticketFrom(await serverConfig({ maxEarlyData: 1024 }));
    const c = client(store);
    const s = server(await serverConfig({ maxVersion: 'TLSv1.2' }));
    await pump(c.conn, s.conn);
    expect(c.conn.info.protocol).toBe('TLSv1.2');
  });
});

describe('a server that sends bad NewSessionTickets (§4.6.1)', () => {
  function editTicket(edit: (body: Uint8Array) => Uint8Array) {
    return (type: number, body: Uint8Array) =>
      type === HandshakeType.new_session_ticket ? edit(body) : body;
  }

  function withLifetime(lifetime: number) {
    return editTicket((body) =>
      encodeNewSessionTicket({ ...decodeNewSessionTicket(body), lifetime }),
    );
  }

  it('a lifetime over 604800 seconds → illegal_parameter', async () => {
    const store = new MemorySessionStore();
    const c = client(store);
    const s = server(await serverConfig());
    tamper(s.conn, withLifetime(604801));
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
    expect(c.conn.handshakeComplete).toBe(true);
    expect(store.count(NAME)).toBe(0);
  });

  it('a lifetime of exactly 604800 seconds is kept', async () => {
    const store = new MemorySessionStore();
    const c = client(store);
    const s = server(await serverConfig());
    tamper(s.conn, withLifetime(604800));
    await pump(c.conn, s.conn);
    expect(store.count(NAME)).toBe(2);
  });

  it('a lifetime of 0 is discarded; the connection goes on', async () => {
    const store = new MemorySessionStore();
    const c = client(store);
    const s = server(await serverConfig());
    tamper(s.conn, withLifetime(0));
    await pump(c.conn, s.conn);
    expect(store.count(NAME)).toBe(0);
    await s.conn.write(utf8('still here'));
    await pump(c.conn, s.conn);
    expect(c.conn.read()).toEqual(utf8('still here'));
  });

  it('a malformed NewSessionTicket → decode_error', async () => {
    const store = new MemorySessionStore();
    const c = client(store);
    const s = server(await serverConfig());
    // One byte short: the extensions block's length is cut in half.
    tamper(
      s.conn,
      editTicket((body) => body.subarray(0, body.length - 1)),
    );
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
    expect(store.count(NAME)).toBe(0);
  });

  it('an empty ticket → decode_error', async () => {
    const store = new MemorySessionStore();
    const c = client(store);
    const s = server(await serverConfig());
    tamper(
      s.conn,
      editTicket((body) => {
        const nst = decodeNewSessionTicket(body);
        // ticket<1..2^16-1>: encode by hand, the encoder refuses an empty one.
        return concat(body.subarray(0, 9 + nst.nonce.length), new Uint8Array([0, 0, 0, 0]));
      }),
    );
    await expectFailure(
      c,
      'CLIENT',
      pump(c.conn, s.conn),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
  });
});
