import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import type { TlsEvent } from '../../src/conn/types.ts';
import { nobleProvider, subtleProvider, TLS12_SUITES } from '../../src/crypto/index.ts';
import type { CryptoProvider } from '../../src/crypto/provider.ts';
import { decodeClientHello, encodeClientHello } from '../../src/msgs/client-hello.ts';
import {
  AlertDescription,
  CipherSuite,
  ExtensionType,
  HandshakeType,
  NamedGroup,
} from '../../src/msgs/enums.ts';
import { encodeHandshake } from '../../src/msgs/handshake.ts';
import { DOWNGRADE_TLS12_SENTINEL, decodeServerHello } from '../../src/msgs/server-hello.ts';
import { equalBytes, fromUtf8, utf8 } from '../../src/util/bytes.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';
import { plainAlert, plainHandshakes, record } from './helpers/wire.ts';

/**
 * TLS 1.2 between webtls client and server in memory: every suite, group and certificate type,
 * version negotiation, the downgrade sentinel, the extended master secret and the refusal of
 * renegotiation. Agreement with other implementations is proven in test/interop/tls12-*.
 */

const GROUPS: [string, number][] = [
  ['X25519', NamedGroup.x25519],
  ['P-256', NamedGroup.secp256r1],
  ['P-384', NamedGroup.secp384r1],
];

const CERTS: Record<'ECDSA' | 'RSA', [string, string, string][]> = {
  ECDSA: [
    ['P-256', certs.p256CertPem, certs.p256KeyPem],
    ['P-384', certs.p384CertPem, certs.p384KeyPem],
  ],
  RSA: [['RSA', certs.rsaCertPem, certs.rsaKeyPem]],
};

/** The group an ECDSA certificate's curve is (RFC 8422 §4: the client must list it). */
const CERT_CURVE: Record<string, number | undefined> = {
  'P-256': NamedGroup.secp256r1,
  'P-384': NamedGroup.secp384r1,
};

/** suite × group × certificate type for one provider (noble signs no RSA: ECDSA only). */
function matrix(noble: boolean): [string, number, string, number, string, string, string][] {
  const out: [string, number, string, number, string, string, string][] = [];
  for (const suite of TLS12_SUITES) {
    if (noble && suite.auth === 'RSA') continue;
    for (const [g, group] of GROUPS) {
      for (const [c, cert, key] of CERTS[suite.auth]) {
        out.push([suite.name, suite.code, g, group, c, cert, key]);
      }
    }
  }
  return out;
}

const providers: [string, () => CryptoProvider][] = [
  ['subtle', () => subtleProvider()],
  ['noble', () => nobleProvider()],
];

describe.each(providers)('TLS 1.2 loopback (%s provider)', (providerName, make) => {
  const provider = make();

  it.each(matrix(providerName === 'noble'))(
    '%s over %s with a %s certificate exchanges data both ways',
    async (suiteName, suite, groupName, group, certName, cert, key) => {
      // The client lists the certificate's curve too; the server prefers the group under test.
      const curve = CERT_CURVE[certName];
      const groups = curve === undefined || curve === group ? [group] : [group, curve];
      const clientLog: string[] = [];
      const serverLog: string[] = [];
      const c = new ClientConnection(
        {
          provider,
          roots: [certs.caPem],
          maxVersion: 'TLSv1.2',
          cipherSuites: [suite],
          groups,
          keyLog: (l) => clientLog.push(l),
        },
        { serverName: 'localhost' },
      );
      const s = new ServerConnection({
        provider,
        certificates: [await certifiedKey(provider, cert, key)],
        groups,
        keyLog: (l) => serverLog.push(l),
      });
      await pump(c, s);
      for (const side of [c, s]) {
        expect(side.handshakeComplete).toBe(true);
        expect(side.info.protocol).toBe('TLSv1.2');
        expect(side.info.cipherSuite).toBe(suiteName);
        expect(side.info.group).toBe(groupName);
        expect(side.info.resumed).toBe(false);
      }
      expect(c.info.verification).toBe('OK');
      // One CLIENT_RANDOM line (NSS key log format), the same on both sides.
      expect(clientLog).toHaveLength(1);
      expect(clientLog[0]).toMatch(/^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}$/);
      expect(serverLog).toEqual(clientLog);

      await c.write(utf8('ping'));
      await pump(c, s);
      expect(fromUtf8(s.read()!)).toBe('ping');
      // More than one record's worth, so records are split and sequence numbers advance.
      await s.write(new Uint8Array(40_000).fill(7));
      await pump(c, s);
      expect(c.read()!.length).toBe(40_000);
      await c.close();
      await pump(c, s);
      expect(s.peerClosed).toBe(true);
    },
  );
});

