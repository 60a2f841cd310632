import { describe, expect, it } from 'vitest';
import type { ClientConfig, ServerConfig } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import type { TlsEvent } from '../../src/conn/types.ts';
import { subtleProvider } from '../../src/crypto/index.ts';
import { confidentialityLimit } from '../../src/record/aead-limits.ts';
import * as certs from './data/certs.ts';
import { certifiedKey, pump } from './helpers/loopback.ts';

/**
 * AEAD usage limits (RFC 8446 §5.5) with a low limit: TLS 1.3 updates keys (asking the peer to
 * as well) and every byte arrives in order; TLS 1.2 closes with close_notify. Against OpenSSL:
 * test/interop/aead-limits-openssl.test.ts.
 */

const provider = subtleProvider();
const RECORD = 16384;

function counter(names: string[]) {
  return (e: TlsEvent) => {
    if (e.type === 'send') names.push(e.name);
  };
}

async function pair(
  limit: number,
  version: 'TLSv1.3' | 'TLSv1.2',
  clientSent: string[],
  serverSent: string[],
) {
  const server: ServerConfig = {
    provider,
    certificates: [await certifiedKey(provider, certs.p256CertPem, certs.p256KeyPem)],
    maxVersion: version,
    onEvent: counter(serverSent),
  };
  const client: ClientConfig = {
    provider,
    roots: [certs.caPem],
    maxVersion: version,
    sessionStore: null,
    limits: { aeadRecordLimit: limit },
    onEvent: counter(clientSent),
  };
  const c = new ClientConnection(client, { serverName: 'localhost' });
  const s = new ServerConnection(server);
  await pump(c, s);
  return { c, s };
}

function pattern(n: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 7 + (i >> 8)) & 0xff);
}

describe('AEAD usage limits', () => {
  it('the default limits follow RFC 8446 §5.5', () => {
    expect(confidentialityLimit('AES-128-GCM')).toBe(23726566);
    expect(confidentialityLimit('AES-256-GCM')).toBe(23726566);
    expect(confidentialityLimit('CHACHA20-POLY1305')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('TLS 1.3: crossing the limit sends KeyUpdate and the data arrives whole', async () => {
    const clientSent: string[] = [];
    const serverSent: string[] = [];
    const { c, s } = await pair(3, 'TLSv1.3', clientSent, serverSent);
    const before = clientSent.filter((n) => n === 'KeyUpdate').length;
    const data = pattern(10 * RECORD + 123);
    await c.write(data);
    const got: Uint8Array[] = [];
    for (let i = 0; i < 20 && got.reduce((n, g) => n + g.length, 0) < data.length; i++) {
      await pump(c, s);
      const chunk = s.read();
      if (chunk) got.push(chunk);
    }
    const received = new Uint8Array(data.length);
    let at = 0;
    for (const g of got) {
      received.set(g, at);
      at += g.length;
    }
    expect(at).toBe(data.length);
    expect(received).toEqual(data);
    // 11 records at 3 per key (the Finished key counted the first records): at least 3 updates.
    expect(clientSent.filter((n) => n === 'KeyUpdate').length - before).toBeGreaterThanOrEqual(3);
    // Each asked the server to update too (update_requested), and it did before replying.
    await s.write(pattern(10));
    await pump(c, s);
    expect(serverSent.filter((n) => n === 'KeyUpdate').length).toBeGreaterThanOrEqual(1);
    expect(c.read()).toEqual(pattern(10));
  });

  it('TLS 1.2: reaching the limit closes with close_notify after the data before it', async () => {
    const { c, s } = await pair(4, 'TLSv1.2', [], []);
    // The Finished took one record under this key; three more fit.
    await expect(c.write(pattern(5 * RECORD))).rejects.toMatchObject({ code: 'CLOSED' });
    await pump(c, s);
    expect(s.peerClosed).toBe(true);
    expect(s.read()?.length).toBe(3 * RECORD);
  });
});
