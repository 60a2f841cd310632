/**
 * The Worker example (workers/fetch-worker/worker.ts) in workerd, run by miniflare: its fetch
 * handler dials a TLS server on loopback with `connect()` from `cloudflare:sockets`, runs webtls
 * over the socket, does an HTTP/1.1 GET and keeps the tickets in a Durable Object. The example
 * is loaded twice, as Workers `a` and `b` (separate isolates sharing the TlsStateObject), so the
 * second request resumes with a ticket the other isolate stored (RFC 8446 §2.2).
 *
 * Servers: `openssl s_server -www` (its status page says `New` or `Reused` for each connection)
 * and a webtls server with a ticketer (its own `info.resumed` confirms the resumption).
 * miniflare's `connect()` reaches 127.0.0.1 with no extra option: see docs/interop.md.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AeadTicketer } from '../../src/sessions/ticketer.ts';
import { httpResponder } from '../interop/peers/http.ts';
import { startOpensslServer } from '../interop/peers/openssl.ts';
import { certFiles, pem, ROOT } from '../interop/peers/pki.ts';
import { killAllPeers } from '../interop/peers/proc.ts';
import { requirePeer } from '../interop/peers/require.ts';
import { loadCert, startWebtlsServer } from '../interop/peers/webtls.ts';

const HAVE_OPENSSL = requirePeer('openssl');
const COMPATIBILITY_DATE = '2025-09-01';
const BODY = 'hello from the webtls test server\n';

let dir: string;
let scriptPath: string;
const started: Miniflare[] = [];

/** Fetch into Worker `a` or `b`. */
type Workers = Record<'a' | 'b', () => Promise<Response>>;

/**
 * Runs the example as Workers `a` and `b` (one Durable Object namespace, defined by `a`) aimed
 * at 127.0.0.1:`port`, verifying the server as `localhost` under the test root.
 */
async function startWorkers(port: number): Promise<Workers> {
  const bindings = {
    TLS_HOST: '127.0.0.1',
    TLS_PORT: String(port),
    TLS_SERVER_NAME: 'localhost',
    TLS_CA_PEM: pem(ROOT),
  };
  const durableObjects = { TLS_STATE: { className: 'TlsStateObject', scriptName: 'a' } };
  const worker = (name: string) => ({
    name,
    // The bundle as one explicit module: with `modules: true` miniflare walks its imports and
    // refuses @hpke/common's guarded `import("crypto")` fallback (see docs/interop.md).
    modules: [{ type: 'ESModule' as const, path: scriptPath }],
    modulesRoot: dir,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    durableObjects,
  });
  const mf = new Miniflare({ workers: [worker('a'), worker('b')] });
  started.push(mf);
  await mf.ready;
  const fetcher = async (name: 'a' | 'b') => {
    // Typed by hand: miniflare's own types come from a Cloudflare type package not installed here.
    const w = (await mf.getWorker(name)) as unknown as {
      fetch(url: string): Promise<Response>;
    };
    return () => w.fetch('http://worker/');
  };
  return { a: await fetcher('a'), b: await fetcher('b') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'webtls-fetch-worker-'));
  scriptPath = join(dir, 'worker.js');
  await build({
    entryPoints: [fileURLToPath(new URL('../../workers/fetch-worker/worker.ts', import.meta.url))],
    outfile: scriptPath,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // Provided by workerd at run time.
    external: ['cloudflare:sockets'],
    logLevel: 'silent',
  });
});

afterAll(async () => {
  await killAllPeers();
  // A Miniflare whose start failed rejects dispose() too; the others must still be stopped.
  for (const mf of started) await mf.dispose().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Worker example → webtls server with a ticketer', () => {
  it('the first request makes a full handshake, the next one (other isolate) resumes', async () => {
    const server = await startWebtlsServer(
      { certificates: [await loadCert(certFiles('p256'))], ticketer: new AeadTicketer() },
      httpResponder(BODY),
    );
    try {
      const workers = await startWorkers(server.port);

      const first = await workers.a();
      expect(first.status, await first.clone().text()).toBe(200);
      expect(await first.text()).toBe(BODY);
      expect(first.headers.get('x-webtls-resumed')).toBe('no');
      expect(first.headers.get('x-webtls-protocol')).toBe('TLSv1.3');
      expect(first.headers.get('x-webtls-upstream-status')).toBe('200');
      expect(Number(first.headers.get('x-webtls-tickets-stored'))).toBeGreaterThan(0);
      const seen = await server.session(0);
      expect(seen.error).toBeUndefined();
      expect(seen.info?.resumed).toBe(false);
      expect(seen.info?.serverName).toBe('localhost');
      expect(seen.received).toMatch(/^GET \/ HTTP\/1\.1\r\nHost: localhost\r\n/);

      const second = await workers.b();
      expect(second.status, await second.clone().text()).toBe(200);
      expect(await second.text()).toBe(BODY);
      expect(second.headers.get('x-webtls-resumed')).toBe('yes');
      expect(second.headers.get('x-webtls-protocol')).toBe('TLSv1.3');
      // The server agrees: it accepted the ticket.
      expect((await server.session(1)).info?.resumed).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('answers 502 with the TlsError code when nothing listens on the port', async () => {
    const port = await closedPort();
    const workers = await startWorkers(port);
    const response = await workers.a();
    expect(response.status).toBe(502);
    expect(response.headers.get('x-webtls-error')).toBe('TRANSPORT');
    expect(await response.text()).toMatch(/tls: 127\.0\.0\.1:\d+ failed to open/);
  });
});

describe.skipIf(!HAVE_OPENSSL)('Worker example → openssl s_server -www', () => {
  it('resumes on the second request; OpenSSL reports New, then Reused', async () => {
    const server = await startOpensslServer({ cert: certFiles('p384'), www: true });
    const workers = await startWorkers(server.port);

    const first = await workers.a();
    const firstBody = await first.text();
    expect(first.status, firstBody).toBe(200);
    expect(first.headers.get('x-webtls-resumed')).toBe('no');
    expect(first.headers.get('x-webtls-protocol')).toBe('TLSv1.3');
    // OpenSSL sends two tickets after the handshake (RFC 8446 §4.6.1); both were stored.
    expect(first.headers.get('x-webtls-tickets-stored')).toBe('2');
    expect(firstBody).toContain('New, TLSv1.3');

    const second = await workers.b();
    const secondBody = await second.text();
    expect(second.status, secondBody).toBe(200);
    expect(second.headers.get('x-webtls-resumed')).toBe('yes');
    expect(secondBody).toContain('Reused, TLSv1.3');
  });
});

/** A loopback port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}
