/**
 * webtls/node/tls as a client against real node:tls servers: the node:tls API (connect,
 * TLSSocket members and events, options, error codes) answers as node:tls's own client does.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import * as nodeTls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import tls, { type ConnectionOptions, type TLSSocket } from '../../src/node/tls/index.ts';
import { certFiles, pem, REPO, ROOT } from './peers/pki.ts';

const OUT = join(REPO, 'test/pki/out');
const P256 = certFiles('p256');

interface NodeServer {
  port: number;
  /** Server sockets, in accept order, once their handshake completed. */
  accepted: nodeTls.TLSSocket[];
  server: nodeTls.Server;
}

const servers: nodeTls.Server[] = [];
const clients: { destroy(): void }[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) {
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A node:tls echo server on 127.0.0.1 with `options` (default: the P-256 localhost chain). */
async function nodeServer(options: nodeTls.TlsOptions = {}): Promise<NodeServer> {
  const accepted: nodeTls.TLSSocket[] = [];
  const server = nodeTls.createServer(
    { key: pem(P256.key), cert: pem(P256.chain), ...options },
    (socket) => {
      accepted.push(socket);
      clients.push(socket);
      socket.on('error', () => undefined);
      socket.pipe(socket);
    },
  );
  server.on('tlsClientError', () => undefined);
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, accepted, server };
}

/** Connects with webtls and waits for secureConnect. */
async function webtlsClient(options: ConnectionOptions): Promise<TLSSocket> {
  const socket = tls.connect({ host: '127.0.0.1', servername: 'localhost', ...options });
  clients.push(socket);
  await once(socket, 'secureConnect');
  return socket;
}

/** Writes `text` and waits until it came back. */
async function echo(socket: TLSSocket, text: string): Promise<string> {
  let got = '';
  socket.write(text);
  while (got.length < text.length) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got += chunk.toString();
  }
  return got;
}

/** The error a connection fails with (rejects if it connects instead). */
async function failure(socket: NodeJS.EventEmitter): Promise<Error & { code?: string }> {
  return new Promise((resolve, reject) => {
    socket.once('error', resolve);
    socket.once('secureConnect', () => reject(new Error('connected')));
  });
}

