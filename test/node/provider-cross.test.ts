/**
 * The node provider against the others: primitives sealed, shared or signed by one provider and
 * checked by another, and full handshakes in memory between a node-provider side and a subtle-
 * or noble-provider side, for every TLS 1.3 group and suite, every certificate type, and every
 * TLS 1.2 suite and group. Plus what only the node provider has: plain Uint8Array results and
 * its public-key cache.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import {
  type CryptoProvider,
  nobleProvider,
  subtleProvider,
  TLS12_SUITES,
} from '../../src/crypto/index.ts';
import { ecPkcs8 } from '../../src/crypto/pkcs8.ts';
import { CipherSuite, NamedGroup, SignatureScheme as S } from '../../src/msgs/enums.ts';
import { nodeProvider } from '../../src/node/index.ts';
import { bufferSource, fromHex, fromUtf8, toHex, utf8 } from '../../src/util/bytes.ts';
import { pemBlocks } from '../../src/util/pem.ts';
import { parseCertificate } from '../../src/verify/x509.ts';
import { rejectionCode } from '../unit/crypto-providers.ts';
import * as certs from '../unit/data/certs.ts';
import { certifiedKey, pump } from '../unit/helpers/loopback.ts';

const node = nodeProvider();
const subtle = subtleProvider();
const noble = nobleProvider();
const OTHERS: [string, CryptoProvider][] = [
  ['subtle', subtle],
  ['noble', noble],
];

const GROUPS: [string, number][] = [
  ['X25519MLKEM768', NamedGroup.X25519MLKEM768],
  ['X25519', NamedGroup.x25519],
  ['P-256', NamedGroup.secp256r1],
  ['P-384', NamedGroup.secp384r1],
];
const SUITES: [string, number][] = [
  ['TLS_AES_128_GCM_SHA256', CipherSuite.TLS_AES_128_GCM_SHA256],
  ['TLS_AES_256_GCM_SHA384', CipherSuite.TLS_AES_256_GCM_SHA384],
  ['TLS_CHACHA20_POLY1305_SHA256', CipherSuite.TLS_CHACHA20_POLY1305_SHA256],
];

function pkcs8(pem: string): Uint8Array {
  return pemBlocks(pem).find((b) => b.label === 'PRIVATE KEY')!.der;
}

/** The SubjectPublicKeyInfo of a PEM certificate. */
function spkiOf(certPem: string): Uint8Array {
  return parseCertificate(pemBlocks(certPem)[0].der).spki;
}