describe('TLS 1.2 negotiation', () => {
  const provider = subtleProvider();

  async function serverConfig(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
    return {
      provider,
      certificates: [
        await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem),
        await certifiedKey(provider, certs.rsaCertPem, certs.rsaKeyPem),
      ],
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

  /** The ServerHello a server answers a client's first flight with. */
  async function serverHelloFor(client: ClientConfig, server: ServerConfig) {
    const c = new ClientConnection(client, { serverName: 'localhost' });
    const s = new ServerConnection(server);
    await c.process();
    s.readTls(c.takeTls()!);
    await s.process();
    const sh = plainHandshakes(s.takeTls()!)[0];
    expect(sh.type).toBe(HandshakeType.server_hello);
    return decodeServerHello(sh.body);
  }

  it('two default peers agree on TLS 1.3', async () => {
    const { c, s } = await connect(clientConfig(), await serverConfig());
    expect(c.info.protocol).toBe('TLSv1.3');
    expect(s.info.protocol).toBe('TLSv1.3');
  });

  it('a default client reaches a TLS 1.2-only server', async () => {
    const { c } = await connect(clientConfig(), await serverConfig({ maxVersion: 'TLSv1.2' }));
    expect(c.info.protocol).toBe('TLSv1.2');
    expect(c.info.cipherSuite).toBe('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256');
  });

  it('a TLS 1.2-only client reaches a default server', async () => {
    const { c, s } = await connect(clientConfig({ maxVersion: 'TLSv1.2' }), await serverConfig());
    expect(c.info.protocol).toBe('TLSv1.2');
    expect(s.info.protocol).toBe('TLSv1.2');
  });

  it('an ECDSA certificate on a curve the client did not list is not used (RFC 8422 §4)', async () => {
    const failing = connect(
      clientConfig({
        maxVersion: 'TLSv1.2',
        groups: [NamedGroup.x25519],
        cipherSuites: [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
      }),
      await serverConfig(),
    );
    await expect(failing).rejects.toMatchObject({ code: 'HANDSHAKE_FAILURE' });
    // With an RSA suite offered as well, the server falls back to its RSA certificate.
    const { c } = await connect(
      clientConfig({ maxVersion: 'TLSv1.2', groups: [NamedGroup.x25519] }),
      await serverConfig(),
    );
    expect(c.info.cipherSuite).toBe('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256');
  });

  it('the server picks the suite by its own order and the certificate by the suite', async () => {
    const { c } = await connect(
      clientConfig({
        maxVersion: 'TLSv1.2',
        cipherSuites: [
          CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
          CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        ],
      }),
      await serverConfig({
        cipherSuites: [
          CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
          CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        ],
      }),
    );
    expect(c.info.cipherSuite).toBe('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256');
    expect(c.info.peerSignatureScheme).toMatch(/^rsa_pss_rsae_/);
  });

  it('a TLS 1.3-capable server sets the downgrade sentinel when it negotiates TLS 1.2', async () => {
    const sh = await serverHelloFor(clientConfig({ maxVersion: 'TLSv1.2' }), await serverConfig());
    expect(equalBytes(sh.random.subarray(24), DOWNGRADE_TLS12_SENTINEL)).toBe(true);
  });

  it('a TLS 1.2-only server does not set the sentinel', async () => {
    const sh = await serverHelloFor(clientConfig(), await serverConfig({ maxVersion: 'TLSv1.2' }));
    expect(equalBytes(sh.random.subarray(24), DOWNGRADE_TLS12_SENTINEL)).toBe(false);
  });

  it('a client that offered TLS 1.3 aborts on the sentinel (supported_versions stripped)', async () => {
    // An attacker removes supported_versions from the client's hello; the TLS 1.3-capable
    // server answers TLS 1.2 with the sentinel, and the client must notice (RFC 8446 §4.1.3).
    const c = new ClientConnection(clientConfig(), { serverName: 'localhost' });
    const s = new ServerConnection(await serverConfig());
    await c.process();
    const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
    hello.extensions = hello.extensions.filter(
      (e) => e.type !== ExtensionType.supported_versions && e.type !== ExtensionType.key_share,
    );
    s.readTls(record(22, encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello))));
    await s.process();
    c.readTls(s.takeTls()!);
    const err = await c.process().catch((e) => e);
    expect(err.code).toBe('ILLEGAL_PARAMETER');
    expect(plainAlert(c.takeTls())).toBe(AlertDescription.illegal_parameter);
  });

  it('no version in common → protocol_version', async () => {
    const failing = connect(
      clientConfig({ minVersion: 'TLSv1.3' }),
      await serverConfig({ maxVersion: 'TLSv1.2' }),
    );
    await expect(failing).rejects.toMatchObject({ code: 'PROTOCOL_VERSION' });
  });

  it('refuses a config whose minVersion is above its maxVersion', () => {
    expect(
      () =>
        new ClientConnection(clientConfig({ minVersion: 'TLSv1.3', maxVersion: 'TLSv1.2' }), {
          serverName: 'localhost',
        }),
    ).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  it('a TLS 1.2-only config with only TLS 1.3 suites is refused', () => {
    expect(
      () =>
        new ClientConnection(
          clientConfig({
            maxVersion: 'TLSv1.2',
            cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256],
          }),
          { serverName: 'localhost' },
        ),
    ).toThrow(expect.objectContaining({ code: 'CONFIG' }));
  });

  it('a client without extended_master_secret is refused with handshake_failure', async () => {
    const c = new ClientConnection(clientConfig({ maxVersion: 'TLSv1.2' }), {
      serverName: 'localhost',
    });
    const s = new ServerConnection(await serverConfig());
    await c.process();
    const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
    hello.extensions = hello.extensions.filter(
      (e) => e.type !== ExtensionType.extended_master_secret,
    );
    s.readTls(record(22, encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello))));
    const err = await s.process().catch((e) => e);
    expect(err.code).toBe('HANDSHAKE_FAILURE');
    expect(plainAlert(s.takeTls())).toBe(AlertDescription.handshake_failure);
  });

  it('a server without extended_master_secret is refused by the client', async () => {
    // The server is told it may go without (requireExtendedMasterSecret: false) and is shown a
    // hello without the extension, so its ServerHello lacks it; the real client requires it.
    const c = new ClientConnection(clientConfig({ maxVersion: 'TLSv1.2' }), {
      serverName: 'localhost',
    });
    const s = new ServerConnection(await serverConfig({ requireExtendedMasterSecret: false }));
    await c.process();
    const hello = decodeClientHello(plainHandshakes(c.takeTls()!)[0].body);
    hello.extensions = hello.extensions.filter(
      (e) => e.type !== ExtensionType.extended_master_secret,
    );
    s.readTls(record(22, encodeHandshake(HandshakeType.client_hello, encodeClientHello(hello))));
    await s.process();
    c.readTls(s.takeTls()!);
    const err = await c.process().catch((e) => e);
    expect(err.code).toBe('HANDSHAKE_FAILURE');
    expect(plainAlert(c.takeTls())).toBe(AlertDescription.handshake_failure);
  });

  it('KeyUpdate is refused on a TLS 1.2 connection', async () => {
    const { c } = await connect(clientConfig({ maxVersion: 'TLSv1.2' }), await serverConfig());
    await expect(c.keyUpdate()).rejects.toMatchObject({ code: 'INTERNAL_ERROR' });
  });
});

