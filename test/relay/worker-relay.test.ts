/**
 * The Worker relay (workers/relay/worker.ts) in workerd, run by miniflare: a webtls client on
 * Node opens a WebSocket (the `ws` package) to miniflare's address, and the Worker pipes it with
 * `connect()` from `cloudflare:sockets` to a TLS server on 127.0.0.1 — a webtls server and
 * `openssl s_server`. Then the policy inside workerd: refusals close with 1008 before any TCP
 * connection, and the Worker's JSON log lines (workerd's stdout) never hold the payload.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { connect } from '../../src/streams/index.ts';
import type { WebSocketConstructorLike } from '../../src/web/websocket.ts';
import { relayTransport } from '../../src/web/websocket.ts';
import type { RelayLogRecord } from '../../workers/relay/log.ts';
import { type OpensslServer, startOpensslServer } from '../interop/peers/openssl.ts';
import { certFiles, pem, ROOT } from '../interop/peers/pki.ts';
import { killAllPeers } from '../interop/peers/proc.ts';
import { requirePeer } from '../interop/peers/require.ts';
import { loadCert, startWebtlsServer, type WebtlsServer } from '../interop/peers/webtls.ts';

const HAVE_OPENSSL = requirePeer('openssl');
const COMPATIBILITY_DATE = '2025-09-01';
/** The installed workerd's date: binary messages default to Blob, close frames auto-answered. */
const LATEST_DATE = '2026-04-26';
const WS = WebSocket as unknown as WebSocketConstructorLike;
const MARKER = 'worker-relay-payload-marker-41b7';
const latin1 = new TextDecoder('latin1');
const utf8 = new TextEncoder();

let dir: string;
let scriptPath: string;
const started: Miniflare[] = [];
let relayUrl: string;
let webtls: WebtlsServer;
let openssl: OpensslServer | undefined;
/** A loopback server that must never see a connection (it is not on the allowlist). */
let unlisted: Server;
let unlistedPort: number;
let unlistedConnections = 0;
/** workerd's stdout, split in lines. */
const stdoutLines: string[] = [];

/** The relay's JSON records among workerd's stdout lines. */
function records(lines: string[] = stdoutLines): RelayLogRecord[] {
  return lines
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as RelayLogRecord);
}

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

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not in time: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A raw `ws` client: when it opened, what it received, how it was closed. */
function rawClient(url: string) {
  const ws = new WebSocket(url);
  ws.on('error', () => undefined);
  let received = 0;
  ws.on('message', (data: Buffer) => {
    received += data.length;
  });
  const opened = new Promise<void>((resolve) => ws.once('open', () => resolve()));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
  return { ws, opened, closed, received: () => received };
}

/** Resolves with the close code and reason a raw client to `url` receives. */
function closeOf(url: string): Promise<{ code: number; reason: string }> {
  return rawClient(url).closed;
}

function collectLines(stream: Readable, lines: string[]): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
  });
}

beforeAll(async () => {
  webtls = await startWebtlsServer({ certificates: [await loadCert(certFiles('p256'))] });
  if (HAVE_OPENSSL) openssl = await startOpensslServer({ cert: certFiles('p256') });
  unlisted = createServer((socket) => {
    unlistedConnections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => unlisted.listen(0, '127.0.0.1', resolve));
  unlistedPort = (unlisted.address() as { port: number }).port;

  dir = mkdtempSync(join(tmpdir(), 'webtls-relay-worker-'));
  scriptPath = join(dir, 'worker.js');
  await build({
    entryPoints: [fileURLToPath(new URL('../../workers/relay/worker.ts', import.meta.url))],
    outfile: scriptPath,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Provided by workerd at run time.
    external: ['cloudflare:sockets'],
    logLevel: 'silent',
  });
  const allow = [`127.0.0.1:${webtls.port}`];
  if (openssl) allow.push(`127.0.0.1:${openssl.port}`);
  relayUrl = await startRelayWorker({ RELAY_ALLOW: allow.join(',') }, stdoutLines);
});

/** Runs the bundled relay in a new workerd with `bindings`; returns its WebSocket URL. */
async function startRelayWorker(
  bindings: Record<string, string>,
  lines: string[],
  compatibilityDate = COMPATIBILITY_DATE,
) {
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    scriptPath,
    modulesRoot: dir,
    compatibilityDate,
    bindings,
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      collectLines(stdout, lines);
      stderr.resume();
    },
  });
  started.push(mf);
  const base = await mf.ready;
  return `${base.href.replace(/^http/, 'ws').replace(/\/$/, '')}/relay`;
}

