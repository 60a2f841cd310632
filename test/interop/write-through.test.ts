/**
 * The write-through API against real peers over TCP: a webtls client driven through
 * processTlsRecords/encodeTls/encrypt with buffers it owns, against `openssl s_server -www`
 * and a node:tls echo server; and a webtls server driven the same way, against node:tls as the
 * client. The socket code here is the whole "application": it owns every buffer.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertifiedKey } from '../../src/config.ts';
import { ClientConnection } from '../../src/conn/client.ts';
import type { ConnectionCore } from '../../src/conn/core.ts';
import { ServerConnection } from '../../src/conn/server.ts';
import { WriteThroughEndpoint } from '../unit/helpers/write-through.ts';
import { type NodeTlsServer, nodeTlsExchange, startNodeTlsServer } from './peers/node-tls.ts';
import { type OpensslServer, startOpensslServer } from './peers/openssl.ts';
import { certFiles, pem, ROOT } from './peers/pki.ts';
import { loadCert } from './peers/webtls.ts';

/**
 * An endpoint bound to a socket: received bytes go into the endpoint's own inbox. When the
 * inbox cannot take a chunk, the socket is paused and the chunk waits until a step has made
 * room (back-pressure, as a real caller with a fixed buffer must do).
 */
class SocketEndpoint {
  readonly ep: WriteThroughEndpoint;
  private wake: (() => void) | undefined;
  private ended = false;
  /** Socket events so far: a step that saw one while driving does not wait. */
  private events = 0;
  /** Chunks that did not fit in the inbox yet, oldest first. */
  private readonly waiting: Buffer[] = [];

  constructor(
    readonly socket: net.Socket,
    conn: ConnectionCore,
  ) {
    this.ep = new WriteThroughEndpoint(conn, 128 * 1024);
    socket.on('data', (d: Buffer) => {
      this.waiting.push(d);
      this.admit();
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', () => this.notify());
  }

  /** Moves waiting chunks into the inbox while they fit; pauses the socket while any wait. */
  private admit(): void {
    while (this.waiting.length > 0 && this.ep.room >= this.waiting[0].length) {
      this.ep.deliver(this.waiting.shift()!);
    }
    if (this.waiting.length > 0) this.socket.pause();
    else this.socket.resume();
  }

  private notify(): void {
    this.events++;
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /**
   * Drives the connection and sends its output; when that brought no data and no socket event
   * came meanwhile, waits for the next one.
   */
  async step(deadline: number): Promise<void> {
    const seen = this.events;
    const had = this.ep.received.length;
    for (const bytes of await this.ep.drive()) this.socket.write(bytes);
    const stalled = this.waiting.length > 0;
    this.admit();
    if (stalled) return; // room was made: drive again
    if (this.events !== seen || this.ended || this.ep.received.length !== had) return;
    const left = deadline - Date.now();
    if (left <= 0) throw new Error('timed out');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  get isEnded(): boolean {
    return this.ended;
  }
}

function dial(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
  });
}

const text = (s: string) => new TextEncoder().encode(s);
const joined = (ep: WriteThroughEndpoint) =>
  new TextDecoder().decode(Uint8Array.from(ep.received.flatMap((p) => [...p])));

let openssl: OpensslServer;
let echo: NodeTlsServer;
let cert: CertifiedKey;

beforeAll(async () => {
  openssl = await startOpensslServer({ cert: certFiles('p256'), www: true });
  echo = await startNodeTlsServer({ cert: certFiles('p256') });
  cert = await loadCert(certFiles('p256'));
});
afterAll(async () => {
  openssl?.proc.kill();
  await echo?.close();
});

describe('write-through API against real peers', () => {
  it('a webtls client fetches openssl s_server -www status page', async () => {
    const socket = await dial(openssl.port);
    const conn = new ClientConnection(
      { roots: [pem(ROOT)], sessionStore: null },
      { serverName: 'localhost' },
    );
    const client = new SocketEndpoint(socket, conn);
    const deadline = Date.now() + 10_000;
    try {
      while (!conn.handshakeComplete) await client.step(deadline);
      socket.write(await client.ep.encrypt(text('GET / HTTP/1.0\r\n\r\n')));
      while (!joined(client.ep).includes('</HTML>')) await client.step(deadline);
      const page = joined(client.ep);
      expect(page).toMatch(/^HTTP\/1\.0 200 ok/);
      expect(page).toMatch(/New, TLSv1\.3, Cipher is TLS_AES_\d+_GCM_SHA\d+/);
      // Application data was decrypted where it arrived, in the endpoint's own buffer.
      expect(client.ep.viewsInInbox).toBeGreaterThan(0);
      expect(client.ep.viewsElsewhere).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  it('a webtls client exchanges 200 KB with a node:tls echo server', async () => {
    const socket = await dial(echo.port);
    const conn = new ClientConnection(
      { roots: [pem(ROOT)], sessionStore: null },
      { serverName: 'localhost' },
    );
    const client = new SocketEndpoint(socket, conn);
    const deadline = Date.now() + 15_000;
    try {
      while (!conn.handshakeComplete) await client.step(deadline);
      const message = 'write-through '.repeat(15_000);
      socket.write(await client.ep.encrypt(text(message)));
      while (joined(client.ep).length < message.length) await client.step(deadline);
      expect(joined(client.ep)).toBe(message);
    } finally {
      socket.destroy();
    }
  });

  it('node:tls talks to a webtls server driven write-through', async () => {
    const server = net.createServer();
    const served: Promise<string>[] = [];
    server.on('connection', (socket) => {
      served.push(
        (async () => {
          const endpoint = new SocketEndpoint(
            socket,
            new ServerConnection({ certificates: [cert] }),
          );
          const deadline = Date.now() + 10_000;
          let echoed = 0;
          while (!endpoint.isEnded && !endpoint.ep.conn.peerClosed) {
            await endpoint.step(deadline);
            // Echo what arrived since the last step.
            const got = endpoint.ep.received.slice(echoed);
            echoed += got.length;
            for (const d of got) socket.write(await endpoint.ep.encrypt(d));
          }
          endpoint.ep.conn.queueClose();
          socket.end(await endpoint.ep.encode());
          return joined(endpoint.ep);
        })(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await nodeTlsExchange({ port, message: 'ping through caller buffers' });
      expect(result.protocol).toBe('TLSv1.3');
      expect(result.authorized).toBe(true);
      expect(result.received).toBe('ping through caller buffers');
      expect(await served[0]).toBe('ping through caller buffers');
    } finally {
      server.close();
    }
  });
});
