/**
 * FIPS mode: the `fips` provider offers only approved algorithms, a config using it that names
 * anything else is refused when the connection is built (with the item named), `info.fips`
 * reports the mode, and webtls completes handshakes with itself under it. Runtime-neutral.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { fipsProvider, subtleProvider } from '../../src/crypto/index.ts';
import { generateEchKey } from '../../src/ech/keys.ts';
import { TlsError } from '../../src/error.ts';
import { CipherSuite, NamedGroup, SignatureScheme } from '../../src/msgs/enums.ts';
import { fromUtf8, utf8 } from '../../src/util/bytes.ts';
import { pemBlocks } from '../../src/util/pem.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { rootCa, serverCert, type TestKey } from './helpers/x509-builder.ts';

const fips = fipsProvider();
const subtle = subtleProvider();
const G = NamedGroup;
const C = CipherSuite;

function pkcs8(pem: string): Uint8Array {
  return pemBlocks(pem).find((b) => b.label === 'PRIVATE KEY')!.der;
}

/** The TlsError a function throws (fails the test when it returns). */
function thrown(f: () => unknown): TlsError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error('expected a TlsError');
}

async function rejected(p: Promise<unknown>): Promise<TlsError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(TlsError);
    return e as TlsError;
  }
  throw new Error('expected a TlsError');
}

function client(extra: Partial<ClientConfig> = {}): ClientConnection {
  return new ClientConnection(
    { provider: fips, roots: [certs.caPem], ...extra },
    { serverName: 'localhost' },
  );
}

async function fipsServerConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    provider: fips,
    certificates: [await certifiedKey(fips, certs.p256CertPem, certs.p256KeyPem)],
    ...extra,
  };
}

/** An RSA key of `bits` from WebCrypto, with its SPKI and PKCS#8. */
async function rsaKey(bits: number) {
  const pair = (await crypto.subtle.generateKey(
    {
      name: 'RSA-PSS',
      modulusLength: bits,
      publicExponent: new Uint8Array([1, 0, 1]),
      hash: 'SHA-256',
    },
    true,
    ['sign', 'verify'],
  )) as CryptoKeyPair;
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  const der = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const testKey: TestKey = { pair, spki, id: spki.slice(-20) };
  return { pair, spki, pkcs8: der, testKey };
}

describe('fips provider', () => {
  it('offers only AES-GCM suites, P-256/P-384 and SHA-2 signature schemes', () => {
    expect(fips.fips).toBe(true);
    expect(fips.name).toBe('fips');
    expect([...fips.cipherSuites]).toEqual([C.TLS_AES_128_GCM_SHA256, C.TLS_AES_256_GCM_SHA384]);
    expect([...fips.groups]).toEqual([G.secp256r1, G.secp384r1]);
    expect(fips.signatureSchemes).not.toContain(SignatureScheme.ed25519);
    expect(fips.signatureSchemes).toContain(SignatureScheme.rsa_pss_rsae_sha256);
    expect(fips.keyExchange(G.x25519)).toBeUndefined();
    expect(fips.keyExchange(G.X25519MLKEM768)).toBeUndefined();
    expect(fips.keyExchange(G.secp256r1)?.fips).toBe(true);
  });

  it('refuses ChaCha20-Poly1305 and SHA-1 instead of falling back to @noble', async () => {
    const chacha = await rejected(fips.aead('CHACHA20-POLY1305', new Uint8Array(32)));
    expect(chacha.code).toBe('CONFIG');
    expect(chacha.message).toContain('CHACHA20-POLY1305');
    expect((await rejected(fips.digest('SHA-1', new Uint8Array(1)))).message).toContain('SHA-1');
    const aes = await fips.aead('AES-128-GCM', new Uint8Array(16));
    const sealed = await aes.seal(new Uint8Array(12), new Uint8Array(0), utf8('x'));
    expect(sealed.length).toBe(17);
  });

  it('refuses an Ed25519 signing key and Ed25519 signatures', async () => {
    const key = await rejected(fips.signingKey({ pkcs8: pkcs8(certs.ed25519KeyPem) }));
    expect(key.code).toBe('CONFIG');
    expect(key.message).toContain('Ed25519');
    const spki = new Uint8Array([
      ...[0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00],
      ...new Uint8Array(32).fill(1),
    ]);
    const verify = await rejected(
      fips.verify(SignatureScheme.ed25519, spki, new Uint8Array(1), new Uint8Array(64)),
    );
    expect(verify.code).toBe('UNSUPPORTED_CERTIFICATE');
    expect(verify.message).toContain('ed25519');
  });

  it('refuses RSA-1024 keys for signing (PKCS#8 and CryptoKey) and for verifying', async () => {
    const rsa = await rsaKey(1024);
    const fromPkcs8 = await rejected(fips.signingKey({ pkcs8: rsa.pkcs8 }));
    expect(fromPkcs8.code).toBe('CONFIG');
    expect(fromPkcs8.message).toContain('RSA-1024');
    const fromCryptoKey = await rejected(
      fips.signingKey({
        cryptoKey: rsa.pair.privateKey,
        schemes: [SignatureScheme.rsa_pss_rsae_sha256],
      }),
    );
    expect(fromCryptoKey.message).toContain('RSA-1024');
    const signature = new Uint8Array(128);
    const verify = await rejected(
      fips.verify(SignatureScheme.rsa_pss_rsae_sha256, rsa.spki, utf8('m'), signature),
    );
    expect(verify.code).toBe('UNSUPPORTED_CERTIFICATE');
    expect(verify.message).toContain('RSA-1024');
  });

  it('signs and verifies with RSA-2048 (PSS and PKCS#1 v1.5) and ECDSA P-256', async () => {
    const rsa = await fips.signingKey({ pkcs8: pkcs8(certs.rsaKeyPem) });
    expect(rsa.schemes).toContain(SignatureScheme.rsa_pss_rsae_sha256);
    expect(rsa.schemes).toContain(SignatureScheme.rsa_pkcs1_sha256);
    const ecdsa = await fips.signingKey({ pkcs8: pkcs8(certs.p256KeyPem) });
    expect([...ecdsa.schemes]).toEqual([SignatureScheme.ecdsa_secp256r1_sha256]);
    const rsa2048 = await rsaKey(2048);
    const key = await fips.signingKey({ pkcs8: rsa2048.pkcs8 });
    for (const scheme of [SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pkcs1_sha256]) {
      const sig = await key.sign(scheme, utf8('signed'));
      expect(await fips.verify(scheme, rsa2048.spki, utf8('signed'), sig)).toBe(true);
      expect(await fips.verify(scheme, rsa2048.spki, utf8('other'), sig)).toBe(false);
    }
  });
});