describe.each(OTHERS)('node provider and the %s provider agree', (_name, other) => {
  it.each(['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const)(
    '%s: each opens what the other seals, byte for byte the same',
    async (alg) => {
      const key = node.random(alg === 'AES-128-GCM' ? 16 : 32);
      const [a, b] = await Promise.all([node.aead(alg, key), other.aead(alg, key)]);
      for (const size of [0, 1, 255, 16_384]) {
        const nonce = node.random(12);
        const aad = node.random(13);
        const pt = node.random(size);
        const mine = await a.seal(nonce, aad, pt);
        expect(toHex(await b.seal(nonce, aad, pt))).toBe(toHex(mine));
        expect(toHex(await b.open(nonce, aad, mine))).toBe(toHex(pt));
        expect(toHex(await a.open(nonce, aad, await b.seal(nonce, aad, pt)))).toBe(toHex(pt));
      }
    },
  );

  it.each(['AES-128-GCM', 'AES-256-GCM', 'CHACHA20-POLY1305'] as const)(
    '%s: sealInPlace writes into the buffer what seal returns, and the other opens it',
    async (alg) => {
      const key = node.random(alg === 'AES-128-GCM' ? 16 : 32);
      const [a, b] = await Promise.all([node.aead(alg, key), other.aead(alg, key)]);
      for (const size of [0, 1, 16_385]) {
        const nonce = node.random(12);
        const aad = node.random(5);
        const pt = node.random(size);
        const data = new Uint8Array(size + 16);
        data.set(pt);
        await a.sealInPlace!(nonce, aad, data);
        expect(toHex(data)).toBe(toHex(await a.seal(nonce, aad, pt)));
        expect(toHex(await b.open(nonce, aad, data))).toBe(toHex(pt));
      }
    },
  );

  it.each(GROUPS)('%s: the same secret with either side as client', async (_g, group) => {
    for (const [client, server] of [
      [node, other],
      [other, node],
    ]) {
      const share = await client.keyExchange(group)!.generate();
      const answer = await server.keyExchange(group)!.encapsulate(share.publicKey);
      expect(toHex(await share.complete(answer.share))).toBe(toHex(answer.secret));
    }
  });

  it('hashes, HMAC and HKDF give the same bytes', async () => {
    const data = node.random(1000);
    const key = node.random(48);
    for (const alg of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'] as const) {
      expect(toHex(await node.digest(alg, data))).toBe(toHex(await other.digest(alg, data)));
      expect(toHex(await node.hmac(alg, key, data))).toBe(toHex(await other.hmac(alg, key, data)));
    }
    for (const alg of ['SHA-256', 'SHA-384'] as const) {
      const prk = await node.hkdfExtract(alg, key, data);
      expect(toHex(prk)).toBe(toHex(await other.hkdfExtract(alg, key, data)));
      for (const length of [0, 12, 32, 48, 100]) {
        expect(toHex(await node.hkdfExpand(alg, prk, utf8('tls13 key'), length))).toBe(
          toHex(await other.hkdfExpand(alg, prk, utf8('tls13 key'), length)),
        );
      }
    }
  });
});

describe('node provider signatures, checked by the other providers', () => {
  const message = utf8('TLS 1.3, server CertificateVerify');
  const keys: [string, string, string][] = [
    ['P-256', certs.p256CertPem, certs.p256KeyPem],
    ['P-384', certs.p384CertPem, certs.p384KeyPem],
    ['Ed25519', certs.ed25519CertPem, certs.ed25519KeyPem],
    ['RSA', certs.rsaCertPem, certs.rsaKeyPem],
  ];

  it.each(keys)('%s: every scheme the node key signs verifies everywhere', async (_n, c, k) => {
    const spki = spkiOf(c);
    const signer = await node.signingKey({ pkcs8: pkcs8(k) });
    expect(signer.schemes.length).toBeGreaterThan(0);
    for (const scheme of signer.schemes) {
      const sig = await signer.sign(scheme, message);
      for (const verifier of [node, subtle, noble]) {
        expect(await verifier.verify(scheme, spki, message, sig)).toBe(true);
        expect(await verifier.verify(scheme, spki, utf8('another message'), sig)).toBe(false);
      }
    }
  });

  it.each(keys.filter(([n]) => n !== 'RSA'))(
    '%s: the node provider verifies what noble signs',
    async (_n, c, k) => {
      const spki = spkiOf(c);
      const signer = await noble.signingKey({ pkcs8: pkcs8(k) });
      const sig = await signer.sign(signer.schemes[0], message);
      expect(await node.verify(signer.schemes[0], spki, message, sig)).toBe(true);
    },
  );
});

describe('node provider specifics', () => {
  const isPlain = (b: Uint8Array) => Object.getPrototypeOf(b) === Uint8Array.prototype;

  it('hands the core plain Uint8Arrays, never Buffers (whose slice() shares memory)', async () => {
    const aead = await node.aead('AES-128-GCM', new Uint8Array(16));
    const sealed = await aead.seal(new Uint8Array(12), new Uint8Array(0), utf8('x'));
    const share = await node.keyExchange(NamedGroup.x25519)!.generate();
    const answer = await node.keyExchange(NamedGroup.x25519)!.encapsulate(share.publicKey);
    const p256 = await node.keyExchange(NamedGroup.secp256r1)!.generate();
    const signer = await node.signingKey({ pkcs8: pkcs8(certs.p256KeyPem) });
    for (const b of [
      await node.digest('SHA-256', utf8('x')),
      await node.hmac('SHA-256', utf8('k'), utf8('x')),
      await node.hkdfExtract('SHA-256', new Uint8Array(0), utf8('x')),
      await node.hkdfExpand('SHA-256', new Uint8Array(32), utf8('x'), 32),
      sealed,
      await aead.open(new Uint8Array(12), new Uint8Array(0), sealed),
      share.publicKey,
      answer.share,
      answer.secret,
      p256.publicKey,
      await signer.sign(S.ecdsa_secp256r1_sha256, utf8('x')),
      node.random(4),
    ]) {
      expect(isPlain(b)).toBe(true);
    }
  });

  it('seals in place but opens into its own buffer (in place would add a copy)', async () => {
    const aead = await node.aead('AES-128-GCM', new Uint8Array(16));
    expect(aead.sealInPlace).toBeTypeOf('function');
    expect(aead.openInPlace).toBeUndefined();
    expect(
      await rejectionCode(aead.sealInPlace!(new Uint8Array(12), utf8(''), new Uint8Array(15))),
    ).toBe('not a TlsError: RangeError: no room for the AEAD tag');
  });

  it('rejects a P-256 share whose x-coordinate is not below p (RFC 8446 §4.2.8.2)', async () => {
    const p = 'ffffffff00000001000000000000000000000000ffffffffffffffffffffffff';
    const good = (await node.keyExchange(NamedGroup.secp256r1)!.generate()).publicKey;
    const bad = good.slice();
    bad.set(fromHex(p), 1);
    expect(await rejectionCode(node.keyExchange(NamedGroup.secp256r1)!.encapsulate(bad))).toBe(
      'ILLEGAL_PARAMETER',
    );
  });

  it('refuses EC private keys outside [1, n-1] with CONFIG (OpenSSL would sign with them)', async () => {
    const n = 'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551';
    for (const d of [fromHex(n), new Uint8Array(32)]) {
      expect(await rejectionCode(node.signingKey({ pkcs8: ecPkcs8('P-256', d) }))).toBe('CONFIG');
    }
  });

  it('verifies correctly across more keys than its cache holds, and after eviction', async () => {
    const message = utf8('cache');
    const pairs: { spki: Uint8Array; sig: Uint8Array }[] = [];
    for (let i = 0; i < 70; i++) {
      const pair = (await crypto.subtle.generateKey({ name: 'Ed25519' }, true, [
        'sign',
        'verify',
      ])) as CryptoKeyPair;
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
      const sig = new Uint8Array(
        await crypto.subtle.sign('Ed25519', pair.privateKey, bufferSource(message)),
      );
      pairs.push({ spki, sig });
    }
    const verifier = nodeProvider();
    for (const round of [0, 1]) {
      for (const [i, { spki, sig }] of pairs.entries()) {
        expect(await verifier.verify(S.ed25519, spki, message, sig), `${round}/${i}`).toBe(true);
        // Another key's signature must fail under this key, cached or not.
        const other = pairs[(i + 1) % pairs.length].sig;
        expect(await verifier.verify(S.ed25519, spki, message, other)).toBe(false);
      }
    }
  });
});

/** An in-memory TLS 1.3 handshake plus a round trip of data; returns both sides. */
async function handshake(client: ClientConfig, server: ServerConfig) {
  const c = new ClientConnection(client, { serverName: 'localhost' });
  const s = new ServerConnection(server);
  await pump(c, s);
  expect(c.handshakeComplete).toBe(true);
  expect(s.handshakeComplete).toBe(true);
  expect(c.info.verification).toBe('OK');
  await c.write(utf8('ping'));
  await pump(c, s);
  expect(fromUtf8(s.read()!)).toBe('ping');
  await s.write(new Uint8Array(40_000).fill(9));
  await pump(c, s);
  let got = 0;
  for (let chunk = c.read(); chunk; chunk = c.read()) got += chunk.length;
  expect(got).toBe(40_000);
  return { c, s };
}

/** [label, client provider, server provider]: node on one side, another provider on the other. */
const PAIRS: [string, CryptoProvider, CryptoProvider][] = [
  ['node client, subtle server', node, subtle],
  ['subtle client, node server', subtle, node],
  ['node client, noble server', node, noble],
  ['noble client, node server', noble, node],
  ['node client, node server', node, node],
];

describe.each(PAIRS)('TLS 1.3 in memory: %s', (_label, clientProvider, serverProvider) => {
  const serverConfig = async (cert: string, key: string): Promise<ServerConfig> => ({
    provider: serverProvider,
    certificates: [await certifiedKey(serverProvider, cert, key)],
  });
  const clientConfig = (extra: Partial<ClientConfig>): ClientConfig => ({
    provider: clientProvider,
    roots: [certs.caPem],
    ...extra,
  });

  it.each(GROUPS.flatMap(([g, group]) => SUITES.map(([s, suite]) => [g, group, s, suite])))(
    '%s, %s',
    async (g, group, s, suite) => {
      const server = await serverConfig(certs.p256CertPem, certs.p256KeyPem);
      const client = clientConfig({ groups: [group as number], cipherSuites: [suite as number] });
      const { c, s: srv } = await handshake(client, server);
      expect(c.info.group).toBe(g);
      expect(srv.info.cipherSuite).toBe(s);
    },
  );

  it.each([
    ['P-384', certs.p384CertPem, certs.p384KeyPem],
    ['Ed25519', certs.ed25519CertPem, certs.ed25519KeyPem],
    ['RSA', certs.rsaCertPem, certs.rsaKeyPem],
  ])('authenticates with a %s certificate', async (n, cert, key) => {
    if (n === 'RSA' && serverProvider === noble) return; // noble signs no RSA (documented)
    const { c } = await handshake(clientConfig({}), await serverConfig(cert, key));
    expect(c.info.peerSubject).toContain('localhost');
  });
});

describe.each(PAIRS)('TLS 1.2 in memory: %s', (_label, clientProvider, serverProvider) => {
  const cases = TLS12_SUITES.filter(
    (suite) => suite.auth !== 'RSA' || serverProvider !== noble,
  ).flatMap((suite) => GROUPS.slice(1).map(([g, group]) => [suite.name, g, suite, group] as const));

  it.each(cases)('%s over %s', async (_n, g, suite, group) => {
    const [cert, key] =
      suite.auth === 'RSA'
        ? [certs.rsaCertPem, certs.rsaKeyPem]
        : [certs.p256CertPem, certs.p256KeyPem];
    const server: ServerConfig = {
      provider: serverProvider,
      certificates: [await certifiedKey(serverProvider, cert, key)],
      maxVersion: 'TLSv1.2',
      // The server's choice is the group under test.
      groups: [group],
    };
    const client: ClientConfig = {
      provider: clientProvider,
      roots: [certs.caPem],
      cipherSuites: [suite.code],
      // RFC 8422 §4: the client lists the ECDSA certificate's curve.
      groups: group === NamedGroup.secp256r1 ? [group] : [group, NamedGroup.secp256r1],
    };
    const { c } = await handshake(client, server);
    expect(c.info.protocol).toBe('TLSv1.2');
    expect(c.info.cipherSuite).toBe(suite.name);
    expect(c.info.group).toBe(g);
  });
});
