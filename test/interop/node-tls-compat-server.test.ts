/**
 * webtls/node/tls as a server: real node:tls clients against createServer(), and the node:tls
 * API on the server's sockets (secureConnection, tlsClientError, SNICallback, requestCert,
 * session resumption, exporters) answering as node:tls's own server does.
 */
import { once } from 'node:events';
import { type AddressInfo, createServer as createNetServer, connect as netConnect } from 'node:net';
import { join } from 'node:path';
import * as nodeTls from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import tls, { type TLSSocket, type TlsServerOptions } from '../../src/node/tls/index.ts';
import { certFiles, otherCertFiles, pem, REPO, ROOT } from './peers/pki.ts';

const OUT = join(REPO, 'test/pki/out');
const P256 = certFiles('p256');
const CLIENT = { key: pem(join(OUT, 'client/key.pem')), cert: pem(join(OUT, 'client/chain.pem')) };

const servers: ReturnType<typeof tls.createServer>[] = [];
const sockets: { destroy(): void }[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await new Promise<void>((resolve) => s.close(() => resolve()));
});

interface WebtlsServer {
  port: number;
  accepted: TLSSocket[];
  clientErrors: (Error & { code?: string })[];
}

/** A webtls echo server on 127.0.0.1 (default: the P-256 localhost chain). */
async function webtlsServer(options: TlsServerOptions = {}): Promise<WebtlsServer> {
  const accepted: TLSSocket[] = [];
  const clientErrors: WebtlsServer['clientErrors'] = [];
  const server = tls.createServer(
    { key: pem(P256.key), cert: pem(P256.chain), ...options },
    (s) => {
      accepted.push(s);
      sockets.push(s);
      s.pipe(s);
    },
  );
  server.on('tlsClientError', (error: Error) => clientErrors.push(error));
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { port: (server.address() as AddressInfo).port, accepted, clientErrors };
}

/** A node:tls client, connected. */
async function nodeClient(port: number, options: nodeTls.ConnectionOptions = {}) {
  const socket = nodeTls.connect({
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    ca: pem(ROOT),
    ...options,
  });
  sockets.push(socket);
  await once(socket, 'secureConnect');
  return socket;
}

async function echo(socket: nodeTls.TLSSocket, text: string): Promise<string> {
  let got = '';
  socket.write(text);
  while (got.length < text.length) {
    const [chunk] = (await once(socket, 'data')) as [Buffer];
    got += chunk.toString();
  }
  return got;
}

/** Resolves once `list` has `n` entries (bounded). */
async function waitFor<T>(list: T[], n: number): Promise<T[]> {
  for (let i = 0; i < 500 && list.length < n; i++) await new Promise((r) => setTimeout(r, 10));
  expect(list.length).toBeGreaterThanOrEqual(n);
  return list;
}

