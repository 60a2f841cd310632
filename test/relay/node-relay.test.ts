/**
 * The Node WebSocket-to-TCP relay (workers/relay/node.ts) with real peers: a webtls client
 * speaking through relayTransport() and the `ws` package, relayed to a webtls server and to
 * `openssl s_server` on loopback; then the policy, the limits and the logs.
 */
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ServerConfig } from '../../src/config.ts';
import { TlsError } from '../../src/error.ts';
import { type ConnectOptions, connect, type TlsStream } from '../../src/streams/index.ts';
import type { WebSocketConstructorLike } from '../../src/web/websocket.ts';
import { relayTransport } from '../../src/web/websocket.ts';
import type { RelayLogRecord } from '../../workers/relay/log.ts';
import { type Relay, type RelayOptions, startRelay } from '../../workers/relay/node.ts';
import { startOpensslServer } from '../interop/peers/openssl.ts';
import { certFiles, pem, ROOT } from '../interop/peers/pki.ts';
import { killAllPeers } from '../interop/peers/proc.ts';
import { requirePeer } from '../interop/peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer } from '../interop/peers/webtls.ts';

const HAVE_OPENSSL = requirePeer('openssl');
const WS = WebSocket as unknown as WebSocketConstructorLike;
const MARKER = 'relay-payload-marker-7f3a9c';
const latin1 = new TextDecoder('latin1');
const utf8 = new TextEncoder();

const relays: Relay[] = [];
const tcpServers: Server[] = [];

/** Starts a relay whose log lines are kept as JSON text, as the default logger writes them. */
async function relayWithLog(
  options: Omit<RelayOptions, 'log'>,
): Promise<{ relay: Relay; lines: string[]; records: () => RelayLogRecord[] }> {
  const lines: string[] = [];
  const relay = await startRelay({
    ...options,
    log: (record) => lines.push(JSON.stringify(record)),
  });
  relays.push(relay);
  return { relay, lines, records: () => lines.map((line) => JSON.parse(line)) };
}

function clientOptions(serverName = 'localhost'): ConnectOptions {
  return { serverName, roots: [pem(ROOT)] };
}

/** Reads until `pattern` matches the text so far; bounded in time. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  pattern: RegExp,
  timeoutMs = 10_000,
): Promise<string> {
  let text = '';
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(text)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; got ${text}`);
    const { value, done } = await reader.read();
    if (done) throw new Error(`stream ended waiting for ${pattern}; got ${text}`);
    text += latin1.decode(value);
  }
  return text;
}

/** Polls `condition` every 10 ms for at most `timeoutMs`. */
async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A raw `ws` client to `url`; resolves with the close code and reason it receives. */
function rawClient(url: string): {
  ws: WebSocket;
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
} {
  const ws = new WebSocket(url);
  const opened = new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  ws.on('error', () => undefined);
  return { ws, opened, closed };
}

/** A TCP server on loopback that counts the connections it sees and holds them open. */
async function countingServer(): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.on('error', () => undefined);
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { port: address.port, connections: () => count };
}

/** A TCP echo server on loopback. */
async function echoServer(): Promise<number> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    socket.pipe(socket);
  });
  tcpServers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return address.port;
}

afterEach(async () => {
  await Promise.all(relays.splice(0).map((relay) => relay.close()));
  for (const server of tcpServers.splice(0)) {
    server.close();
  }
});
afterAll(killAllPeers);

/** Asserts every line is a JSON object and none contains `marker`. */
function expectCleanLog(lines: string[], marker: string): void {
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    expect(line).not.toContain('\n');
    const record = JSON.parse(line) as RelayLogRecord;
    expect(typeof record.time).toBe('string');
    expect(typeof record.event).toBe('string');
    expect(line).not.toContain(marker);
    expect(line.toLowerCase()).not.toContain(Buffer.from(marker).toString('hex'));
    expect(line).not.toContain(Buffer.from(marker).toString('base64'));
  }
}

