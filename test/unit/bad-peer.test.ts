import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { decodeClientHello, encodeClientHello } from '../../src/msgs/client-hello.ts';
import { AlertDescription, ExtensionType, NamedGroup } from '../../src/msgs/enums.ts';
import { encodeHandshake } from '../../src/msgs/handshake.ts';
import * as certs from './data/certs.ts';
import { certifiedKey } from './helpers/loopback.ts';

/**
 * A misbehaving peer gets the alert RFC 8446 names and a closed connection with a typed error:
 * never a crash or a hang. Each case feeds hand-made bytes to one side and reads the alert back.
 */
const provider = subtleProvider();

function record(type: number, body: Uint8Array): Uint8Array {
  return new Uint8Array([type, 3, 3, body.length >> 8, body.length & 0xff, ...body]);
}

/** The description of the plaintext fatal alert at the end of `wire`. */
function plainAlert(wire: Uint8Array | null): number | undefined {
  if (!wire || wire.length < 7) return undefined;
  const tail = wire.subarray(wire.length - 7);
  return tail[0] === 21 && tail[5] === 2 ? tail[6] : undefined;
}

async function server(extra: Partial<ServerConfig> = {}) {
  return new ServerConnection({
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    ...extra,
  });
}

/** A real ClientHello from our client, decoded so a test can change one thing. */
async function clientHello() {
  const c = new ClientConnection(
    { provider, groups: [NamedGroup.x25519] },
    { serverName: 'localhost' },
  );
  await c.process();
  const wire = c.takeTls()!;
  return decodeClientHello(wire.subarray(9));
}

async function expectAlert(s: ServerConnection, bytes: Uint8Array, code: string, alert: number) {
  s.readTls(bytes);
  const err = await s.process().catch((e) => e);
  expect(err).toBeInstanceOf(TlsError);
  expect(err.code).toBe(code);
  expect(plainAlert(s.takeTls())).toBe(alert);
  // The connection stays failed: further input gets the same error, not a new state.
  await expect(s.process()).rejects.toBe(err);
}

describe('a misbehaving client', () => {
  it('truncated ClientHello body → decode_error', async () => {
    const ch = encodeClientHello(await clientHello());
    const framed = encodeHandshake(1, ch.subarray(0, ch.length - 3));
    await expectAlert(
      await server(),
      record(22, framed),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
  });

  it('duplicate extension → illegal_parameter', async () => {
    const ch = await clientHello();
    ch.extensions.push(ch.extensions.find((e) => e.type === ExtensionType.supported_groups)!);
    const bytes = record(22, encodeHandshake(1, encodeClientHello(ch)));
    await expectAlert(
      await server(),
      bytes,
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('no key_share → missing_extension', async () => {
    const ch = await clientHello();
    ch.extensions = ch.extensions.filter((e) => e.type !== ExtensionType.key_share);
    const bytes = record(22, encodeHandshake(1, encodeClientHello(ch)));
    await expectAlert(
      await server(),
      bytes,
      'MISSING_EXTENSION',
      AlertDescription.missing_extension,
    );
  });

  it('no TLS 1.3 in supported_versions, to a TLS 1.3-only server → protocol_version', async () => {
    const ch = await clientHello();
    ch.extensions = ch.extensions.filter((e) => e.type !== ExtensionType.supported_versions);
    const bytes = record(22, encodeHandshake(1, encodeClientHello(ch)));
    const s = await server({ minVersion: 'TLSv1.3' });
    await expectAlert(s, bytes, 'PROTOCOL_VERSION', AlertDescription.protocol_version);
  });

  it('no common cipher suite → handshake_failure', async () => {
    const ch = await clientHello();
    ch.cipherSuites = [0x00ff, 0xc02f];
    const bytes = record(22, encodeHandshake(1, encodeClientHello(ch)));
    await expectAlert(
      await server(),
      bytes,
      'HANDSHAKE_FAILURE',
      AlertDescription.handshake_failure,
    );
  });

  it('Finished before ClientHello → unexpected_message', async () => {
    const bytes = record(22, encodeHandshake(20, new Uint8Array(32)));
    await expectAlert(
      await server(),
      bytes,
      'UNEXPECTED_MESSAGE',
      AlertDescription.unexpected_message,
    );
  });

  it('application data before the handshake → unexpected_message', async () => {
    await expectAlert(await server(), record(23, new Uint8Array(40)), 'UNEXPECTED_MESSAGE', 10);
  });

  it('an unknown record type → unexpected_message', async () => {
    await expectAlert(await server(), record(99, new Uint8Array(3)), 'UNEXPECTED_MESSAGE', 10);
  });

  it('a bad CCS → unexpected_message', async () => {
    await expectAlert(await server(), record(20, new Uint8Array([2])), 'UNEXPECTED_MESSAGE', 10);
  });

  it('an oversized handshake message is refused from its header', async () => {
    const header = new Uint8Array([1, 0x10, 0, 0]); // ClientHello claiming 1 MiB
    await expectAlert(
      await server(),
      record(22, header),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
  });

  it('a flood of empty records is cut off', async () => {
    const s = await server();
    const empties: number[] = [];
    for (let i = 0; i < 100; i++) empties.push(...record(21, new Uint8Array(0)));
    const err = await (async () => {
      s.readTls(new Uint8Array(empties));
      return s.process().catch((e) => e);
    })();
    expect(err).toBeInstanceOf(TlsError);
  });

  it("a peer's fatal alert surfaces as PEER_ALERT with its description", async () => {
    const s = await server();
    s.readTls(record(21, new Uint8Array([2, AlertDescription.handshake_failure])));
    const err = await s.process().catch((e) => e);
    expect(err.code).toBe('PEER_ALERT');
    expect(err.peerAlert).toBe(AlertDescription.handshake_failure);
    expect(s.takeTls()).toBeNull(); // no alert is sent back in reply to an alert
  });
});

describe('a misbehaving server', () => {
  async function client() {
    const c = new ClientConnection({ provider, roots: [certs.caPem] }, { serverName: 'localhost' });
    await c.process();
    c.takeTls();
    return c;
  }

  it('ServerHello with a wrong session id echo → illegal_parameter', async () => {
    const c = await client();
    const s = await server();
    // Run a real server against a copy of the ClientHello, then corrupt its ServerHello.
    const c2 = new ClientConnection(
      { provider, roots: [certs.caPem] },
      { serverName: 'localhost' },
    );
    await c2.process();
    s.readTls(c2.takeTls()!);
    await s.process();
    const flight = s.takeTls()!;
    const sh = flight.subarray(0, 5 + ((flight[3] << 8) | flight[4]));
    c.readTls(sh);
    const err = await c.process().catch((e) => e);
    expect(err.code).toBe('ILLEGAL_PARAMETER');
    expect(plainAlert(c.takeTls())).toBe(AlertDescription.illegal_parameter);
  });

  it('a plaintext NewSessionTicket before ServerHello → unexpected_message', async () => {
    const c = await client();
    c.readTls(record(22, encodeHandshake(4, new Uint8Array(20))));
    const err = await c.process().catch((e) => e);
    expect(err.code).toBe('UNEXPECTED_MESSAGE');
    expect(plainAlert(c.takeTls())).toBe(AlertDescription.unexpected_message);
  });
});

describe('ChangeCipherSpec rules (RFC 8446 §5)', () => {
  it('a CCS before any ClientHello → unexpected_message', async () => {
    await expectAlert(await server(), record(20, new Uint8Array([1])), 'UNEXPECTED_MESSAGE', 10);
  });
});
