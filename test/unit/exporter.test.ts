import { describe, expect, it } from 'vitest';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { TlsError } from '../../src/error.ts';
import { utf8 } from '../../src/util/bytes.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';

/**
 * Keying material exporters (RFC 8446 §7.5, RFC 5705 §4) between webtls client and server in
 * memory: both sides derive the same bytes, labels and contexts separate them, and the engine
 * refuses before the handshake. Agreement with OpenSSL is proven in
 * test/interop/node-tls-compat-*.test.ts.
 */

async function pair(version: 'TLSv1.2' | 'TLSv1.3') {
  const provider = subtleProvider();
  const client = new ClientConnection(
    { provider, roots: [certs.caPem], minVersion: version, maxVersion: version },
    { serverName: 'localhost' },
  );
  const server = new ServerConnection({
    provider,
    minVersion: version,
    maxVersion: version,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
  });
  return { client, server };
}

describe.each(['TLSv1.3', 'TLSv1.2'] as const)('exporters, %s', (version) => {
  it('derive the same bytes on both sides, distinct per label and context', async () => {
    const { client, server } = await pair(version);
    await expect(client.exportKeyingMaterial('EXPORTER-x', undefined, 16)).rejects.toThrow(
      TlsError,
    );
    await pump(client, server);
    expect(client.handshakeComplete && server.handshakeComplete).toBe(true);

    const context = utf8('context');
    const a = await client.exportKeyingMaterial('EXPORTER-x', context, 64);
    expect(a).toHaveLength(64);
    expect(await server.exportKeyingMaterial('EXPORTER-x', context, 64)).toEqual(a);
    expect(await client.exportKeyingMaterial('EXPORTER-y', context, 64)).not.toEqual(a);
    expect(await client.exportKeyingMaterial('EXPORTER-x', utf8('other'), 64)).not.toEqual(a);
    // A shorter output is a prefix in TLS 1.2 (one PRF stream) but not in TLS 1.3, whose
    // HKDF-Expand-Label binds the length (RFC 8446 §7.1).
    const short = await client.exportKeyingMaterial('EXPORTER-x', context, 16);
    expect(short.every((byte, i) => byte === a[i])).toBe(version === 'TLSv1.2');

    // No context and an empty one: the same in TLS 1.3 (§7.5), different in TLS 1.2 (RFC 5705).
    const none = await client.exportKeyingMaterial('EXPORTER-x', undefined, 32);
    const empty = await client.exportKeyingMaterial('EXPORTER-x', new Uint8Array(0), 32);
    expect(none.every((byte, i) => byte === empty[i])).toBe(version === 'TLSv1.3');
    expect(await server.exportKeyingMaterial('EXPORTER-x', undefined, 32)).toEqual(none);
  });

  it('refuse bad lengths, and in TLS 1.2 the PRF’s own labels', async () => {
    const { client, server } = await pair(version);
    await pump(client, server);
    await expect(client.exportKeyingMaterial('EXPORTER-x', undefined, 0)).rejects.toThrow(
      /out of range/,
    );
    const reserved = client.exportKeyingMaterial('master secret', undefined, 16);
    if (version === 'TLSv1.2') await expect(reserved).rejects.toThrow(/reserved/);
    else expect(await reserved).toHaveLength(16);
  });
});