describe('Node relay: TLS through the relay to real servers', () => {
  let webtls: WebtlsServer;
  beforeAll(async () => {
    const config: ServerConfig = { certificates: [await loadCert(certFiles('p256'))] };
    webtls = await startWebtlsServer(config);
  });
  afterAll(() => webtls.close());

  it('webtls client → relay → webtls server: handshake, echo both ways, clean close', async () => {
    const { relay, lines, records } = await relayWithLog({
      allow: [`127.0.0.1:${webtls.port}`],
    });
    const transport = await relayTransport(relay.url, '127.0.0.1', webtls.port, { WebSocket: WS });
    const tls: TlsStream = connect(transport, clientOptions());
    const info = await tls.opened;
    expect(info.protocol).toBe('TLSv1.3');

    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();
    // Larger than one record and one WebSocket message, so it is relayed in pieces.
    const message = `${MARKER}:${'x'.repeat(40_000)}:end\n`;
    await writer.write(utf8.encode(message));
    const echoed = await readUntil(reader, /:end\n/);
    expect(echoed).toBe(message);

    await writer.close();
    const rest = await reader.read();
    expect(rest.done).toBe(true);
    await tls.closed;
    const session = await webtls.session(webtls.sessions.length - 1);
    expect(session.error).toBeUndefined();
    expect(session.received).toBe(message);

    await waitUntil(() => records().some((r) => r.event === 'closed'), 'closed record');
    const events = records().map((r) => r.event);
    expect(events).toEqual(['listening', 'open', 'connected', 'closed']);
    const closed = records().find((r) => r.event === 'closed')!;
    expect(closed.bytesIn).toBeGreaterThan(message.length);
    expect(closed.bytesOut).toBeGreaterThan(message.length);
    expect(closed.durationMs).toBeGreaterThanOrEqual(0);
    expect(relay.stats()).toMatchObject({ active: 0, admitted: 1, refused: 0 });
    expectCleanLog(lines, MARKER);
  });

  it.skipIf(!HAVE_OPENSSL)('webtls client → relay → openssl s_server: both ways', async () => {
    const server = await startOpensslServer({ cert: certFiles('p256') });
    const { relay, lines } = await relayWithLog({ allow: [`127.0.0.1:${server.port}`] });
    const transport = await relayTransport(relay.url, '127.0.0.1', server.port, { WebSocket: WS });
    const tls = connect(transport, clientOptions());
    await tls.opened;
    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();

    // Client → server: s_server prints what it reads.
    await writer.write(utf8.encode(`${MARKER} from client\n`));
    await server.proc.waitFor(new RegExp(`${MARKER} from client`), { stream: 'stdout' });
    // Server → client: s_server sends its stdin.
    server.proc.write(`${MARKER} from server\n`);
    expect(await readUntil(reader, /from server\n/)).toContain(`${MARKER} from server`);

    await writer.close();
    await waitUntil(() => relay.stats().active === 0, 'relay connection closed');
    server.proc.kill();
    expectCleanLog(lines, MARKER);
  });
});