describe('connect() to a node:tls server', () => {
  it('runs over a pre-connected net.Socket (the `socket` option, as pg uses it)', async () => {
    const server = await nodeServer();
    const raw = netConnect(server.port, '127.0.0.1');
    await once(raw, 'connect');
    const socket = await webtlsClient({ socket: raw, ca: pem(ROOT) });
    expect(socket.authorized).toBe(true);
    expect(socket.authorizationError).toBeNull();
    expect(socket.encrypted).toBe(true);
    expect(await echo(socket, 'hello over STARTTLS-style socket')).toBe(
      'hello over STARTTLS-style socket',
    );
    expect(socket.remotePort).toBe(server.port);
    socket.end();
    await once(socket, 'close');
  });

  it('upgrades a socket after a plaintext STARTTLS exchange', async () => {
    // A server that speaks one plaintext line, then TLS on the same socket, as PostgreSQL,
    // SMTP and IMAP servers do.
    const plain = createNetServer((socket) => {
      socket.once('data', (line) => {
        expect(line.toString()).toBe('STARTTLS\r\n');
        socket.write('OK\r\n', () => {
          const secure = new nodeTls.TLSSocket(socket, {
            isServer: true,
            key: pem(P256.key),
            cert: pem(P256.chain),
          });
          secure.on('error', () => undefined);
          secure.pipe(secure);
        });
      });
    });
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    try {
      const raw = netConnect((plain.address() as AddressInfo).port, '127.0.0.1');
      await once(raw, 'connect');
      raw.write('STARTTLS\r\n');
      const [answer] = (await once(raw, 'data')) as [Buffer];
      expect(answer.toString()).toBe('OK\r\n');
      const socket = await webtlsClient({ socket: raw, ca: pem(ROOT) });
      expect(socket.authorized).toBe(true);
      expect(await echo(socket, 'after STARTTLS')).toBe('after STARTTLS');
      socket.destroy();
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });

  it('takes connect(port, host, options, listener)', async () => {
    const server = await nodeServer();
    const socket = tls.connect(server.port, '127.0.0.1', {
      servername: 'localhost',
      ca: readFileSync(ROOT),
    });
    clients.push(socket);
    const [, connected] = await Promise.all([
      once(socket, 'secureConnect'),
      new Promise((resolve) => socket.once('secureConnect', () => resolve(true))),
    ]);
    expect(connected).toBe(true);
    expect(socket.getProtocol()).toBe('TLSv1.3');
  });

  it('agrees on ALPN, SNI, protocol and cipher with the server', async () => {
    const server = await nodeServer({ ALPNProtocols: ['h2', 'http/1.1'] });
    const socket = await webtlsClient({
      port: server.port,
      ca: pem(ROOT),
      ALPNProtocols: ['http/1.1'],
      ciphers: 'TLS_AES_128_GCM_SHA256',
      ecdhCurve: 'P-256',
    });
    await echo(socket, 'x');
    const peer = server.accepted[0];
    expect(socket.alpnProtocol).toBe('http/1.1');
    expect(peer.alpnProtocol).toBe('http/1.1');
    expect((peer as unknown as { servername: string }).servername).toBe('localhost');
    expect(socket.getCipher()).toEqual(peer.getCipher());
    expect(socket.getProtocol()).toBe(peer.getProtocol());
    expect(socket.getEphemeralKeyInfo()).toEqual({ type: 'ECDH', name: 'prime256v1', size: 256 });
  });

  it('reports alpnProtocol false when nothing was agreed', async () => {
    const server = await nodeServer();
    const socket = await webtlsClient({ port: server.port, ca: pem(ROOT) });
    expect(socket.alpnProtocol).toBe(false);
  });

  it.each([
    ['TLSv1.3', 'TLS_AES_256_GCM_SHA384'],
    ['TLSv1.2', 'ECDHE-ECDSA-AES128-GCM-SHA256'],
  ] as const)('names the %s cipher as node does (%s)', async (version, cipher) => {
    const server = await nodeServer({ maxVersion: version });
    const socket = await webtlsClient({ port: server.port, ca: pem(ROOT), ciphers: cipher });
    await echo(socket, 'x');
    expect(socket.getProtocol()).toBe(version);
    expect(socket.getCipher()).toEqual(server.accepted[0].getCipher());
  });

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'exports the same keying material as the node:tls server (%s)',
    async (version) => {
      const server = await nodeServer({ maxVersion: version });
      const socket = await webtlsClient({ port: server.port, ca: pem(ROOT) });
      await echo(socket, 'x');
      const peer = server.accepted[0];
      const context = Buffer.from('context bytes');
      const ours = await socket.exportKeyingMaterial(48, 'EXPORTER-webtls-test', context);
      expect(ours).toEqual(peer.exportKeyingMaterial(48, 'EXPORTER-webtls-test', context));
      // Without a context: TLS 1.2 leaves the length out of the seed (RFC 5705 §4).
      const bare = await socket.exportKeyingMaterial(32, 'EXPORTER-webtls-test');
      const noContext = peer.exportKeyingMaterial as (length: number, label: string) => Buffer;
      expect(bare).toEqual(noContext.call(peer, 32, 'EXPORTER-webtls-test'));
      // RFC 5705 §4: TLS 1.2 refuses the PRF's own labels; TLS 1.3 has no such list.
      const reserved = socket.exportKeyingMaterial(16, 'key expansion');
      if (version === 'TLSv1.2') await expect(reserved).rejects.toThrow(/reserved/);
      else expect((await reserved).length).toBe(16);
    },
  );

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'resumes with the session from the `session` event (%s)',
    async (version) => {
      const server = await nodeServer({ maxVersion: version });
      const first = tls.connect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: pem(ROOT),
      });
      clients.push(first);
      const [session] = (await once(first, 'session')) as [Buffer];
      expect(Buffer.isBuffer(session)).toBe(true);
      expect(first.isSessionReused()).toBe(false);
      expect(first.getSession()).toBeDefined();
      first.end();

      const second = await webtlsClient({ port: server.port, ca: pem(ROOT), session });
      expect(second.isSessionReused()).toBe(true);
      expect((second.getPeerCertificate() as nodeTls.PeerCertificate).subject.CN).toBe('localhost');
      expect(await echo(second, 'resumed')).toBe('resumed');
      expect(server.accepted).toHaveLength(2);
      expect(server.accepted[1].isSessionReused()).toBe(true);
      // The exporter of a resumed connection (TLS 1.2: the session's master secret).
      const context = Buffer.from('resumed');
      expect(await second.exportKeyingMaterial(32, 'EXPORTER-resumed', context)).toEqual(
        server.accepted[1].exportKeyingMaterial(32, 'EXPORTER-resumed', context),
      );
      expect(second.authorized).toBe(true);
    },
  );

  it('describes the peer certificate exactly as node:tls does', async () => {
    const server = await nodeServer();
    const ours = await webtlsClient({ port: server.port, ca: pem(ROOT) });
    const theirs = nodeTls.connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
    });
    clients.push(theirs);
    await once(theirs, 'secureConnect');
    const a = ours.getPeerCertificate(true) as nodeTls.DetailedPeerCertificate;
    const b = theirs.getPeerCertificate(true);
    for (const field of [
      'subject',
      'issuer',
      'subjectaltname',
      'valid_from',
      'valid_to',
      'fingerprint',
      'fingerprint256',
      'serialNumber',
      'raw',
      'bits',
      'ca',
    ] as const) {
      expect(a[field], field).toEqual(b[field]);
    }
    // The chain up to the root, which links to itself.
    expect(a.issuerCertificate.raw).toEqual(b.issuerCertificate.raw);
    const root = a.issuerCertificate.issuerCertificate;
    expect(root.raw).toEqual(b.issuerCertificate.issuerCertificate.raw);
    expect(root.issuerCertificate).toBe(root);
    expect(ours.getPeerCertificate(false)).not.toHaveProperty('issuerCertificate');
  });

  it('emits NSS key-log lines, one per secret', async () => {
    const server = await nodeServer();
    const socket = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
    });
    clients.push(socket);
    const lines: string[] = [];
    socket.on('keylog', (line: Buffer) => lines.push(line.toString()));
    await once(socket, 'secureConnect');
    const labels = lines.map((l) => l.split(' ')[0]);
    expect(labels).toEqual([
      'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
      'SERVER_HANDSHAKE_TRAFFIC_SECRET',
      'CLIENT_TRAFFIC_SECRET_0',
      'SERVER_TRAFFIC_SECRET_0',
      'EXPORTER_SECRET',
    ]);
    for (const line of lines) expect(line).toMatch(/^[A-Z_0-9]+ [0-9a-f]{64} [0-9a-f]{64,96}\n$/);
  });

  it('refuses renegotiation through the callback', async () => {
    const server = await nodeServer({ maxVersion: 'TLSv1.2' });
    const socket = await webtlsClient({ port: server.port, ca: pem(ROOT) });
    const error = await new Promise<Error | null>((resolve) => {
      expect(socket.renegotiate({}, resolve)).toBe(false);
    });
    expect((error as { code?: string }).code).toBe('ERR_TLS_RENEGOTIATION_DISABLED');
    expect(await echo(socket, 'still here')).toBe('still here');
  });
});