describe('node:tls clients against createServer()', () => {
  it('serves ALPN, SNI, protocol and cipher as node sees them', async () => {
    const server = await webtlsServer({ ALPNProtocols: ['h2', 'http/1.1'] });
    const client = await nodeClient(server.port, { ALPNProtocols: ['http/1.1'] });
    expect(await echo(client, 'hello webtls server')).toBe('hello webtls server');
    const [socket] = await waitFor(server.accepted, 1);
    expect(client.authorized).toBe(true);
    expect(client.alpnProtocol).toBe('http/1.1');
    expect(socket.alpnProtocol).toBe('http/1.1');
    expect(socket.servername).toBe('localhost');
    expect(socket.getProtocol()).toBe(client.getProtocol());
    expect(socket.getCipher()).toEqual(client.getCipher());
    expect(socket.getEphemeralKeyInfo()).toEqual({});
  });

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    'exports the same keying material as the node:tls client (%s)',
    async (version) => {
      const server = await webtlsServer();
      const client = await nodeClient(server.port, { maxVersion: version });
      await echo(client, 'x');
      const [socket] = await waitFor(server.accepted, 1);
      const context = Buffer.from('server side');
      expect(await socket.exportKeyingMaterial(40, 'EXPORTER-webtls-server', context)).toEqual(
        client.exportKeyingMaterial(40, 'EXPORTER-webtls-server', context),
      );
    },
  );

  it.each(['TLSv1.3', 'TLSv1.2'] as const)(
    "resumes node:tls's session from its own `session` event (%s)",
    async (version) => {
      const server = await webtlsServer();
      const first = nodeTls.connect({
        host: '127.0.0.1',
        port: server.port,
        servername: 'localhost',
        ca: pem(ROOT),
        maxVersion: version,
      });
      sockets.push(first);
      // node:tls reads the TLS 1.3 tickets only while the socket is read.
      const sessionEvent = once(first, 'session');
      await echo(first, 'first');
      const [session] = (await sessionEvent) as [Buffer];
      first.end();
      const second = await nodeClient(server.port, { session, maxVersion: version });
      expect(await echo(second, 'second')).toBe('second');
      expect(second.isSessionReused()).toBe(true);
      const accepted = await waitFor(server.accepted, 2);
      expect(accepted[0].isSessionReused()).toBe(false);
      expect(accepted[1].isSessionReused()).toBe(true);
      const context = Buffer.from('resumed');
      expect(await accepted[1].exportKeyingMaterial(32, 'EXPORTER-resumed', context)).toEqual(
        second.exportKeyingMaterial(32, 'EXPORTER-resumed', context),
      );
    },
  );

  it('picks the certificate with SNICallback', async () => {
    const other = otherCertFiles();
    const asked: string[] = [];
    const server = await webtlsServer({
      SNICallback: (name, callback) => {
        asked.push(name);
        const chosen = name.endsWith('other.test')
          ? tls.createSecureContext({ key: pem(other.key), cert: pem(other.chain) })
          : undefined;
        callback(null, chosen);
      },
    });
    const client = await nodeClient(server.port, { servername: 'www.other.test' });
    expect(client.authorized).toBe(true);
    expect(client.getPeerCertificate().subjectaltname).toContain('DNS:*.other.test');
    const plain = await nodeClient(server.port, { servername: 'localhost' });
    expect(plain.getPeerCertificate().subjectaltname).toContain('DNS:localhost');
    expect(asked).toEqual(['www.other.test', 'localhost']);
    const [socket] = await waitFor(server.accepted, 1);
    expect(socket.servername).toBe('www.other.test');
  });

  it('asks for a client certificate and describes it as node:tls does', async () => {
    const server = await webtlsServer({ requestCert: true, ca: pem(ROOT) });
    const client = await nodeClient(server.port, CLIENT);
    await echo(client, 'with a certificate');
    const [socket] = await waitFor(server.accepted, 1);
    expect(socket.authorized).toBe(true);
    const ours = socket.getPeerCertificate(true) as nodeTls.DetailedPeerCertificate;
    // node:tls's server, for the same client certificate.
    const control = nodeTls.createServer({
      key: pem(P256.key),
      cert: pem(P256.chain),
      requestCert: true,
      ca: pem(ROOT),
    });
    control.listen(0, '127.0.0.1');
    await once(control, 'listening');
    try {
      const accepted = once(control, 'secureConnection');
      const c2 = await nodeClient((control.address() as AddressInfo).port, CLIENT);
      sockets.push(c2);
      const [theirSocket] = (await accepted) as [nodeTls.TLSSocket];
      const theirs = theirSocket.getPeerCertificate(true);
      for (const field of ['subject', 'issuer', 'fingerprint256', 'serialNumber', 'raw'] as const) {
        expect(ours[field], field).toEqual(theirs[field]);
      }
      expect(ours.issuerCertificate.raw).toEqual(theirs.issuerCertificate.raw);
      theirSocket.destroy();
    } finally {
      await new Promise((resolve) => control.close(resolve));
    }
  });

  it('refuses a client without a certificate when requestCert and rejectUnauthorized', async () => {
    const server = await webtlsServer({ requestCert: true, ca: pem(ROOT) });
    const client = nodeTls.connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
    });
    sockets.push(client);
    const [error] = (await once(client, 'error')) as [Error & { code?: string }];
    expect(error.code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    const [ours] = await waitFor(server.clientErrors, 1);
    expect(ours.code).toBe('ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  it('reports an ALPN mismatch on both sides with node codes', async () => {
    const server = await webtlsServer({ ALPNProtocols: ['h2'] });
    const client = nodeTls.connect({
      host: '127.0.0.1',
      port: server.port,
      servername: 'localhost',
      ca: pem(ROOT),
      ALPNProtocols: ['http/1.1'],
    });
    sockets.push(client);
    const [error] = (await once(client, 'error')) as [Error & { code?: string }];
    expect(error.code).toBe('ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL');
    const [ours] = await waitFor(server.clientErrors, 1);
    expect(ours.code).toBe('ERR_SSL_NO_APPLICATION_PROTOCOL');
  });

  it('emits keylog lines on the server, with the socket', async () => {
    const server = tls.createServer({ key: pem(P256.key), cert: pem(P256.chain) }, (s) =>
      s.pipe(s),
    );
    servers.push(server);
    const lines: string[] = [];
    server.on('keylog', (line: Buffer, socket: TLSSocket) => {
      expect(socket.encrypted).toBe(true);
      lines.push(line.toString());
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = await nodeClient((server.address() as AddressInfo).port);
    await echo(client, 'x');
    // The node client's own lines name the same secrets.
    expect(lines.map((l) => l.split(' ')[0]).sort()).toEqual(
      [
        'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
        'CLIENT_TRAFFIC_SECRET_0',
        'EXPORTER_SECRET',
        'SERVER_HANDSHAKE_TRAFFIC_SECRET',
        'SERVER_TRAFFIC_SECRET_0',
      ].sort(),
    );
  });
});

describe('bad input', () => {
  it.each([
    ['an HTTP request', 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n'],
    ['a handshake record that is not a ClientHello', '\x16\x03\x01\x00\x04\x02\x00\x00\x00'],
  ])(
    'the server ends a connection that starts with %s, with an alert and tlsClientError',
    async (_name, bytes) => {
      for (const SNICallback of [undefined, (_: string, cb: (e: null) => void) => cb(null)]) {
        const server = await webtlsServer({ SNICallback });
        const raw = netConnect(server.port, '127.0.0.1');
        sockets.push(raw);
        await once(raw, 'connect');
        const received: Buffer[] = [];
        raw.on('data', (chunk: Buffer) => received.push(chunk));
        raw.write(Buffer.from(bytes, 'latin1'));
        await once(raw, 'close');
        const [error] = await waitFor(server.clientErrors, 1);
        expect(error.code).toMatch(/^ERR_SSL_/);
        // The reply is one fatal alert record: 21, version, length 2, level 2.
        const reply = Buffer.concat(received);
        expect([...reply.subarray(0, 1)]).toEqual([21]);
        expect(reply[5]).toBe(2);
      }
    },
  );

  it('times a silent client out with node’s code', async () => {
    const server = await webtlsServer({ handshakeTimeout: 200 });
    const raw = netConnect(server.port, '127.0.0.1');
    sockets.push(raw);
    await once(raw, 'connect');
    await once(raw, 'close');
    const [error] = await waitFor(server.clientErrors, 1);
    expect(error.code).toBe('ERR_TLS_HANDSHAKE_TIMEOUT');
  });

  it('fails a client whose server answers with plaintext', async () => {
    const plain = createNetServer((socket) => {
      // Reading, so the socket sees the client's end and closes (else close() waits for it).
      socket.resume();
      socket.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    plain.listen(0, '127.0.0.1');
    await once(plain, 'listening');
    try {
      const client = tls.connect({
        host: '127.0.0.1',
        port: (plain.address() as AddressInfo).port,
        servername: 'localhost',
        ca: pem(ROOT),
      });
      sockets.push(client);
      const [error] = (await once(client, 'error')) as [Error & { code?: string }];
      // Its first bytes read as a record header announcing 20527 bytes.
      expect(error.code).toBe('ERR_SSL_RECORD_OVERFLOW');
      expect(client.destroyed).toBe(true);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});