afterAll(async () => {
  for (const mf of started) await mf.dispose();
  await webtls?.close();
  unlisted?.close();
  await killAllPeers();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Worker relay in workerd: TLS through connect() to loopback servers', () => {
  it('webtls client → workerd relay → webtls server: handshake, echo, clean close', async () => {
    const transport = await relayTransport(relayUrl, '127.0.0.1', webtls.port, { WebSocket: WS });
    const tls = connect(transport, { serverName: 'localhost', roots: [pem(ROOT)] });
    const info = await tls.opened;
    expect(info.protocol).toBe('TLSv1.3');
    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();
    const message = `${MARKER}:${'y'.repeat(30_000)}:end\n`;
    await writer.write(utf8.encode(message));
    expect(await readUntil(reader, /:end\n/)).toBe(message);
    await writer.close();
    expect((await reader.read()).done).toBe(true);
    await tls.closed;
    const session = await webtls.session(webtls.sessions.length - 1);
    expect(session.error).toBeUndefined();
    expect(session.received).toBe(message);

    await waitUntil(() => records().some((r) => r.event === 'closed'), 'closed record');
    const closed = records().find((r) => r.event === 'closed')!;
    expect(closed.bytesIn).toBeGreaterThan(message.length);
    expect(closed.bytesOut).toBeGreaterThan(message.length);
  });

  it.skipIf(!HAVE_OPENSSL)('webtls client → workerd relay → openssl s_server', async () => {
    const server = openssl!;
    const transport = await relayTransport(relayUrl, '127.0.0.1', server.port, { WebSocket: WS });
    const tls = connect(transport, { serverName: 'localhost', roots: [pem(ROOT)] });
    await tls.opened;
    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();
    await writer.write(utf8.encode(`${MARKER} from client\n`));
    await server.proc.waitFor(new RegExp(`${MARKER} from client`), { stream: 'stdout' });
    server.proc.write(`${MARKER} from server\n`);
    expect(await readUntil(reader, /from server\n/)).toContain(`${MARKER} from server`);
    await writer.close();
  });
});

describe(`Worker relay in workerd at compatibility date ${LATEST_DATE}`, () => {
  it('relays TLS both ways, and answers a client that closes first', async () => {
    const url = await startRelayWorker(
      { RELAY_ALLOW: `127.0.0.1:${webtls.port}` },
      [],
      LATEST_DATE,
    );
    const transport = await relayTransport(url, '127.0.0.1', webtls.port, { WebSocket: WS });
    const tls = connect(transport, { serverName: 'localhost', roots: [pem(ROOT)] });
    await tls.opened;
    const writer = tls.writable.getWriter();
    const reader = tls.readable.getReader();
    await writer.write(utf8.encode('ping\n'));
    expect(await readUntil(reader, /ping\n/)).toBe('ping\n');
    await writer.close();
    expect((await reader.read()).done).toBe(true);

    const raw = new WebSocket(`${url}?host=127.0.0.1&port=${webtls.port}`);
    await new Promise((resolve) => raw.once('open', resolve));
    raw.close(1000);
    const code = await new Promise<number>((resolve) => raw.once('close', resolve));
    expect(code).toBe(1000);
  });
});