/** Servers whose certificates fail, and the code node:tls's own client reports for each. */
const BAD: [string, { key: string; cert: string }, string][] = [
  ['expired', bad('bad/expired'), 'CERT_HAS_EXPIRED'],
  ['self-signed', bad('selfsigned'), 'DEPTH_ZERO_SELF_SIGNED_CERT'],
  ['missing intermediate', bad('bad/missing-intermediate'), 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
  [
    'untrusted root in the chain',
    {
      key: pem(join(OUT, 'bad/unknown-root/key.pem')),
      cert: pem(join(OUT, 'bad/unknown-root/chain.pem')) + pem(join(OUT, 'untrusted-root.pem')),
    },
    'SELF_SIGNED_CERT_IN_CHAIN',
  ],
  ['wrong name', bad('bad/wrong-dns'), 'ERR_TLS_CERT_ALTNAME_INVALID'],
];

function bad(dir: string): { key: string; cert: string } {
  return { key: pem(join(OUT, dir, 'key.pem')), cert: pem(join(OUT, dir, 'chain.pem')) };
}

describe('certificate failures carry node:tls codes', () => {
  it.each(BAD)('%s', async (_name, files, code) => {
    const server = await nodeServer(files);
    const options = { host: '127.0.0.1', port: server.port, servername: 'localhost' };

    // node:tls's own answer for the same server, so the expectation is node's, not ours.
    const theirs = nodeTls.connect({ ...options, ca: pem(ROOT) });
    clients.push(theirs);
    expect((await failure(theirs)).code).toBe(code);

    const ours = tls.connect({ ...options, ca: pem(ROOT) });
    clients.push(ours);
    const error = await failure(ours);
    expect(error.code).toBe(code);
    expect(ours.destroyed).toBe(true);

    // rejectUnauthorized false: connected, unauthorized, with the same code as the reason.
    const lenient = await webtlsClient({ ...options, ca: pem(ROOT), rejectUnauthorized: false });
    expect(lenient.authorized).toBe(false);
    expect(lenient.authorizationError).toBe(code);
    expect(await echo(lenient, 'anyway')).toBe('anyway');
  });

  it('asks a checkServerIdentity option, and fails with what it returns', async () => {
    const server = await nodeServer();
    const seen: string[] = [];
    const socket = tls.connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
      checkServerIdentity: (host, cert) => {
        seen.push(`${host} ${cert.subject.CN}`);
        return Object.assign(new Error('pinned key differs'), { code: 'PIN_MISMATCH' });
      },
    });
    clients.push(socket);
    const error = await failure(socket);
    expect(seen).toEqual(['localhost localhost']);
    expect(error.code).toBe('PIN_MISMATCH');
  });
});