describe('Node relay: policy', () => {
  it('refuses an unlisted destination with 1008 and never connects to it', async () => {
    const target = await countingServer();
    const allowed = await countingServer();
    const { relay, records } = await relayWithLog({ allow: [`127.0.0.1:${allowed.port}`] });
    const client = rawClient(`${relay.url}?host=127.0.0.1&port=${target.port}`);
    const { code, reason } = await client.closed;
    expect(code).toBe(1008);
    expect(reason).toBe('destination not allowed');
    const refused = records().filter((r) => r.event === 'refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ host: '127.0.0.1', port: target.port, code: 1008 });
    expect(refused[0].reason).toBe('destination not allowed');
    // Give a stray connection time to show up; there must be none.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(target.connections()).toBe(0);
    expect(records().some((r) => r.event === 'open' || r.event === 'connected')).toBe(false);
  });

  it('refuses a name entry for an IP, and ::ffff:127.0.0.1 for a 127.0.0.1 entry', async () => {
    const target = await countingServer();
    const { relay } = await relayWithLog({ allow: [`localhost:${target.port}`] });
    const byIp = rawClient(`${relay.url}?host=127.0.0.1&port=${target.port}`);
    expect((await byIp.closed).code).toBe(1008);
    const { relay: relay2 } = await relayWithLog({ allow: [`127.0.0.1:${target.port}`] });
    const mapped = rawClient(`${relay2.url}?host=${encodeURIComponent('::ffff:127.0.0.1')}`);
    expect((await mapped.closed).code).toBe(1008);
    expect(target.connections()).toBe(0);
  });

  it.each([
    ['no port', 'host=127.0.0.1', 'expected exactly one port parameter'],
    ['port 0', 'host=127.0.0.1&port=0', 'port must be an integer from 1 to 65535'],
    ['port 65536', 'host=127.0.0.1&port=65536', 'port must be an integer from 1 to 65535'],
    ['port +443', 'host=127.0.0.1&port=%2B443', 'port must be an integer from 1 to 65535'],
    ['two hosts', 'host=a.test&host=b.test&port=443', 'expected exactly one host parameter'],
    ['an extra parameter', 'host=a.test&port=443&x=1', 'unexpected query parameter "x"'],
    ['short IPv4', 'host=127.1&port=443', 'host is not a dotted-decimal IPv4 address'],
    ['a user part', 'host=u%40evil.test&port=443', 'host is not a valid DNS name'],
    ['a zone id', 'host=fe80%3A%3A1%25eth0&port=443', 'host is not an IPv6 address'],
  ])('refuses a malformed request: %s', async (_name, query, reason) => {
    const { relay, records } = await relayWithLog({ allow: ['a.test:443', '127.0.0.1:443'] });
    const client = rawClient(`${relay.url}?${query}`);
    const closed = await client.closed;
    expect(closed.code).toBe(1008);
    expect(closed.reason).toContain(reason);
    expect(records().filter((r) => r.event === 'refused')).toHaveLength(1);
    expect(relay.stats()).toMatchObject({ refused: 1, admitted: 0 });
  });

  it('refuses pages from an origin not listed', async () => {
    const port = await echoServer();
    const { relay } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      origins: ['https://app.test'],
    });
    const url = `${relay.url}?host=127.0.0.1&port=${port}`;
    const other = new WebSocket(url, { origin: 'https://evil.test' });
    const code = await new Promise<number>((resolve) => other.once('close', resolve));
    expect(code).toBe(1008);
    const good = new WebSocket(url, { origin: 'https://app.test' });
    await new Promise((resolve) => good.once('open', resolve));
    good.send(utf8.encode('ping'));
    const echoed = await new Promise<Buffer>((resolve) => good.once('message', resolve));
    expect(echoed.toString()).toBe('ping');
    good.close(1000);
  });

  it('answers plain HTTP with 426 and other paths with 404', async () => {
    const { relay } = await relayWithLog({ allow: ['a.test:443'] });
    const http = relay.url.replace('ws:', 'http:');
    expect((await fetch(http)).status).toBe(426);
    expect((await fetch(http.replace('/relay', '/other'))).status).toBe(404);
  });
});

