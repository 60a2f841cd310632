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
const WS = WebSocket as unknown as WebSocketConstructorLike;
const MARKER = 'worker-relay-payload-marker-41b7';
const latin1 = new TextDecoder('latin1');
const utf8 = new TextEncoder();

let dir: string;
let mf: Miniflare;
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
function records(): RelayLogRecord[] {
  return stdoutLines
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

/** A raw `ws` client; resolves with the close code and reason it receives. */
function closeOf(url: string): Promise<{ code: number; reason: string }> {
  const ws = new WebSocket(url);
  ws.on('error', () => undefined);
  return new Promise((resolve) => {
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() }));
  });
}

function collectLines(stream: Readable): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    stdoutLines.push(...lines);
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
  const scriptPath = join(dir, 'worker.js');
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
  const allow = [`127.0.0.1:${webtls.port}`, 'localhost:1-65535'];
  if (openssl) allow.push(`127.0.0.1:${openssl.port}`);
  mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    modules: true,
    scriptPath,
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { RELAY_ALLOW: allow.join(','), RELAY_MAX_BYTES: '1000000' },
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      collectLines(stdout);
      stderr.resume();
    },
  });
  const base = await mf.ready;
  relayUrl = `${base.href.replace(/^http/, 'ws').replace(/\/$/, '')}/relay`;
});

afterAll(async () => {
  await mf?.dispose();
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