describe('FIPS mode at config build', () => {
  it.each([
    ['X25519', G.x25519],
    ['X25519MLKEM768', G.X25519MLKEM768],
    ['X448', G.x448],
  ])('refuses the group %s', (name, group) => {
    const error = thrown(() => client({ groups: [G.secp256r1, group] }));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain(`group ${name}`);
  });

  it('refuses a server config naming X25519', async () => {
    const config = await fipsServerConfig({ groups: [G.secp384r1, G.x25519] });
    const error = thrown(() => new ServerConnection(config));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('group X25519');
  });

  it.each([
    ['TLS_CHACHA20_POLY1305_SHA256', C.TLS_CHACHA20_POLY1305_SHA256],
    ['TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', C.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256],
  ])('refuses the suite %s even beside approved ones', (name, suite) => {
    const error = thrown(() => client({ cipherSuites: [C.TLS_AES_128_GCM_SHA256, suite] }));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain(name);
  });

  it('refuses an Ed25519 server certificate loaded through another provider', async () => {
    const ed = await certifiedKey(subtle, certs.ed25519CertPem, certs.ed25519KeyPem);
    const config = await fipsServerConfig({ certificates: [ed] });
    const error = thrown(() => new ServerConnection(config));
    expect(error.code).toBe('CONFIG');
    expect(error.message).toContain('Ed25519 key of certificate');
  });

  it('refuses an RSA-1024 server certificate and client certificate', async () => {
    const root = await rootCa('fips test root');
    const rsa = await rsaKey(1024);
    const leaf = await serverCert(root, { key: rsa.testKey });
    const weak = { chain: [leaf.der], key: await subtle.signingKey({ pkcs8: rsa.pkcs8 }) };
    const server = thrown(() => new ServerConnection({ provider: fips, certificates: [weak] }));
    expect(server.code).toBe('CONFIG');
    expect(server.message).toContain('RSA-1024');
    expect(thrown(() => client({ clientCertificate: weak })).message).toContain('RSA-1024');
  });

  it("refuses a client certificate resolver's Ed25519 answer during the handshake", async () => {
    const ed = await certifiedKey(subtle, certs.ed25519CertPem, certs.ed25519KeyPem);
    const c = client({ clientCertResolver: () => ed });
    const s = new ServerConnection(
      await fipsServerConfig({ clientAuth: 'required', clientRoots: [certs.caPem] }),
    );
    const error = await rejected(pump(c, s));
    expect(error.code).toBe('INTERNAL_ERROR');
    expect(String((error.cause as Error).message)).toContain('FIPS mode refuses the Ed25519 key');
  });

  it('refuses TLS 1.2 without the extended master secret, not TLS 1.3 alone', () => {
    const error = thrown(() => client({ requireExtendedMasterSecret: false }));
    expect(error.message).toContain('extended master secret');
    const tls13 = client({ requireExtendedMasterSecret: false, minVersion: 'TLSv1.3' });
    expect(tls13.info.fips).toBe(true);
  });

  it('refuses Encrypted Client Hello on a server', async () => {
    const key = await generateEchKey({ publicName: 'public.example' });
    const config = await fipsServerConfig({ ech: { keys: [key] } });
    expect(thrown(() => new ServerConnection(config)).message).toContain('Encrypted Client Hello');
  });

  it('reports fips for a P-256 and AES-GCM config, on both sides', async () => {
    const c = client({ groups: [G.secp256r1], cipherSuites: [C.TLS_AES_128_GCM_SHA256] });
    expect(c.info.fips).toBe(true);
    expect(client().info.fips).toBe(true);
    expect(new ServerConnection(await fipsServerConfig()).info.fips).toBe(true);
  });

  it('reports no fips for the default subtle config (X25519 in effect) or any subtle one', () => {
    const conn = (extra: Partial<ClientConfig>) =>
      new ClientConnection({ provider: subtle, ...extra }, { serverName: 'localhost' });
    expect(conn({}).info.fips).toBe(false);
    // Approved algorithms alone are not FIPS mode: subtle may fall back to @noble.
    expect(
      conn({ groups: [G.secp256r1], cipherSuites: [C.TLS_AES_128_GCM_SHA256] }).info.fips,
    ).toBe(false);
    // And subtle still accepts what FIPS mode refuses.
    expect(conn({ groups: [G.x25519] }).info.fips).toBe(false);
  });
});

