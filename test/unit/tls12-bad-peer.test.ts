import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import {
  AlertDescription,
  CipherSuite,
  ExtensionType,
  HandshakeType,
} from '../../src/msgs/enums.ts';
import { decodeServerHello, encodeServerHello } from '../../src/msgs/server-hello.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import {
  handshakeRecord,
  plainAlert,
  plainHandshakes,
  record,
  splitRecords,
} from './helpers/wire.ts';

/**
 * A misbehaving TLS 1.2 peer gets the alert RFC 5246 / RFC 8422 / RFC 5746 / RFC 7627 name and
 * a typed error. Each case runs a real client and server, changes one thing in the bytes between
 * them, and reads the alert back.
 */
const provider = subtleProvider();

type Msg = { type: number; body: Uint8Array };

function client() {
  return new ClientConnection(
    { provider, roots: [certs.caPem], maxVersion: 'TLSv1.2' },
    { serverName: 'localhost' },
  );
}

async function server() {
  return new ServerConnection({
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
  });
}

/** Client hello → server flight; returns both and the server's messages. */
async function serverFlight() {
  const c = client();
  const s = await server();
  await c.process();
  s.readTls(c.takeTls()!);
  await s.process();
  const messages = plainHandshakes(s.takeTls()!);
  expect(messages.map((m) => m.type)).toEqual([
    HandshakeType.server_hello,
    HandshakeType.certificate,
    HandshakeType.server_key_exchange,
    HandshakeType.server_hello_done,
  ]);
  return { c, s, messages };
}

async function expectClientError(
  change: (messages: Msg[]) => Msg[],
  code: string,
  alert: number,
): Promise<void> {
  const { c, messages } = await serverFlight();
  c.readTls(handshakeRecord(change(messages)));
  const err = await c.process().catch((e) => e);
  expect(err).toBeInstanceOf(TlsError);
  expect(err.code).toBe(code);
  expect(plainAlert(c.takeTls())).toBe(alert);
}

function withServerHello(
  messages: Msg[],
  edit: (sh: ReturnType<typeof decodeServerHello>) => void,
) {
  const sh = decodeServerHello(messages[0].body);
  edit(sh);
  return [{ type: messages[0].type, body: encodeServerHello(sh) }, ...messages.slice(1)];
}

function replace(messages: Msg[], index: number, body: Uint8Array): Msg[] {
  return messages.map((m, i) => (i === index ? { type: m.type, body } : m));
}

