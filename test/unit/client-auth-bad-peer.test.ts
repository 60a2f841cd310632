import { describe, expect, it } from 'vitest';
import type { CertifiedKey } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { AlertDescription, HandshakeType, SignatureScheme } from '../../src/msgs/enums.ts';
import { pemEncode } from '../../src/util/pem.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { CLIENT_AUTH, issue, name, newKey, rootCa } from './helpers/x509-builder.ts';

/**
 * Client authentication with a peer that breaks RFC 8446 §4.3.2, §4.4.2 or §4.4.3: the real
 * engine with one handshake message rewritten (or dropped) on its way out. The other side must
 * answer with the alert the RFC names and a typed error.
 */
const provider = subtleProvider();

type Rewrite = (type: number, body: Uint8Array) => Uint8Array | null;

/** Rewrites `side`'s outgoing handshake messages; null drops one (the sender keeps it). */
function tamper(side: ClientConnection | ServerConnection, rewrite: Rewrite): void {
  const send = side.sendHandshake.bind(side);
  side.sendHandshake = async (type, body, label) => {
    const out = rewrite(type, body);
    if (out === null) {
      // Kept in the sender's transcript, never sent.
      const framed = new Uint8Array(4 + body.length);
      framed.set([type, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]);
      framed.set(body, 4);
      return framed;
    }
    return send(type, out, label);
  };
}

async function setup() {
  const root = await rootCa('bad peer root');
  const key = await newKey();
  const cert = await issue({ subject: name('client'), key, issuer: root, eku: [CLIENT_AUTH] });
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key.pair.privateKey));
  const mine: CertifiedKey = {
    chain: [cert.der],
    key: await provider.signingKey({ pkcs8 }),
  };
  const c = new ClientConnection(
    { provider, roots: [certs.caPem], clientCertificate: mine },
    { serverName: 'localhost' },
  );
  const s = new ServerConnection({
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    clientAuth: 'required',
    clientRoots: [pemEncode('CERTIFICATE', root.der)],
  });
  return { c, s };
}

/** Runs the handshake; the `failing` side must throw `code` and the other receive `alert`. */
async function expectFailure(
  c: ClientConnection,
  s: ServerConnection,
  failing: 'client' | 'server',
  code: string,
  alert: number,
) {
  const error = await pump(c, s).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toMatchObject({ code });
  const [from, to] = failing === 'server' ? [s, c] : [c, s];
  to.readTls(from.takeTls()!);
  await expect(to.process()).rejects.toMatchObject({ code: 'PEER_ALERT', peerAlert: alert });
}

describe('client authentication with a misbehaving peer', () => {
  it('a client that skips CertificateVerify → unexpected_message', async () => {
    const { c, s } = await setup();
    tamper(c, (type, body) => (type === HandshakeType.certificate_verify ? null : body));
    await expectFailure(c, s, 'server', 'UNEXPECTED_MESSAGE', AlertDescription.unexpected_message);
  });

  it('a client Certificate with a certificate_request_context not asked for → illegal_parameter', async () => {
    const { c, s } = await setup();
    tamper(c, (type, body) =>
      type === HandshakeType.certificate ? new Uint8Array([1, 0x42, ...body.subarray(1)]) : body,
    );
    await expectFailure(c, s, 'server', 'ILLEGAL_PARAMETER', AlertDescription.illegal_parameter);
  });

  it('a client CertificateVerify with a scheme not offered (PKCS#1) → illegal_parameter', async () => {
    const { c, s } = await setup();
    const pkcs1 = SignatureScheme.rsa_pkcs1_sha256;
    tamper(c, (type, body) =>
      type === HandshakeType.certificate_verify
        ? new Uint8Array([pkcs1 >> 8, pkcs1 & 0xff, ...body.subarray(2)])
        : body,
    );
    await expectFailure(c, s, 'server', 'ILLEGAL_PARAMETER', AlertDescription.illegal_parameter);
  });

  it('a client CertificateVerify with a flipped signature byte → decrypt_error', async () => {
    const { c, s } = await setup();
    tamper(c, (type, body) => {
      if (type !== HandshakeType.certificate_verify) return body;
      const out = body.slice();
      out[out.length - 1] ^= 1;
      return out;
    });
    await expectFailure(c, s, 'server', 'DECRYPT_ERROR', AlertDescription.decrypt_error);
  });

  it('a truncated client Certificate → decode_error', async () => {
    const { c, s } = await setup();
    tamper(c, (type, body) => (type === HandshakeType.certificate ? body.subarray(0, 5) : body));
    await expectFailure(c, s, 'server', 'DECODE_ERROR', AlertDescription.decode_error);
  });

  it('a CertificateRequest with a non-empty context → illegal_parameter', async () => {
    const { c, s } = await setup();
    tamper(s, (type, body) =>
      type === HandshakeType.certificate_request
        ? new Uint8Array([1, 7, ...body.subarray(1)])
        : body,
    );
    await expectFailure(c, s, 'client', 'ILLEGAL_PARAMETER', AlertDescription.illegal_parameter);
  });

  it('a CertificateRequest without signature_algorithms → missing_extension', async () => {
    const { c, s } = await setup();
    // context (0), then extensions: only signature_algorithms_cert (0x0032) with two schemes.
    const only = new Uint8Array([0, 0, 8, 0x00, 0x32, 0, 4, 0, 2, 0x04, 0x03]);
    tamper(s, (type, body) => (type === HandshakeType.certificate_request ? only : body));
    await expectFailure(c, s, 'client', 'MISSING_EXTENSION', AlertDescription.missing_extension);
  });
});