describe('FIPS mode handshakes, webtls to webtls', () => {
  it('completes TLS 1.3 with an approved suite and group, and exchanges data', async () => {
    const c = client();
    const s = new ServerConnection(await fipsServerConfig());
    await pump(c, s);
    expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
    expect(c.info.protocol).toBe('TLSv1.3');
    expect(c.info.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
    expect(c.info.group).toBe('P-256');
    expect(c.info.verification).toBe('OK');
    expect(c.info.fips && s.info.fips).toBe(true);
    await c.write(utf8('ping'));
    await pump(c, s);
    expect(fromUtf8(s.read()!)).toBe('ping');
  });

  it('completes TLS 1.3 with P-384, AES-256-GCM and an RSA-2048 certificate (RSA-PSS)', async () => {
    const rsa = await certifiedKey(fips, certs.rsaCertPem, certs.rsaKeyPem);
    const c = client({ groups: [G.secp384r1], cipherSuites: [C.TLS_AES_256_GCM_SHA384] });
    const s = new ServerConnection(await fipsServerConfig({ certificates: [rsa] }));
    await pump(c, s);
    expect(c.info.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
    expect(c.info.group).toBe('P-384');
    expect(c.info.peerSignatureScheme).toMatch(/^rsa_pss_rsae_sha/);
  });

  it('completes TLS 1.2 with ECDHE-ECDSA-AES128-GCM and the extended master secret', async () => {
    const c = client({ maxVersion: 'TLSv1.2' });
    const s = new ServerConnection(await fipsServerConfig());
    await pump(c, s);
    expect(c.info.protocol).toBe('TLSv1.2');
    expect(c.info.cipherSuite).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
    expect(c.info.group).toBe('P-256');
    expect(s.info.fips).toBe(true);
  });

  it('brings a default client (X25519 shares first) to P-256 through HelloRetryRequest', async () => {
    const c = new ClientConnection(
      { provider: subtle, roots: [certs.caPem] },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection(await fipsServerConfig());
    await pump(c, s);
    expect(s.info.helloRetry).toBe(true);
    expect(s.info.group).toBe('P-256');
    expect(s.info.cipherSuite).toBe('TLS_AES_128_GCM_SHA256');
    expect(s.info.fips).toBe(true);
    expect(c.info.fips).toBe(false);
  });

  it("fails on a peer's RSA-1024 certificate with unsupported_certificate", async () => {
    const root = await rootCa('fips test root');
    const rsa = await rsaKey(1024);
    const leaf = await serverCert(root, { key: rsa.testKey });
    const weak = { chain: [leaf.der], key: await subtle.signingKey({ pkcs8: rsa.pkcs8 }) };
    const c = client({ roots: [root.der] });
    const s = new ServerConnection({ provider: subtle, certificates: [weak] });
    const error = await rejected(pump(c, s));
    expect(error.code).toBe('UNSUPPORTED_CERTIFICATE');
    expect(error.message).toContain('RSA-1024');
    expect(c.failed).toBe(error);
  });
});
