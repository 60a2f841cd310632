import { beforeAll, describe, expect, it } from 'vitest';
import { encodeTlv, Tag } from '../../src/codec/der.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { bufferSource, toHex } from '../../src/util/bytes.ts';
import { certificateDetails, peerCertificateDetails } from '../../src/verify/details.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import {
  CLIENT_AUTH,
  issue,
  name,
  newKey,
  rootCa,
  SERVER_AUTH,
  type TestCert,
} from './helpers/x509-builder.ts';

/** Certificate details for applications (src/verify/details.ts), on both ends of a handshake. */

const te = new TextEncoder();
let root: TestCert;
let leaf: TestCert;

beforeAll(async () => {
  root = await rootCa('details root');
  // SubjectAltName with every form the details report, built by hand: dNSName [2],
  // iPAddress [7], rfc822Name [1], uniformResourceIdentifier [6].
  const san = encodeTlv(
    Tag.SEQUENCE,
    encodeTlv(0x82, te.encode('client.example')),
    encodeTlv(0x87, new Uint8Array([192, 0, 2, 7])),
    encodeTlv(0x87, new Uint8Array([0x20, 0x01, 0x0d, 0xb8, ...new Array(11).fill(0), 1])),
    encodeTlv(0x81, te.encode('alice@example.com')),
    encodeTlv(0x86, te.encode('spiffe://example/alice')),
  );
  leaf = await issue({
    subject: name('alice, the client', 'Example Org'),
    key: await newKey(),
    issuer: root,
    serial: 0x1234,
    ca: false,
    keyUsage: [0, 2],
    eku: [CLIENT_AUTH, SERVER_AUTH, '1.2.3.4'],
    notBefore: new Date('2025-01-02T03:04:05Z'),
    notAfter: new Date('2027-01-02T03:04:05Z'),
    extensions: [{ oid: '2.5.29.17', value: san }],
  });
});

describe('certificateDetails', () => {
  it('reports names, SANs by type, serial, validity, key, usages and fingerprint', async () => {
    const d = certificateDetails(leaf.der);
    expect(d.subject.text).toBe('CN=alice\\, the client,O=Example Org');
    expect(d.subject.attributes).toEqual([
      { type: 'O', oid: '2.5.4.10', value: 'Example Org' },
      { type: 'CN', oid: '2.5.4.3', value: 'alice, the client' },
    ]);
    expect(d.issuer.text).toBe('CN=details root');
    expect(d.subjectAltNames).toEqual({
      dns: ['client.example'],
      ip: ['192.0.2.7', '2001:db8::1'],
      email: ['alice@example.com'],
      uri: ['spiffe://example/alice'],
    });
    expect(d.serialNumber).toBe('1234');
    expect(d.notBefore.toISOString()).toBe('2025-01-02T03:04:05.000Z');
    expect(d.notAfter.toISOString()).toBe('2027-01-02T03:04:05.000Z');
    expect(d.publicKeyAlgorithm).toBe('ecdsa');
    expect(d.publicKeyCurve).toBe('P-256');
    expect(d.publicKeyBits).toBe(256);
    expect(d.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(d.extendedKeyUsage).toEqual(['clientAuth', 'serverAuth', '1.2.3.4']);
    expect(d.isCA).toBe(false);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bufferSource(leaf.der)));
    expect(d.fingerprintSha256).toBe(toHex(digest));
    expect(d.der).toEqual(leaf.der);
  });

  it('a CA without EKU or SAN has empty lists and undefined usages where absent', () => {
    const d = certificateDetails(root.der);
    expect(d.isCA).toBe(true);
    expect(d.extendedKeyUsage).toBeUndefined();
    expect(d.keyUsage).toEqual(['keyCertSign', 'cRLSign']);
    expect(d.subjectAltNames).toEqual({ dns: [], ip: [], email: [], uri: [] });
  });

  it('is cached per array while the bytes stay the same', () => {
    const copy = leaf.der.slice();
    const first = certificateDetails(copy);
    expect(certificateDetails(copy)).toBe(first);
    copy[copy.length - 1] ^= 1; // the signature changes: a new parse
    expect(certificateDetails(copy)).not.toBe(first);
  });

  it('refuses what is not a certificate with BAD_CERTIFICATE', () => {
    expect(() => certificateDetails(new Uint8Array([0x30, 0x00]))).toThrow(
      expect.objectContaining({ code: 'BAD_CERTIFICATE' }),
    );
  });
});

describe('peerCertificateDetails after a handshake', () => {
  it('the server sees the client chain; the client sees the server chain', async () => {
    const provider = subtleProvider();
    const key = await newKey();
    const client = await issue({
      subject: name('client'),
      key,
      issuer: root,
      ca: false,
      eku: [CLIENT_AUTH],
    });
    const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', key.pair.privateKey));
    const c = new ClientConnection(
      {
        provider,
        roots: [certs.caPem],
        clientCertificate: {
          chain: [client.der, root.der],
          key: await provider.signingKey({ pkcs8 }),
        },
      },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'required',
      clientRoots: [root.der],
    });
    await pump(c, s);
    const seenByServer = peerCertificateDetails(s.info);
    expect(seenByServer.map((d) => d.subject.text)).toEqual(['CN=client', 'CN=details root']);
    expect(seenByServer[0].extendedKeyUsage).toEqual(['clientAuth']);
    const seenByClient = peerCertificateDetails(c.info);
    expect(seenByClient[0].subject.text).toBe('CN=localhost');
    expect(seenByClient[0].subjectAltNames.dns).toContain('localhost');
    expect(seenByClient[0].subjectAltNames.ip).toEqual(['127.0.0.1', '::1']);
  });

  it('is empty when the peer sent no certificate', async () => {
    const provider = subtleProvider();
    const c = new ClientConnection({ provider, roots: [certs.caPem] }, { serverName: 'localhost' });
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'optional',
      clientRoots: [root.der],
    });
    await pump(c, s);
    expect(peerCertificateDetails(s.info)).toEqual([]);
  });
});
