import { beforeAll, describe, expect, it } from 'vitest';
import { certifiedKeyFromCryptoKey } from '../../src/certified-key.ts';
import type { CertifiedKey, ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { ecdsaRawToDer } from '../../src/crypto/ecdsa-der.ts';
import { nobleProvider, subtleProvider } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import type { CertificateRequestInfo } from '../../src/handshake/client/client-auth.ts';
import { decodeCertificateRequest12 } from '../../src/msgs/certificate-request12.ts';
import {
  decodeCertificateVerify,
  encodeCertificateVerify,
} from '../../src/msgs/certificate-verify.ts';
import {
  AlertDescription,
  HandshakeType,
  NamedGroup,
  SignatureScheme,
} from '../../src/msgs/enums.ts';
import { MemorySessionStore } from '../../src/sessions/memory-store.ts';
import { MemorySessionCache } from '../../src/sessions/session-cache.ts';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { equalBytes, fromUtf8, utf8 } from '../../src/util/bytes.ts';
import { pemEncode } from '../../src/util/pem.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { handshakeRecord, plainHandshakes, record, splitRecords } from './helpers/wire.ts';
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
 * TLS 1.2 client authentication, webtls client against webtls server in memory: the
 * CertificateRequest (RFC 5246 §7.4.4), the client's Certificate (§7.4.6) and CertificateVerify
 * over the handshake messages (§7.4.8), the server's verdicts and alerts, and resumption turned
 * off while clients are authenticated. Agreement with other implementations is proven by
 * test/interop/client-auth12-interop.test.ts.
 */

const subtle = globalThis.crypto.subtle;

async function keyFrom(pair: CryptoKeyPair): Promise<TestKey> {
  const spki = new Uint8Array(await subtle.exportKey('spki', pair.publicKey));
  const id = new Uint8Array(await subtle.digest('SHA-256', spki)).slice(0, 20);
  return { pair, spki, id };
}

async function pkcs8Of(key: TestKey): Promise<Uint8Array> {
  return new Uint8Array(await subtle.exportKey('pkcs8', key.pair.privateKey));
}

function clientCert(issuer: TestCert, key: TestKey, extra: { eku?: string[] } = {}) {
  return issue({
    subject: name('client12', 'webtls tests'),
    key,
    issuer,
    ca: false,
    keyUsage: [0],
    eku: extra.eku ?? [CLIENT_AUTH],
  });
}

let root: TestCert;
let otherRoot: TestCert;
let rootPem: string;

beforeAll(async () => {
  root = await rootCa('webtls tls12 client root');
  otherRoot = await rootCa('webtls tls12 untrusted root');
  rootPem = pemEncode('CERTIFICATE', root.der);
});

const providers: [string, () => CryptoProvider][] = [
  ['subtle', () => subtleProvider()],
  ['noble', () => nobleProvider()],
];

describe.each(providers)('TLS 1.2 client authentication (%s provider)', (_name, make) => {
  const provider = make();

  async function serverConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
    return {
      provider,
      maxVersion: 'TLSv1.2',
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'required',
      clientRoots: [rootPem],
      ...extra,
    };
  }

  function clientConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
    return { provider, roots: [certs.caPem], sessionStore: null, ...extra };
  }

  async function connect(client: ClientConfig, server: ServerConfig) {
    const c = new ClientConnection(client, { serverName: 'localhost' });
    const s = new ServerConnection(server);
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    const flight = s.takeTls()!;
    c.readTls(flight);
    await pump(c, s);
    return { c, s, flight };
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

  /** The handshake messages of the server's first flight (all in the clear in TLS 1.2). */
  function serverMessages(flight: Uint8Array) {
    expect(splitRecords(flight).every((r) => r.type === 22)).toBe(true);
    return plainHandshakes(flight);
  }

  it('required: a P-256 client certificate is verified and reported, data flows', async () => {
    const mine = await p256Client();
    const { c, s, flight } = await connect(
      clientConfig({ clientCertificate: mine }),
      await serverConfig(),
    );
    expect(c.info.protocol).toBe('TLSv1.2');
    expect(s.handshakeComplete && c.handshakeComplete).toBe(true);
    expect(s.info.verification).toBe('OK');
    expect(s.info.peerCertificates).toHaveLength(1);
    expect(equalBytes(s.info.peerCertificates[0], mine.der)).toBe(true);
    expect(s.info.peerSubject).toBe('CN=client12,O=webtls tests');
    expect(s.info.peerSignatureScheme).toBe('ecdsa_secp256r1_sha256');

    // RFC 5246 §7.4.4: the request sits between ServerKeyExchange and ServerHelloDone.
    const types = serverMessages(flight).map((m) => m.type);
    expect(types).toEqual([
      HandshakeType.server_hello,
      HandshakeType.certificate,
      HandshakeType.server_key_exchange,
      HandshakeType.certificate_request,
      HandshakeType.server_hello_done,
    ]);
    const crMsg = serverMessages(flight).find((m) => m.type === HandshakeType.certificate_request);
    const cr = decodeCertificateRequest12(crMsg!.body);
    expect(cr.certificateTypes).toEqual([64, 1]);
    expect(cr.schemes).toContain(SignatureScheme.ecdsa_secp256r1_sha256);
    expect(cr.schemes).toContain(SignatureScheme.rsa_pkcs1_sha256);
    expect(cr.authorities).toHaveLength(1);
    expect(equalBytes(cr.authorities[0], root.name)).toBe(true);

    await c.write(utf8('hello'));
    await pump(c, s);
    expect(fromUtf8(s.read()!)).toBe('hello');
  });

  it('optional: a client without a certificate sends an empty one and completes', async () => {
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
    const { serverError, clientError } = await refused(
      clientConfig({ clientCertificate: mine }),
      await serverConfig({ clientAuth: 'optional' }),
    );
    expect(serverError).toMatchObject({ code: 'CERT_UNKNOWN_ISSUER' });
    expect(clientError).toMatchObject({ peerAlert: AlertDescription.unknown_ca });
  });

  it('none: no CertificateRequest, no certificate, no resolver call', async () => {
    let called = false;
    const mine = await p256Client();
    const { s, flight } = await connect(
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
    const types = serverMessages(flight).map((m) => m.type);
    expect(types).not.toContain(HandshakeType.certificate_request);
  });

  it('required: no certificate ends with handshake_failure (RFC 5246 §7.4.6)', async () => {
    const { serverError, clientError } = await refused(clientConfig(), await serverConfig());
    expect(serverError).toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    expect(clientError).toMatchObject({
      code: 'PEER_ALERT',
      peerAlert: AlertDescription.handshake_failure,
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

  it('the resolver sees the CAs, the TLS 1.2 schemes (PKCS#1 included) and the version', async () => {
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
    expect(seen[0].version).toBe('TLSv1.2');
    expect(seen[0].serverName).toBe('localhost');
    expect(seen[0].signatureSchemes).toContain(SignatureScheme.rsa_pkcs1_sha256);
    expect(equalBytes(s.info.peerCertificates[0], right.der)).toBe(true);
  });

  it('a P-256 key signing ecdsa_secp384r1_sha384 is accepted: TLS 1.2 binds no curve', async () => {
    const key = await newKey();
    const cert = await clientCert(root, key);
    // RFC 8422 §5.8 / RFC 5246 §7.4.1.4.1: the scheme names the hash; the curve is the key's.
    const sha384: CertifiedKey = {
      chain: [cert.der],
      key: {
        algorithm: 'ecdsa',
        schemes: [SignatureScheme.ecdsa_secp384r1_sha384],
        async sign(_scheme, data) {
          const params = { name: 'ECDSA', hash: 'SHA-384' };
          const raw = await subtle.sign(params, key.pair.privateKey, data.slice());
          return ecdsaRawToDer(new Uint8Array(raw));
        },
      },
    };
    const { s } = await connect(clientConfig({ clientCertificate: sha384 }), await serverConfig());
    expect(s.handshakeComplete).toBe(true);
    expect(s.info.peerSignatureScheme).toBe('ecdsa_secp384r1_sha384');
  });

  it('a server that authenticates clients neither issues nor resumes sessions', async () => {
    const mine = await p256Client();
    const store = new MemorySessionStore();
    const server = await serverConfig({
      ticketer: new AeadTicketer(),
      sessionCache: new MemorySessionCache(),
    });
    const client = clientConfig({ clientCertificate: mine, sessionStore: store });
    const first = await connect(client, server);
    expect(first.s.handshakeComplete).toBe(true);
    const second = await connect(client, server);
    expect(second.s.info.resumed).toBe(false);
    expect(second.s.info.verification).toBe('OK');
    expect(equalBytes(second.s.info.peerCertificates[0], mine.der)).toBe(true);

    // The control: the same configs without client authentication do resume.
    const anonymous = { ...server, clientAuth: 'none' as const };
    await connect(client, anonymous);
    const resumed = await connect(client, anonymous);
    expect(resumed.s.info.resumed).toBe(true);
  });
});

describe('TLS 1.2 client keys of every kind (subtle provider)', () => {
  const provider = subtleProvider();

  async function run(mine: CertifiedKey, scheme: string, serverGroups?: number[]) {
    const c = new ClientConnection(
      { provider, roots: [certs.caPem], maxVersion: 'TLSv1.2', clientCertificate: mine },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.rsaCertPem, certs.rsaKeyPem)],
      groups: serverGroups,
      clientAuth: 'required',
      clientRoots: [root.der],
    });
    await pump(c, s);
    expect(s.handshakeComplete).toBe(true);
    expect(s.info.protocol).toBe('TLSv1.2');
    expect(s.info.verification).toBe('OK');
    expect(s.info.peerSignatureScheme).toBe(scheme);
  }

  async function generated(params: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm) {
    const pair = (await subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
    const key = await keyFrom(pair);
    const cert = await clientCert(root, key);
    return { pair, key, cert };
  }

  const rsa = (name: string) => ({
    name,
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  });

  it('an ECDSA P-384 key from PKCS#8', async () => {
    const { key, cert } = await generated({ name: 'ECDSA', namedCurve: 'P-384' });
    const signing = await provider.signingKey({ pkcs8: await pkcs8Of(key) });
    await run({ chain: [cert.der], key: signing }, 'ecdsa_secp384r1_sha384', [NamedGroup.x25519]);
  });

  it('an Ed25519 key from PKCS#8', async () => {
    const { key, cert } = await generated({ name: 'Ed25519' });
    const signing = await provider.signingKey({ pkcs8: await pkcs8Of(key) });
    await run({ chain: [cert.der], key: signing }, 'ed25519');
  });

  it('an RSA key from PKCS#8 signs RSA-PSS', async () => {
    const { key, cert } = await generated(rsa('RSA-PSS'));
    const signing = await provider.signingKey({ pkcs8: await pkcs8Of(key) });
    await run({ chain: [cert.der], key: signing }, 'rsa_pss_rsae_sha256');
  });

  it('a non-extractable RSASSA-PKCS1-v1_5 CryptoKey signs rsa_pkcs1_sha256', async () => {
    const pair = (await subtle.generateKey(rsa('RSASSA-PKCS1-v1_5'), false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const cert = await clientCert(root, await keyFrom(pair));
    const mine = await certifiedKeyFromCryptoKey([cert.der], pair.privateKey, provider);
    expect(mine.key.schemes).toEqual([SignatureScheme.rsa_pkcs1_sha256]);
    await run(mine, 'rsa_pkcs1_sha256');
  });

  it('a PKCS#1-only key is not offered to a TLS 1.3 server (empty Certificate)', async () => {
    const pair = (await subtle.generateKey(rsa('RSASSA-PKCS1-v1_5'), false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    const cert = await clientCert(root, await keyFrom(pair));
    const mine = await certifiedKeyFromCryptoKey([cert.der], pair.privateKey, provider);
    const c = new ClientConnection(
      { provider, roots: [certs.caPem], clientCertificate: mine },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'optional',
      clientRoots: [root.der],
    });
    await pump(c, s);
    expect(s.info.protocol).toBe('TLSv1.3');
    expect(s.handshakeComplete).toBe(true);
    expect(s.info.peerCertificates).toEqual([]);
  });
});

type Message = { type: number; body: Uint8Array };

/**
 * Rewrites the clear handshake messages of a TLS 1.2 flight (those before its ChangeCipherSpec)
 * and keeps the records from the ChangeCipherSpec on as they were.
 */
function rewriteClear(wire: Uint8Array, edit: (messages: Message[]) => Message[]): Uint8Array {
  const records = splitRecords(wire);
  let ccs = records.findIndex((r) => r.type === 20);
  if (ccs < 0) ccs = records.length;
  const clear = records.slice(0, ccs).map((r) => record(r.type, r.body));
  const messages = edit(plainHandshakes(new Uint8Array(clear.flatMap((r) => [...r]))));
  const rest = records.slice(ccs).flatMap((r) => [...record(r.type, r.body)]);
  return new Uint8Array([...handshakeRecord(messages), ...rest]);
}

describe('TLS 1.2 client authentication: a peer that breaks the rules', () => {
  const provider = subtleProvider();

  async function setup(withCert = true) {
    const key = await newKey();
    const cert = await clientCert(root, key);
    const mine = {
      chain: [cert.der],
      key: await provider.signingKey({ pkcs8: await pkcs8Of(key) }),
    };
    const c = new ClientConnection(
      {
        provider,
        roots: [certs.caPem],
        maxVersion: 'TLSv1.2',
        clientCertificate: withCert ? mine : undefined,
      },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      clientAuth: 'optional',
      clientRoots: [root.der],
    });
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    return { c, s, serverFlight: s.takeTls()! };
  }

  /** Runs the client's answer through `edit` into the server; returns the server's error. */
  async function clientFlightEdited(edit: (messages: Message[]) => Message[], withCert = true) {
    const { c, s, serverFlight } = await setup(withCert);
    c.readTls(serverFlight);
    await c.process();
    s.readTls(rewriteClear(c.takeTls()!, edit));
    return s.process().then(
      () => undefined,
      (e: unknown) => e,
    );
  }

  it('the unedited flight completes (the control for the cases below)', async () => {
    const error = await clientFlightEdited((m) => m);
    expect(error).toBeUndefined();
  });

  it('ClientKeyExchange where the requested Certificate belongs: unexpected_message', async () => {
    const { c, s, serverFlight } = await setup();
    // The client never sees the request, so it sends no Certificate.
    c.readTls(
      rewriteClear(serverFlight, (m) =>
        m.filter((x) => x.type !== HandshakeType.certificate_request),
      ),
    );
    await c.process();
    s.readTls(c.takeTls()!);
    await expect(s.process()).rejects.toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
  });

  it('ChangeCipherSpec where the CertificateVerify belongs: unexpected_message', async () => {
    const error = await clientFlightEdited((m) =>
      m.filter((x) => x.type !== HandshakeType.certificate_verify),
    );
    expect(error).toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
  });

  it('a CertificateVerify after an empty Certificate: unexpected_message', async () => {
    const bogus = encodeCertificateVerify({
      algorithm: SignatureScheme.ecdsa_secp256r1_sha256,
      signature: new Uint8Array(70),
    });
    const error = await clientFlightEdited(
      (m) => [...m, { type: HandshakeType.certificate_verify, body: bogus }],
      false,
    );
    expect(error).toMatchObject({ code: 'UNEXPECTED_MESSAGE' });
  });

  it.each([
    ['a scheme the request did not list (rsa_pkcs1_sha1)', 0x0201, 'ILLEGAL_PARAMETER'],
    ['a listed scheme that does not fit the key (rsa_pkcs1_sha256)', 0x0401, 'ILLEGAL_PARAMETER'],
    ['another ECDSA hash over the same signature', 0x0503, 'DECRYPT_ERROR'],
  ])('a CertificateVerify with %s: %s', async (_what, algorithm, code) => {
    const error = await clientFlightEdited((m) =>
      m.map((x) => {
        if (x.type !== HandshakeType.certificate_verify) return x;
        const cv = decodeCertificateVerify(x.body);
        return { type: x.type, body: encodeCertificateVerify({ ...cv, algorithm }) };
      }),
    );
    expect(error).toMatchObject({ code });
  });

  it('a truncated CertificateVerify: decode_error', async () => {
    const error = await clientFlightEdited((m) =>
      m.map((x) =>
        x.type === HandshakeType.certificate_verify
          ? { type: x.type, body: x.body.subarray(0, x.body.length - 1) }
          : x,
      ),
    );
    expect(error).toMatchObject({ code: 'DECODE_ERROR' });
  });
});