describe('Node relay: limits', () => {
  it('refuses the N+1th connection with 1013 and admits again after one closes', async () => {
    const port = await echoServer();
    const { relay } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { maxConnections: 2 },
    });
    const url = `${relay.url}?host=127.0.0.1&port=${port}`;
    const first = rawClient(url);
    const second = rawClient(url);
    await Promise.all([first.opened, second.opened]);
    await waitUntil(() => relay.stats().active === 2, 'two active');
    const third = rawClient(url);
    const closed = await third.closed;
    expect(closed).toEqual({ code: 1013, reason: 'too many connections' });

    first.ws.close(1000);
    await waitUntil(() => relay.stats().active === 1, 'one closed');
    const fourth = rawClient(url);
    await fourth.opened;
    fourth.ws.send(utf8.encode('again'));
    const echoed = await new Promise<Buffer>((resolve) => fourth.ws.once('message', resolve));
    expect(echoed.toString()).toBe('again');
    second.ws.close(1000);
    fourth.ws.close(1000);
  });

  it('caps connections per client address', async () => {
    const port = await echoServer();
    const { relay } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { maxConnectionsPerClient: 1 },
    });
    const url = `${relay.url}?host=127.0.0.1&port=${port}`;
    const first = rawClient(url);
    await first.opened;
    await waitUntil(() => relay.stats().active === 1, 'one active');
    const second = rawClient(url);
    expect(await second.closed).toEqual({
      code: 1013,
      reason: 'too many connections from this client',
    });
    first.ws.close(1000);
  });

  it('closes a connection that relays more than the byte cap', async () => {
    const port = await echoServer();
    const { relay, records } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { maxBytesPerDirection: 1000 },
    });
    const client = rawClient(`${relay.url}?host=127.0.0.1&port=${port}`);
    await client.opened;
    let received = 0;
    client.ws.on('message', (data: Buffer) => {
      received += data.length;
    });
    client.ws.send(new Uint8Array(600));
    await waitUntil(() => received === 600, 'first echo');
    client.ws.send(new Uint8Array(600));
    const closed = await client.closed;
    expect(closed).toEqual({ code: 1008, reason: 'byte limit reached' });
    expect(received).toBe(600);
    await waitUntil(() => records().some((r) => r.event === 'closed'), 'closed record');
    const record = records().find((r) => r.event === 'closed')!;
    expect(record.reason).toBe('byte limit reached');
    expect(record.bytesIn).toBe(1200);
  });

  it('closes with 1009 on a message over maxMessageBytes, before relaying it', async () => {
    const port = await echoServer();
    const { relay, records } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { maxMessageBytes: 1000 },
    });
    const client = rawClient(`${relay.url}?host=127.0.0.1&port=${port}`);
    await client.opened;
    client.ws.send(new Uint8Array(1001));
    expect((await client.closed).code).toBe(1009);
    await waitUntil(() => records().some((r) => r.event === 'closed'), 'closed record');
    expect(records().find((r) => r.event === 'closed')?.bytesIn).toBe(0);
    expect(relay.stats().active).toBe(0);
  });

  it('closes an idle connection after the idle timeout, and not an active one', async () => {
    const port = await echoServer();
    const { relay } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { idleTimeoutMs: 300 },
    });
    const url = `${relay.url}?host=127.0.0.1&port=${port}`;
    const busy = rawClient(url);
    const idle = rawClient(url);
    await Promise.all([busy.opened, idle.opened]);
    const started = Date.now();
    let busyClosed = false;
    busy.closed.then(() => {
      busyClosed = true;
    });
    // Keep one connection busy with a byte every 100 ms while the other idles.
    const ticker = setInterval(() => busy.ws.send(new Uint8Array(1)), 100);
    const closed = await idle.closed;
    const elapsed = Date.now() - started;
    expect(closed).toEqual({ code: 1008, reason: 'idle timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(5_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    clearInterval(ticker);
    expect(busyClosed).toBe(false);
    busy.ws.close(1000);
  });

  it('closes with 1014 when the destination refuses the TCP connection', async () => {
    const target = await countingServer();
    const port = target.port;
    tcpServers.pop()!.close();
    const { relay, records } = await relayWithLog({ allow: [`127.0.0.1:${port}`] });
    const transport = await relayTransport(relay.url, '127.0.0.1', port, { WebSocket: WS });
    const tls = connect(transport, clientOptions());
    const error = await tls.opened.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TlsError);
    await waitUntil(() => records().some((r) => r.event === 'closed'), 'closed record');
    expect(records().find((r) => r.event === 'error')?.reason).toBe('ECONNREFUSED');
    expect(records().find((r) => r.event === 'closed')).toMatchObject({ code: 1014 });
  });
});

