import { describe, expect, it } from 'vitest';
import type { CertCompressionAlgorithm } from '../../src/certcomp/algorithm.ts';
import { zlib } from '../../src/certcomp/zlib.ts';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { NamedGroup } from '../../src/msgs/enums.ts';
import type { ClientCertVerifier } from '../../src/verify/types.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';

/**
 * RFC 8879 certificate compression between webtls client and server in memory: the server's
 * certificate, the client's, each chain compressed once, and the limits on what a peer sends.
 * Each algorithm's codec is tested in certcomp.test.ts; Chromium and OpenSSL in interop tests.
 */

const provider = subtleProvider();
const sent: string[] = [];
const trackSends = (e: { type: string; name: string }) => {
  if (e.type === 'send') sent.push(e.name);
};

async function server(extra: Partial<ServerConfig> = {}): Promise<ServerConfig> {
  return {
    provider,
    certificates: [await certifiedKey(provider, certs.rsaCertPem, certs.rsaKeyPem)],
    certCompression: [zlib],
    ...extra,
  };
}

function client(extra: Partial<ClientConfig> = {}): ClientConfig {
  return { provider, roots: [certs.caPem], sessionStore: null, certCompression: [zlib], ...extra };
}

async function run(c: ClientConfig, s: ServerConfig) {
  const cc = new ClientConnection(c, { serverName: 'localhost' });
  const ss = new ServerConnection(s);
  await pump(cc, ss);
  return { c: cc, s: ss };
}

/** Accepts any client chain: these tests are about the message, not the path. */
const anyClient: ClientCertVerifier = {
  async verifyClient(chain) {
    return { chain: [...chain] } as never;
  },
};

describe('certificate compression, webtls to webtls', () => {
  it('the server sends its certificate zlib-compressed; both sides report the sizes', async () => {
    sent.length = 0;
    const { c, s } = await run(client(), await server({ onEvent: trackSends }));
    expect(sent).toContain('CompressedCertificate (zlib)');
    expect(sent).not.toContain('Certificate');
    expect(c.info.verification).toBe('OK');
    const match = /^zlib \((\d+) -> (\d+) bytes\)$/.exec(c.info.certCompression)!;
    expect(Number(match[2])).toBeLessThan(Number(match[1]));
    expect(s.info.certCompression).toBe(c.info.certCompression);
  });

  it('without a common algorithm the plain Certificate goes', async () => {
    sent.length = 0;
    const noCompress: CertCompressionAlgorithm = {
      id: 2,
      name: 'brotli',
      decompress: zlib.decompress,
    };
    const { c } = await run(
      client({ certCompression: [noCompress] }),
      await server({ onEvent: trackSends }),
    );
    expect(sent).toContain('Certificate');
    expect(c.info.certCompression).toBe('none');
    const plain = await run(client({ certCompression: [] }), await server());
    expect(plain.c.info.certCompression).toBe('none');
  });

  it('compresses each chain once per algorithm', async () => {
    let calls = 0;
    const counting: CertCompressionAlgorithm = {
      id: zlib.id,
      name: zlib.name,
      compress: (data) => {
        calls++;
        return zlib.compress!(data);
      },
      decompress: zlib.decompress,
    };
    const s = await server({ certCompression: [counting] });
    await run(client(), s);
    await run(client(), s);
    await run(client(), s);
    expect(calls).toBe(1);
  });

  it('the client compresses its certificate when the CertificateRequest asks', async () => {
    sent.length = 0;
    const { c, s } = await run(
      client({
        clientCertificate: await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem),
        onEvent: trackSends,
      }),
      await server({ clientAuth: 'required', clientVerifier: anyClient }),
    );
    expect(sent).toContain('CompressedCertificate (zlib)');
    expect(s.info.peerCertificates.length).toBeGreaterThan(0);
    expect(c.handshakeComplete && s.handshakeComplete).toBe(true);
  });

  it('a declared length over the handshake-message limit is bad_certificate', async () => {
    // X25519 only, so the ServerHello fits the small limit; the RSA chain does not.
    const c = new ClientConnection(
      client({ groups: [NamedGroup.x25519], limits: { maxHandshakeMessage: 700 } }),
      { serverName: 'localhost' },
    );
    const s = new ServerConnection(await server());
    await expect(pump(c, s)).rejects.toMatchObject({ code: 'BAD_CERTIFICATE' });
  });
});
