import { beforeAll, describe, expect, it } from 'vitest';
import { certifiedKeyFromCryptoKey } from '../../src/certified-key.ts';
import type { CertifiedKey, ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import type { CertificateRequestInfo } from '../../src/handshake/client/client-auth.ts';
import { AlertDescription, SignatureScheme } from '../../src/msgs/enums.ts';
import { equalBytes, fromUtf8, utf8 } from '../../src/util/bytes.ts';
import { pemEncode } from '../../src/util/pem.ts';
import { webpkiClientVerifier } from '../../src/verify/webpki-client.ts';
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
  type TestKey,
} from './helpers/x509-builder.ts';

/**
 * TLS 1.3 client authentication, webtls client against webtls server in memory: the
 * CertificateRequest, the client's Certificate and CertificateVerify, the server's verdicts and
 * alerts (RFC 8446 §4.3.2, §4.4.2.4, §6.2). Agreement with other implementations is proven by
 * test/interop/client-auth-openssl.test.ts.
 */

const subtle = globalThis.crypto.subtle;

/** A TestKey around any WebCrypto key pair (the builder's own keys are ECDSA P-256). */
async function keyFrom(pair: CryptoKeyPair): Promise<TestKey> {
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const id = new Uint8Array(await subtle.digest('SHA-256', spki)).slice(0, 20);
  return { pair, spki, id };
}

async function pkcs8Of(key: TestKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('pkcs8', key.pair.privateKey));
}

/** A client certificate for `key` under `issuer` (EKU clientAuth unless overridden). */
function clientCert(
  issuer: TestCert,
  key: TestKey,
  extra: { eku?: string[]; notAfter?: Date } = {},
) {
  return issue({
    subject: name('client', 'webtls tests'),
    key,
    issuer,
    ca: false,
    keyUsage: [0],
    eku: extra.eku ?? [CLIENT_AUTH],
    notAfter: extra.notAfter,
    notBefore: extra.notAfter ? new Date(extra.notAfter.getTime() - 86_400_000) : undefined,
  });
}

let root: TestCert;
let otherRoot: TestCert;
let rootPem: string;

beforeAll(async () => {
  root = await rootCa('webtls client root');
  otherRoot = await rootCa('webtls untrusted client root');
  rootPem = pemEncode('CERTIFICATE', root.der);
});

const providers: [string, () => CryptoProvider][] = [
  ['subtle', () => subtleProvider()],
  ['noble', () => nobleProvider()],
];