describe('Node relay: back-pressure', () => {
  const TOTAL = 48 * 1024 * 1024;
  /** Loopback kernel buffers plus the relay's own bound stay well under this. */
  const BOUND = 24 * 1024 * 1024;

  it('stops reading the destination while the client does not read', async () => {
    // The destination writes TOTAL bytes as fast as it may, honouring its own back-pressure.
    let flushed = 0;
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      const chunk = new Uint8Array(64 * 1024);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += chunk.length;
          if (!socket.write(chunk, () => (flushed += chunk.length))) {
            socket.once('drain', pump);
            return;
          }
        }
        socket.end();
      };
      pump();
    });
    tcpServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const { relay } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { maxBytesPerDirection: TOTAL },
    });
    const client = rawClient(`${relay.url}?host=127.0.0.1&port=${port}`);
    await client.opened;
    client.ws.pause();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(relay.stats().bytesOut).toBeLessThan(BOUND);
    expect(flushed).toBeLessThan(BOUND);

    let received = 0;
    client.ws.on('message', (data: Buffer) => {
      received += data.length;
    });
    client.ws.resume();
    const closed = await client.closed;
    expect(closed.code).toBe(1000);
    expect(received).toBe(TOTAL);
  });

  it('stops reading the client while the destination does not read', async () => {
    let destination: import('node:net').Socket | undefined;
    let taken = 0;
    const server = createServer((socket) => {
      socket.on('error', () => undefined);
      destination = socket;
      socket.pause();
      socket.on('data', (data) => {
        taken += data.length;
      });
    });
    tcpServers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const { relay } = await relayWithLog({
      allow: [`127.0.0.1:${port}`],
      limits: { maxBytesPerDirection: TOTAL },
    });
    const client = rawClient(`${relay.url}?host=127.0.0.1&port=${port}`);
    await client.opened;
    const chunk = new Uint8Array(256 * 1024);
    for (let sent = 0; sent < TOTAL; sent += chunk.length) client.ws.send(chunk);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(relay.stats().bytesIn).toBeLessThan(BOUND);
    // What the relay did not take waits in the client.
    expect(client.ws.bufferedAmount).toBeGreaterThan(TOTAL - BOUND);

    destination!.resume();
    await waitUntil(() => taken === TOTAL, `all ${TOTAL} bytes taken (got ${taken})`, 20_000);
    expect(relay.stats().bytesIn).toBe(TOTAL);
    client.ws.close(1000);
  });
});

describe('Node relay: connect timeout', () => {
  it('closes with 1014 when the TCP handshake does not complete in time', async (context) => {
    // A listener with a full accept queue that never accepts: further SYNs go unanswered.
    const { spawn } = await import('node:child_process');
    const python = spawn('python3', [
      '-c',
      'import socket,sys,time\n' +
        's=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(0)\n' +
        'print(s.getsockname()[1], flush=True); time.sleep(20)',
    ]);
    try {
      const port = await new Promise<number>((resolve, reject) => {
        python.once('error', reject);
        python.stdout.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
      });
      // Fill the accept queue (backlog 0 holds one, Linux admits one more).
      const { connect: tcp } = await import('node:net');
      const fillers = [tcp(port, '127.0.0.1'), tcp(port, '127.0.0.1'), tcp(port, '127.0.0.1')];
      for (const socket of fillers) socket.on('error', () => undefined);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const probe = tcp(port, '127.0.0.1');
      probe.on('error', () => undefined);
      const probeConnected = await new Promise<boolean>((resolve) => {
        probe.once('connect', () => resolve(true));
        setTimeout(() => resolve(false), 300);
      });
      probe.destroy();
      if (probeConnected) {
        for (const socket of fillers) socket.destroy();
        context.skip('this kernel completes handshakes past a full accept queue');
      }

      const { relay, records } = await relayWithLog({
        allow: [`127.0.0.1:${port}`],
        limits: { connectTimeoutMs: 300 },
      });
      const client = rawClient(`${relay.url}?host=127.0.0.1&port=${port}`);
      const started = Date.now();
      expect(await client.closed).toEqual({ code: 1014, reason: 'connect timeout' });
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
      expect(records().some((r) => r.event === 'connected')).toBe(false);
      for (const socket of fillers) socket.destroy();
    } finally {
      python.kill();
    }
  });
});