describe('Worker relay in workerd: policy', () => {
  it('refuses an unlisted destination with 1008 and a refused record, without connecting', async () => {
    const closed = await closeOf(`${relayUrl}?host=127.0.0.1&port=${unlistedPort}`);
    expect(closed).toEqual({ code: 1008, reason: 'destination not allowed' });
    await waitUntil(
      () => records().some((r) => r.event === 'refused' && r.port === unlistedPort),
      'refused record',
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(unlistedConnections).toBe(0);
  });

  it('refuses malformed queries with 1008 and the reason', async () => {
    expect(await closeOf(`${relayUrl}?host=127.0.0.1`)).toEqual({
      code: 1008,
      reason: 'expected exactly one port parameter',
    });
    expect(await closeOf(`${relayUrl}?host=localhost&port=99999`)).toEqual({
      code: 1008,
      reason: 'port must be an integer from 1 to 65535',
    });
    expect(await closeOf(`${relayUrl}?host=-bad-.test&port=443`)).toMatchObject({ code: 1008 });
  });

  it('answers a plain request at the path with 426', async () => {
    const response = await fetch(relayUrl.replace(/^ws/, 'http'));
    expect(response.status).toBe(426);
    await response.body?.cancel();
  });

  it('writes valid JSON lines that never hold the payload', async () => {
    const lines = stdoutLines.filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) {
      const record = JSON.parse(line) as RelayLogRecord;
      expect(typeof record.event).toBe('string');
      expect(line).not.toContain(MARKER);
      expect(line.toLowerCase()).not.toContain(Buffer.from(MARKER).toString('hex'));
    }
  });
});

describe('Worker relay in workerd: limits', () => {
  const lines: string[] = [];
  let url: string;
  let port: number;
  let echo: Server;
  beforeAll(async () => {
    echo = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.pipe(socket);
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    port = (echo.address() as { port: number }).port;
    url = await startRelayWorker(
      {
        RELAY_ALLOW: `localhost:${port} 127.0.0.1:${port}`,
        RELAY_MAX_CONNECTIONS: '2',
        RELAY_MAX_BYTES: '1000',
        RELAY_IDLE_TIMEOUT_MS: '500',
      },
      lines,
    );
  });
  afterAll(() => {
    echo?.close();
  });

  it('relays to a listed name (localhost), then closes past the byte cap with 1008', async () => {
    const client = rawClient(`${url}?host=localhost&port=${port}`);
    await client.opened;
    client.ws.send(new Uint8Array(600));
    await waitUntil(() => client.received() === 600, 'first echo');
    client.ws.send(new Uint8Array(600));
    expect(await client.closed).toEqual({ code: 1008, reason: 'byte limit reached' });
    expect(client.received()).toBe(600);
    await waitUntil(
      () => records(lines).some((r) => r.event === 'closed' && r.reason === 'byte limit reached'),
      'closed record',
    );
  });

  it('closes an idle connection with 1008 after the idle timeout', async () => {
    const client = rawClient(`${url}?host=127.0.0.1&port=${port}`);
    await client.opened;
    const opened = Date.now();
    expect(await client.closed).toEqual({ code: 1008, reason: 'idle timeout' });
    expect(Date.now() - opened).toBeGreaterThanOrEqual(400);
  });

  it('refuses the third connection with 1013 while two are open', async () => {
    const target = `${url}?host=127.0.0.1&port=${port}`;
    const first = rawClient(target);
    const second = rawClient(target);
    await Promise.all([first.opened, second.opened]);
    expect(await closeOf(target)).toEqual({ code: 1013, reason: 'too many connections' });
    first.ws.close(1000);
    second.ws.close(1000);
    await Promise.all([first.closed, second.closed]);
  });

  it('closes with 1003 on a text message', async () => {
    const client = rawClient(`${url}?host=127.0.0.1&port=${port}`);
    await client.opened;
    client.ws.send('text');
    expect(await client.closed).toEqual({ code: 1003, reason: 'binary messages only' });
  });
});