describe.each(providers)('TLS 1.3 client authentication (%s provider)', (_name, make) => {
  const provider = make();

  async function serverConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
    return {
      provider,
      minVersion: 'TLSv1.3',
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'required',
      clientRoots: [rootPem],
      ...extra,
    };
  }

  function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
    return { provider, roots: [certs.caPem], ...extra };
  }

  async function connect(client: ClientConfig, server: ServerConfig) {
    const c = new ClientConnection(client, { serverName: 'localhost' });
    const s = new ServerConnection(server);
    await pump(c, s);
    return { c, s };
  }

  /** Runs a handshake the server must refuse; returns the server's error and the client's. */
  async function refused(client: ClientConfig, server: ServerConfig) {
    const c = new ClientConnection(client, { serverName: 'localhost' });
    const s = new ServerConnection(server);
    const serverError = await pump(c, s).then(
      () => undefined,
      (e: unknown) => e,
    );
    const alert = s.takeTls();
    expect(alert).not.toBeNull();
    c.readTls(alert!);
    const clientError = await c.process().then(
      () => undefined,
      (e: unknown) => e,
    );
    return { serverError, clientError };
  }

  async function p256Client(
    issuer = root,
    extra = {},
  ): Promise<CertifiedKey & { der: Uint8Array }> {
    const key = await newKey();
    const cert = await clientCert(issuer, key, extra);
    const signing = await provider.signingKey({ pkcs8: await pkcs8Of(key) });
    return { chain: [cert.der], key: signing, der: cert.der };
  }

  it('required: a PKCS#8 P-256 client certificate is verified and reported', async () => {
    const mine = await p256Client();
    const { c, s } = await connect(clientConfig({ clientCertificate: mine }), await serverConfig());
    expect(s.handshakeComplete).toBe(true);
    expect(s.info.verification).toBe('OK');
    expect(s.info.peerCertificates).toHaveLength(1);
    expect(equalBytes(s.info.peerCertificates[0], mine.der)).toBe(true);
    expect(s.info.peerSubject).toBe('CN=client,O=webtls tests');
    expect(s.info.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');
    await c.write(utf8('hello'));
    await pump(c, s);
    expect(fromUtf8(s.read()!)).toBe('hello');
  });

  it('optional: a client without a certificate completes unauthenticated', async () => {
    const { c, s } = await connect(clientConfig(), await serverConfig({ clientAuth: 'optional' }));
    expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
    expect(s.info.peerCertificates).toEqual([]);
    expect(s.info.verification).toBe('not verified');
    await s.write(utf8('anon'));
    await pump(c, s);
    expect(fromUtf8(c.read()!)).toBe('anon');
  });

  it('optional: a certificate that is sent must still verify', async () => {
    const mine = await p256Client(otherRoot);
    const { serverError } = await refused(
      clientConfig({ clientCertificate: mine }),
      await serverConfig({ clientAuth: 'optional' }),
    );
    expect(serverError).toMatchObject({ code: 'CERT_UNKNOWN_ISSUER' });
  });

  it('required: no certificate ends with certificate_required', async () => {
    const { serverError, clientError } = await refused(clientConfig(), await serverConfig());
    expect(serverError).toMatchObject({ code: 'CERTIFICATE_REQUIRED' });
    expect(clientError).toMatchObject({
      code: 'PEER_ALERT',
      peerAlert: AlertDescription.certificate_required,
    });
  });

  it.each([
    ['an unknown issuer', 'CERT_UNKNOWN_ISSUER', AlertDescription.unknown_ca, 'other', {}],
    [
      'EKU serverAuth only',
      'CERT_BAD_EKU',
      AlertDescription.certificate_unknown,
      'root',
      { eku: [SERVER_AUTH] },
    ],
    [
      'an expired certificate',
      'CERT_EXPIRED',
      AlertDescription.certificate_expired,
      'root',
      { notAfter: new Date(Date.now() - 86_400_000) },
    ],
  ] as const)('refuses %s with %s', async (_what, code, alert, issuer, extra) => {
    const mine = await p256Client(issuer === 'root' ? root : otherRoot, extra);
    const { serverError, clientError } = await refused(
      clientConfig({ clientCertificate: mine }),
      await serverConfig(),
    );
    expect(serverError).toMatchObject({ code });
    expect(clientError).toMatchObject({ code: 'PEER_ALERT', peerAlert: alert });
  });

  it('a CertificateVerify by a key other than the certificate’s ends with decrypt_error', async () => {
    const mine = await p256Client();
    const stranger = await p256Client();
    const { serverError, clientError } = await refused(
      clientConfig({ clientCertificate: { chain: mine.chain, key: stranger.key } }),
      await serverConfig(),
    );
    expect(serverError).toMatchObject({ code: 'DECRYPT_ERROR' });
    expect(clientError).toMatchObject({ peerAlert: AlertDescription.decrypt_error });
  });

  it('the resolver sees the acceptable CAs and schemes and chooses by CA', async () => {
    const wrong = await p256Client(otherRoot);
    const right = await p256Client(root);
    const seen: CertificateRequestInfo[] = [];
    const { s } = await connect(
      clientConfig({
        clientCertificate: wrong,
        clientCertResolver: (request) => {
          seen.push(request);
          return request.certificateAuthorities.some((dn) => equalBytes(dn, root.name))
            ? right
            : wrong;
        },
      }),
      await serverConfig(),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0].serverName).toBe('localhost');
    expect(seen[0].certificateAuthorities).toHaveLength(1);
    expect(seen[0].signatureSchemes).toContain(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(seen[0].signatureSchemes).not.toContain(SignatureScheme.rsa_pkcs1_sha256);
    expect(seen[0].certificateSignatureSchemes).toContain(SignatureScheme.rsa_pkcs1_sha256);
    expect(equalBytes(s.info.peerCertificates[0], right.der)).toBe(true);
  });

  it('without certificate_authorities the resolver sees none; undefined sends no certificate', async () => {
    const seen: CertificateRequestInfo[] = [];
    const verifier = webpkiClientVerifier({ roots: [rootPem], sendCertificateAuthorities: false });
    const { s } = await connect(
      clientConfig({
        clientCertResolver: (request) => {
          seen.push(request);
          return undefined;
        },
      }),
      await serverConfig({ clientAuth: 'optional', clientVerifier: verifier }),
    );
    expect(seen[0].certificateAuthorities).toEqual([]);
    expect(s.handshakeComplete).toBe(true);
    expect(s.info.peerCertificates).toEqual([]);
  });

  it('a server that does not ask gets no certificate and calls no resolver', async () => {
    let called = false;
    const mine = await p256Client();
    const { s } = await connect(
      clientConfig({
        clientCertificate: mine,
        clientCertResolver: () => {
          called = true;
          return mine;
        },
      }),
      await serverConfig({ clientAuth: 'none' }),
    );
    expect(s.handshakeComplete).toBe(true);
    expect(called).toBe(false);
    expect(s.info.peerCertificates).toEqual([]);
  });

  it('a resolver that throws ends the handshake with internal_error', async () => {
    const c = new ClientConnection(
      clientConfig({
        clientCertResolver: () => {
          throw new Error('no keys here');
        },
      }),
      { serverName: 'localhost' },
    );
    const s = new ServerConnection(await serverConfig());
    await expect(pump(c, s)).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });

  it('clientAuth without a verifier or roots is a CONFIG error', async () => {
    const config = await serverConfig({ clientRoots: undefined });
    expect(() => new ServerConnection(config)).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });
});