/**
 * node:tls servers that refuse a client with an alert, and what the client tries. (A node:tls
 * server that rejects a client certificate closes without an alert, so it is not here.)
 */
const ALERTS: [string, nodeTls.TlsOptions, Partial<nodeTls.ConnectionOptions>][] = [
  ['no common ALPN protocol', { ALPNProtocols: ['h2'] }, { ALPNProtocols: ['http/1.1'] }],
  ['no client certificate', { requestCert: true, rejectUnauthorized: true, ca: pem(ROOT) }, {}],
  [
    'no common cipher suite',
    { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES256-GCM-SHA384' },
    { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' },
  ],
  ['no common version', { minVersion: 'TLSv1.3' }, { maxVersion: 'TLSv1.2' }],
];

describe('alerts from a node:tls server carry node:tls codes', () => {
  it.each(ALERTS)('%s', async (_name, serverOptions, clientOptions) => {
    const server = await nodeServer(serverOptions);
    const options = {
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
      ...clientOptions,
    };
    const theirs = nodeTls.connect(options);
    clients.push(theirs);
    const expected = await new Promise<string | undefined>((resolve) => {
      theirs.once('error', (e: Error & { code?: string }) => resolve(e.code));
      // TLS 1.3: a client learns of a refused certificate only when it reads.
      theirs.once('secureConnect', () => theirs.resume());
    });
    expect(expected).toMatch(/^ERR_SSL_/);

    const ours = tls.connect(options as ConnectionOptions);
    clients.push(ours);
    const code = await new Promise<string | undefined>((resolve) => {
      ours.once('error', (e: Error & { code?: string }) => resolve(e.code));
      ours.once('secureConnect', () => ours.resume());
    });
    expect(code).toBe(expected);
  });
});

describe('transport failures', () => {
  it('reports ECONNREFUSED from the dial', async () => {
    const server = await nodeServer();
    const port = server.port;
    await new Promise<void>((resolve) => server.server.close(() => resolve()));
    servers.splice(servers.indexOf(server.server), 1);
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost' });
    clients.push(socket);
    const [error] = (await once(socket, 'error')) as [Error & { code?: string }];
    expect(error.code).toBe('ECONNREFUSED');
  });
});
