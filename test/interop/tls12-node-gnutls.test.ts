/**
 * TLS 1.2 against node:tls (both directions, maxVersion TLSv1.2) and gnutls-cli → the webtls
 * server (`NORMAL:-VERS-ALL:+VERS-TLS1.2`), for each of the six suites.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TLS12_SUITES } from '../../src/crypto/index.ts';
import { CipherSuite } from '../../src/msgs/enums.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { killAllPeers, startProc } from './peers/proc.ts';
import { requirePeer } from './peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer, webtlsExchange } from './peers/webtls.ts';

const SUITES = TLS12_SUITES.map((s) => [s.opensslName, s.name, s.auth] as const);

/** gnutls priority names of the suites' ciphers and signature kinds. */
const GNUTLS_CIPHER: Record<string, string> = {
  'AES-128-GCM': 'AES-128-GCM',
  'AES-256-GCM': 'AES-256-GCM',
  'CHACHA20-POLY1305': 'CHACHA20-POLY1305',
};

describe('node:tls (maxVersion TLSv1.2) ↔ webtls', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256')), await loadCert(certFiles('rsa2048'))],
    });
  });
  afterAll(() => server.close());

  it.each(SUITES)('node:tls client → webtls server: %s', async (opensslName, suiteName) => {
    const n = server.sessions.length;
    const socket = tlsConnect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
      maxVersion: 'TLSv1.2',
      ciphers: opensslName,
    });
    const timer = setTimeout(() => socket.destroy(new Error('timed out')), 15_000);
    try {
      await once(socket, 'secureConnect');
      expect(socket.authorized).toBe(true);
      expect(socket.getProtocol()).toBe('TLSv1.2');
      expect(socket.getCipher().standardName).toBe(suiteName);
      socket.setEncoding('latin1');
      let received = '';
      socket.on('data', (chunk: string) => {
        received += chunk;
      });
      socket.write('ping');
      while (!received.includes('ping')) await new Promise((r) => setTimeout(r, 10));
      socket.end();
      await once(socket, 'close');
    } finally {
      clearTimeout(timer);
    }
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.cipherSuite).toBe(suiteName);
  });
});

describe('webtls client (TLS 1.3-capable) → node:tls server (maxVersion TLSv1.2)', () => {
  const servers = new Map<string, { port: number; close(): Promise<void> }>();
  beforeAll(async () => {
    for (const [auth, type] of [
      ['ECDSA', 'p256'],
      ['RSA', 'rsa2048'],
    ] as const) {
      const cert = certFiles(type);
      const sockets = new Set<TLSSocket>();
      const s = createServer(
        { key: pem(cert.key), cert: pem(cert.chain), maxVersion: 'TLSv1.2' },
        (socket) => {
          sockets.add(socket);
          socket.on('error', () => undefined);
          socket.on('close', () => sockets.delete(socket));
          socket.pipe(socket);
        },
      );
      s.listen(0, '127.0.0.1');
      await once(s, 'listening');
      servers.set(auth, {
        port: (s.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((resolve) => {
            for (const socket of sockets) socket.destroy();
            s.close(() => resolve());
          }),
      });
    }
  });
  afterAll(async () => {
    for (const s of servers.values()) await s.close();
  });

  it.each(SUITES)('%s', async (_o, suiteName, auth) => {
    const suite = TLS12_SUITES.find((s) => s.name === suiteName)!;
    const { info, received } = await webtlsExchange(
      servers.get(auth)!.port,
      {
        serverName: 'localhost',
        roots: [pem(ROOT)],
        cipherSuites: [CipherSuite.TLS_AES_128_GCM_SHA256, suite.code],
      },
      'echo me',
      /echo me/,
    );
    expect(info.protocol).toBe('TLSv1.2');
    expect(info.cipherSuite).toBe(suiteName);
    expect(received).toBe('echo me');
  });
});

const HAVE_GNUTLS = requirePeer('gnutls-cli');

describe.skipIf(!HAVE_GNUTLS)('gnutls-cli (TLS 1.2 only) → webtls server', () => {
  let server: WebtlsServer;
  beforeAll(async () => {
    server = await startWebtlsServer({
      certificates: [await loadCert(certFiles('p256')), await loadCert(certFiles('rsa2048'))],
    });
  });
  afterAll(async () => {
    await killAllPeers();
    await server.close();
  });

  it.each(SUITES)('%s', async (_o, suiteName, auth) => {
    const suite = TLS12_SUITES.find((s) => s.name === suiteName)!;
    const n = server.sessions.length;
    const kx = auth === 'ECDSA' ? 'ECDHE-ECDSA' : 'ECDHE-RSA';
    const priority =
      'NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:' + `+${kx}:-CIPHER-ALL:+${GNUTLS_CIPHER[suite.aead]}`;
    const client = startProc('gnutls-cli', [
      '--x509cafile',
      ROOT,
      '--priority',
      priority,
      '--sni-hostname',
      'localhost',
      '--verify-hostname',
      'localhost',
      '-p',
      String(server.port),
      '127.0.0.1',
    ]);
    await client.waitFor(/Handshake was completed/);
    client.write('hello gnutls\n');
    await client.waitFor(/\nhello gnutls\n/, { stream: 'stdout' });
    client.endStdin();
    await client.waitExit();
    // e.g. "Description: (TLS1.2-X.509)-(ECDHE-X25519)-(ECDSA-SHA256)-(AES-128-GCM)"
    expect(client.output).toMatch(
      new RegExp(`Description: \\(TLS1\\.2-X\\.509\\)-\\(ECDHE-[^)]+\\)-.*\\(${suite.aead}\\)`),
    );
    expect(client.output).toMatch(/Options: extended master secret, safe renegotiation/);
    const session = await server.session(n);
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.2');
    expect(session.info?.cipherSuite).toBe(suiteName);
    expect(session.received).toBe('hello gnutls\n');
  });
});