describe('a misbehaving TLS 1.2 server', () => {
  it('a TLS 1.3 suite in a TLS 1.2 ServerHello → illegal_parameter', async () => {
    await expectClientError(
      (m) => withServerHello(m, (sh) => (sh.cipherSuite = CipherSuite.TLS_AES_128_GCM_SHA256)),
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('a suite that was not offered → illegal_parameter', async () => {
    const c = new ClientConnection(
      {
        provider,
        roots: [certs.caPem],
        maxVersion: 'TLSv1.2',
        cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
      },
      { serverName: 'localhost' },
    );
    const s = await server();
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    const messages = withServerHello(plainHandshakes(s.takeTls()!), (sh) => {
      sh.cipherSuite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384;
    });
    c.readTls(handshakeRecord(messages));
    await expect(c.process()).rejects.toMatchObject({ code: 'ILLEGAL_PARAMETER' });
  });

  it('a non-empty renegotiation_info → handshake_failure (RFC 5746 §3.4)', async () => {
    await expectClientError(
      (m) =>
        withServerHello(m, (sh) => {
          const i = sh.extensions.findIndex((e) => e.type === ExtensionType.renegotiation_info);
          sh.extensions[i] = {
            type: ExtensionType.renegotiation_info,
            data: new Uint8Array([1, 7]),
          };
        }),
      'HANDSHAKE_FAILURE',
      AlertDescription.handshake_failure,
    );
  });

  it('no extended_master_secret in the ServerHello → handshake_failure (RFC 7627)', async () => {
    await expectClientError(
      (m) =>
        withServerHello(m, (sh) => {
          sh.extensions = sh.extensions.filter(
            (e) => e.type !== ExtensionType.extended_master_secret,
          );
        }),
      'HANDSHAKE_FAILURE',
      AlertDescription.handshake_failure,
    );
  });

  it('a key_share in a TLS 1.2 ServerHello → unsupported_extension', async () => {
    await expectClientError(
      (m) =>
        withServerHello(m, (sh) => {
          sh.extensions.push({
            type: ExtensionType.key_share,
            data: new Uint8Array([0, 29, 0, 0]),
          });
        }),
      'UNSUPPORTED_EXTENSION',
      AlertDescription.unsupported_extension,
    );
  });

  it('a ServerHello at 0x0302 → protocol_version', async () => {
    await expectClientError(
      (m) => withServerHello(m, (sh) => (sh.legacyVersion = 0x0302)),
      'PROTOCOL_VERSION',
      AlertDescription.protocol_version,
    );
  });

  it('a ServerKeyExchange whose signature does not verify → decrypt_error', async () => {
    await expectClientError(
      (m) => {
        const ske = m[2].body.slice();
        ske[ske.length - 5] ^= 1;
        return replace(m, 2, ske);
      },
      'DECRYPT_ERROR',
      AlertDescription.decrypt_error,
    );
  });

  it('a ServerKeyExchange in a group the client did not offer → illegal_parameter', async () => {
    await expectClientError(
      (m) => {
        const ske = m[2].body.slice();
        ske[1] = 0x00;
        ske[2] = 0x19; // secp521r1
        return replace(m, 2, ske);
      },
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('an explicit-curve ServerKeyExchange → illegal_parameter', async () => {
    await expectClientError(
      (m) => {
        const ske = m[2].body.slice();
        ske[0] = 1;
        return replace(m, 2, ske);
      },
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('a truncated ServerKeyExchange → decode_error', async () => {
    await expectClientError(
      (m) => replace(m, 2, m[2].body.subarray(0, 20)),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
  });

  it('a ServerKeyExchange signed with a scheme not offered → illegal_parameter', async () => {
    await expectClientError(
      (m) => {
        const ske = m[2].body.slice();
        const at = 4 + ske[3]; // curve_type, namedcurve, point length, point
        ske[at] = 0x02; // ecdsa_sha1 (0x0203)
        ske[at + 1] = 0x03;
        return replace(m, 2, ske);
      },
      'ILLEGAL_PARAMETER',
      AlertDescription.illegal_parameter,
    );
  });

  it('ServerHelloDone with a body → decode_error', async () => {
    await expectClientError(
      (m) => replace(m, 3, new Uint8Array([0])),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
  });

  it('ServerHelloDone before ServerKeyExchange → unexpected_message', async () => {
    await expectClientError(
      (m) => [m[0], m[1], m[3]],
      'UNEXPECTED_MESSAGE',
      AlertDescription.unexpected_message,
    );
  });

  it('an empty Certificate → decode_error', async () => {
    await expectClientError(
      (m) => replace(m, 1, new Uint8Array([0, 0, 0])),
      'DECODE_ERROR',
      AlertDescription.decode_error,
    );
  });

  it('a ChangeCipherSpec before ServerHelloDone → unexpected_message', async () => {
    const { c, messages } = await serverFlight();
    c.readTls(handshakeRecord(messages.slice(0, 3)));
    c.readTls(record(20, new Uint8Array([1])));
    const err = await c.process().catch((e) => e);
    expect(err.code).toBe('UNEXPECTED_MESSAGE');
    expect(plainAlert(c.takeTls())).toBe(AlertDescription.unexpected_message);
  });

  it('a Finished in the clear instead of ChangeCipherSpec → unexpected_message', async () => {
    const { c, messages } = await serverFlight();
    c.readTls(handshakeRecord(messages));
    await c.process();
    c.takeTls();
    c.readTls(handshakeRecord([{ type: HandshakeType.finished, body: new Uint8Array(12) }]));
    const err = await c.process().catch((e) => e);
    expect(err.code).toBe('UNEXPECTED_MESSAGE');
  });
});

describe('a misbehaving TLS 1.2 client', () => {
  /** Runs the handshake up to the client's second flight; returns its records. */
  async function clientFlight() {
    const { c, s, messages } = await serverFlight();
    c.readTls(handshakeRecord(messages));
    await c.process();
    const records = splitRecords(c.takeTls()!);
    expect(records.map((r) => r.type)).toEqual([22, 20, 22]);
    return { c, s, records };
  }

  async function expectServerError(s: ServerConnection, bytes: Uint8Array, code: string) {
    s.readTls(bytes);
    const err = await s.process().catch((e) => e);
    expect(err).toBeInstanceOf(TlsError);
    expect(err.code).toBe(code);
    return err;
  }

  it('a ClientKeyExchange with a malformed point → illegal_parameter', async () => {
    const { s } = await clientFlight();
    const body = new Uint8Array([5, 1, 2, 3, 4, 5]);
    await expectServerError(
      s,
      handshakeRecord([{ type: HandshakeType.client_key_exchange, body }]),
      'ILLEGAL_PARAMETER',
    );
    expect(plainAlert(s.takeTls())).toBe(AlertDescription.illegal_parameter);
  });

  it('an empty ClientKeyExchange → decode_error', async () => {
    const { s } = await clientFlight();
    await expectServerError(
      s,
      handshakeRecord([{ type: HandshakeType.client_key_exchange, body: new Uint8Array([0]) }]),
      'DECODE_ERROR',
    );
    expect(plainAlert(s.takeTls())).toBe(AlertDescription.decode_error);
  });

  it('a ChangeCipherSpec before ClientKeyExchange → unexpected_message', async () => {
    const { s } = await clientFlight();
    await expectServerError(s, record(20, new Uint8Array([1])), 'UNEXPECTED_MESSAGE');
    expect(plainAlert(s.takeTls())).toBe(AlertDescription.unexpected_message);
  });

  it('Finished without ChangeCipherSpec → unexpected_message', async () => {
    const { s, records } = await clientFlight();
    s.readTls(record(22, records[0].body));
    await s.process();
    await expectServerError(
      s,
      handshakeRecord([{ type: HandshakeType.finished, body: new Uint8Array(12) }]),
      'UNEXPECTED_MESSAGE',
    );
  });

  it('a tampered encrypted Finished → bad_record_mac', async () => {
    const { s, records } = await clientFlight();
    const fin = records[2].body.slice();
    fin[fin.length - 1] ^= 1;
    s.readTls(record(22, records[0].body));
    s.readTls(record(20, records[1].body));
    await expectServerError(s, record(22, fin), 'BAD_RECORD_MAC');
  });

  it('a second ChangeCipherSpec after the handshake → unexpected_message', async () => {
    const { c, s, records } = await clientFlight();
    for (const r of records) s.readTls(record(r.type, r.body));
    await s.process();
    c.readTls(s.takeTls()!);
    await c.process();
    expect(s.handshakeComplete).toBe(true);
    await expectServerError(s, record(20, new Uint8Array([1])), 'UNEXPECTED_MESSAGE');
  });

  it('a client hello without null compression → illegal_parameter', async () => {
    const c = client();
    const s = await server();
    await c.process();
    const wire = c.takeTls()!;
    // legacy_compression_methods sits after version, random, session id and suites.
    const hello = plainHandshakes(wire)[0].body.slice();
    const at = 2 + 32 + 1 + hello[34];
    const suitesLength = (hello[at] << 8) | hello[at + 1];
    const methods = at + 2 + suitesLength;
    expect(hello[methods]).toBe(1);
    hello[methods + 1] = 1; // deflate instead of null
    await expectServerError(
      s,
      handshakeRecord([{ type: HandshakeType.client_hello, body: hello }]),
      'ILLEGAL_PARAMETER',
    );
  });

  it('the whole exchange still works when nothing is changed (control)', async () => {
    const { c, s, records } = await clientFlight();
    for (const r of records) s.readTls(record(r.type, r.body));
    await pump(c, s);
    expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
  });
});