describe('client keys held in WebCrypto (subtle provider)', () => {
  const provider = subtleProvider();

  async function run(key: TestKey, cryptoKey: CryptoKey, scheme: string) {
    const cert = await clientCert(root, key);
    const mine = await certifiedKeyFromCryptoKey([cert.der], cryptoKey, provider);
    const c = new ClientConnection(
      { provider, roots: [certs.caPem], clientCertificate: mine },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'required',
      clientRoots: [root.der],
    });
    await pump(c, s);
    expect(s.handshakeComplete).toBe(true);
    expect(s.info.verification).toBe('OK');
    expect(s.info.peerSignatureScheme).toBe(scheme);
  }

  it('a non-extractable ECDSA P-256 key', async () => {
    const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    expect(pair.privateKey.extractable).toBe(false);
    await run(await keyFrom(pair), pair.privateKey, 'ecdsa_secp256r1_sha256');
  });

  it('a non-extractable ECDSA P-384 key', async () => {
    const pair = (await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    await run(await keyFrom(pair), pair.privateKey, 'ecdsa_secp384r1_sha384');
  });

  it('a non-extractable Ed25519 key', async () => {
    const pair = (await subtle.generateKey({ name: 'Ed25519' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    await run(await keyFrom(pair), pair.privateKey, 'ed25519');
  });

  it('a non-extractable RSA-PSS key (rsaEncryption certificate, SHA-256)', async () => {
    const pair = (await subtle.generateKey(
      {
        name: 'RSA-PSS',
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      },
      false,
      ['sign', 'verify'],
    )) as CryptoKeyPair;
    await run(await keyFrom(pair), pair.privateKey, 'rsa_pss_rsae_sha256');
  });
});