describe('TLS 1.2 renegotiation is refused, never performed (RFC 5746, RFC 5246 §7.2.2)', () => {
  const provider = subtleProvider();

  async function established() {
    const clientEvents: TlsEvent[] = [];
    const serverEvents: TlsEvent[] = [];
    const c = new ClientConnection(
      {
        provider,
        roots: [certs.caPem],
        maxVersion: 'TLSv1.2',
        onEvent: (e) => clientEvents.push(e),
      },
      { serverName: 'localhost' },
    );
    const s = new ServerConnection({
      provider,
      certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
      onEvent: (e) => serverEvents.push(e),
    });
    await pump(c, s);
    return { c, s, clientEvents, serverEvents };
  }

  const warned = (events: TlsEvent[]) =>
    events.some(
      (e) =>
        e.name === 'alert received' && e.detail?.description === AlertDescription.no_renegotiation,
    );

  it('a HelloRequest gets a no_renegotiation warning and the connection carries on', async () => {
    const { c, s, serverEvents } = await established();
    await s.sendHandshake(HandshakeType.hello_request, new Uint8Array(0), 'HelloRequest');
    await pump(c, s);
    expect(warned(serverEvents)).toBe(true);
    await c.write(utf8('still here'));
    await pump(c, s);
    expect(fromUtf8(s.read()!)).toBe('still here');
  });

  it('a ClientHello after the handshake gets a no_renegotiation warning', async () => {
    const { c, s, clientEvents } = await established();
    const other = new ClientConnection(
      { provider, roots: [certs.caPem], maxVersion: 'TLSv1.2' },
      { serverName: 'localhost' },
    );
    await other.process();
    const hello = plainHandshakes(other.takeTls()!)[0];
    await c.sendHandshake(HandshakeType.client_hello, hello.body, 'ClientHello (renegotiation)');
    await pump(c, s);
    expect(warned(clientEvents)).toBe(true);
    expect(s.info.protocol).toBe('TLSv1.2');
    await s.write(utf8('no'));
    await pump(c, s);
    expect(fromUtf8(c.read()!)).toBe('no');
  });

  it('a HelloRequest with a body is a decode_error', async () => {
    const { c, s } = await established();
    await s.sendHandshake(HandshakeType.hello_request, new Uint8Array(1), 'HelloRequest');
    const err = await pump(c, s).catch((e) => e);
    expect(err.code).toBe('DECODE_ERROR');
  });
});
