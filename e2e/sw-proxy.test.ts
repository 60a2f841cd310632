/**
 * The Service Worker fetch proxy (web/src/sw) in Debian's Chromium, end to end: a page's fetch
 * of `https://localhost:PORT/hello` is answered by the worker, which speaks HTTP/1.1 over webtls
 * through the Node relay (workers/relay) to an in-process webtls server. The worker keeps
 * tickets in IndexedDB, so the second fetch resumes; two tabs under two workers of one origin
 * racing for a single ticket present it once between them. The page and worker are bundled
 * from web/ with esbuild and served from 127.0.0.1; every wait is bounded.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CryptoProvider } from '../src/crypto/provider.ts';
import { AeadTicketer, type Ticketer } from '../src/sessions/ticketer.ts';
import type { TlsStream } from '../src/streams/types.ts';
import { certFiles, otherCertFiles, pem, ROOT } from '../test/interop/peers/pki.ts';
import { requirePeer } from '../test/interop/peers/require.ts';
import {
  loadCert,
  type ServerSession,
  startWebtlsServer,
  type WebtlsServer,
} from '../test/interop/peers/webtls.ts';
import type { ProxyConfig } from '../web/src/sw/config.ts';
import type { FetchResult, ProxyPage } from '../web/src/sw/page.ts';
import { type Relay, startRelay } from '../workers/relay/node.ts';
import { CERTUTIL, CHROMIUM, type Chromium, launchChromium, withTimeout } from './chromium.ts';

const HAVE = requirePeer(CHROMIUM, CERTUTIL);

const STEP_TIMEOUT_MS = 20_000;
/** How far ahead a race is scheduled, so both tabs have its start time in hand. */
const START_DELAY_MS = 200;
const RACE_ROUNDS = 5;
/** The server name the worker dials and files tickets under. */
const SERVER_NAME = 'localhost';
const HELLO_BODY = 'hello from a webtls server\n';
/** The directories the two tabs live in: one Service Worker registration each. */
const SCOPES = ['a', 'b'] as const;

const encoder = new TextEncoder();

/**
 * A ticketer that remembers every ticket it sealed and every ticket it opened, in order (as
 * hex): the server's own record of which ticket each resumption presented.
 */
class RecordingTicketer implements Ticketer {
  readonly sealed: string[] = [];
  readonly opened: string[] = [];
  readonly #inner = new AeadTicketer();
  readonly lifetimeSeconds = this.#inner.lifetimeSeconds;

  async seal(state: Uint8Array, provider: CryptoProvider): Promise<Uint8Array> {
    const ticket = await this.#inner.seal(state, provider);
    this.sealed.push(Buffer.from(ticket).toString('hex'));
    return ticket;
  }

  async open(ticket: Uint8Array, provider: CryptoProvider): Promise<Uint8Array | undefined> {
    const state = await this.#inner.open(ticket, provider);
    if (state) this.opened.push(Buffer.from(ticket).toString('hex'));
    return state;
  }
}
const latin1 = new TextDecoder('latin1');

/**
 * Answers one HTTP/1.1 request per connection: GET /hello with HELLO_BODY, POST /echo with its
 * body in upper case (201), anything else 404. The request, head and body, is kept in
 * `session.received`.
 */
async function http1Handler(tls: TlsStream, session: ServerSession): Promise<void> {
  const reader = tls.readable.getReader();
  const complete = () => {
    const end = session.received.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const length = /\r\ncontent-length: *(\d+)/i.exec(session.received.slice(0, end));
    return session.received.length >= end + 4 + Number(length?.[1] ?? 0);
  };
  while (!complete() && session.received.length < 16_384) {
    const { value, done } = await reader.read();
    if (done) break;
    session.received += latin1.decode(value);
  }
  reader.releaseLock();
  const line = session.received.split('\r\n')[0] ?? '';
  let status = '404 Not Found';
  let text = 'not found\n';
  if (line === 'GET /hello HTTP/1.1') {
    status = '200 OK';
    text = HELLO_BODY;
  } else if (line === 'POST /echo HTTP/1.1') {
    status = '201 Created';
    text = session.received.slice(session.received.indexOf('\r\n\r\n') + 4).toUpperCase();
  }
  const body = encoder.encode(text);
  const head = [
    `HTTP/1.1 ${status}`,
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${body.length}`,
    'X-Served-By: webtls-test-server',
    'Connection: close',
    '',
    '',
  ].join('\r\n');
  const writer = tls.writable.getWriter();
  await writer.write(encoder.encode(head));
  await writer.write(body);
  writer.releaseLock();
  await tls.close();
}

/** Bundles the page and the worker, and rewrites proxy.html to load the bundles. */
async function bundle(dir: string): Promise<Map<string, { type: string; body: string }>> {
  const web = (p: string) => fileURLToPath(new URL(`../web/${p}`, import.meta.url));
  const files = new Map<string, { type: string; body: string }>();
  for (const [entry, out] of [
    ['src/sw/page.ts', 'page.js'],
    ['src/sw/proxy-sw.ts', 'proxy-sw.js'],
  ]) {
    const outfile = join(dir, out);
    await build({
      entryPoints: [web(entry)],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile,
      logLevel: 'silent',
    });
    files.set(out, { type: 'text/javascript', body: readFileSync(outfile, 'utf8') });
  }
  const html = readFileSync(web('proxy.html'), 'utf8')
    .replace('content="./src/sw/proxy-sw.ts"', 'content="./proxy-sw.js"')
    .replace('src="./src/sw/page.ts"', 'src="./page.js"');
  if (!html.includes('./proxy-sw.js') || !html.includes('./page.js')) {
    throw new Error('proxy.html no longer names its scripts as this test expects');
  }
  files.set('proxy.html', { type: 'text/html', body: html });
  files.set('local.txt', { type: 'text/plain', body: 'served by the static server\n' });
  return files;
}

/** Serves `files` under /a/ and /b/ from 127.0.0.1 on a free port. */
async function serve(
  files: Map<string, { type: string; body: string }>,
): Promise<{ server: Server; origin: string }> {
  const server = createServer((req, res) => {
    const match = /^\/([ab])\/([^?]*)/.exec(req.url ?? '');
    const file = match ? files.get(match[2]) : undefined;
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' }).end(file.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** The page's functions (page.ts), called through page.evaluate with bounded waits. */
function proxyApi(page: Page) {
  return {
    page,
    /** The worker's script URL, once registered. */
    scriptUrl: '',
    register: (config: ProxyConfig) =>
      withTimeout(
        page.evaluate(
          (c) => (globalThis as unknown as { webtlsProxy: ProxyPage }).webtlsProxy.register(c),
          config,
        ),
        STEP_TIMEOUT_MS,
        'register',
      ),
    fetch: (url: string, init: { method?: string; body?: string } = {}) =>
      withTimeout(
        page.evaluate(
          ([u, i]) => (globalThis as unknown as { webtlsProxy: ProxyPage }).webtlsProxy.fetch(u, i),
          [url, init] as const,
        ),
        STEP_TIMEOUT_MS,
        `fetch ${url}`,
      ),
    fetchAt: (url: string, startAt: number) =>
      page.evaluate(
        ([u, at]) =>
          (globalThis as unknown as { webtlsProxy: ProxyPage }).webtlsProxy.fetchAt(u, at),
        [url, startAt] as const,
      ),
    countTickets: (name: string) =>
      withTimeout(
        page.evaluate(
          (n) => (globalThis as unknown as { webtlsProxy: ProxyPage }).webtlsProxy.countTickets(n),
          name,
        ),
        STEP_TIMEOUT_MS,
        'countTickets',
      ),
    drainTickets: (name: string) =>
      withTimeout(
        page.evaluate(
          (n) => (globalThis as unknown as { webtlsProxy: ProxyPage }).webtlsProxy.drainTickets(n),
          name,
        ),
        STEP_TIMEOUT_MS,
        'drainTickets',
      ),
  };
}

type ProxyApi = ReturnType<typeof proxyApi>;

/** A worker version as the DevTools protocol reports it. */
interface WorkerVersion {
  scriptURL: string;
  runningStatus: string;
}

/**
 * Stops every Service Worker of the browser through the DevTools protocol and waits until the
 * protocol reports `tab`'s worker stopped.
 */
async function stopWorker(tab: ProxyApi): Promise<void> {
  const cdp = await tab.page.context().newCDPSession(tab.page);
  const status = new Map<string, string>();
  cdp.on('ServiceWorker.workerVersionUpdated', (event: { versions: WorkerVersion[] }) => {
    for (const v of event.versions) status.set(v.scriptURL, v.runningStatus);
  });
  try {
    const reaches = async (wanted: string) => {
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      while (status.get(tab.scriptUrl) !== wanted) {
        if (Date.now() > deadline) {
          throw new Error(`the worker is ${status.get(tab.scriptUrl)}, not ${wanted}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };
    await withTimeout(cdp.send('ServiceWorker.enable'), STEP_TIMEOUT_MS, 'ServiceWorker.enable');
    await reaches('running');
    await withTimeout(cdp.send('ServiceWorker.stopAllWorkers'), STEP_TIMEOUT_MS, 'stop');
    await reaches('stopped');
  } finally {
    await cdp.detach();
  }
}

describe.skipIf(!HAVE)('Service Worker fetch proxy in Chromium', () => {
  let dir: string | undefined;
  let webtls: WebtlsServer | undefined;
  const ticketer = new RecordingTicketer();
  /** A server whose certificate names other.test only. */
  let misnamed: WebtlsServer | undefined;
  let relay: Relay | undefined;
  let statics: Server | undefined;
  let staticOrigin: string;
  let browser: Chromium | undefined;
  let tabs: ProxyApi[] = [];
  let target: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webtls-sw-proxy-'));
    const files = await bundle(dir);
    ({ server: statics, origin: staticOrigin } = await serve(files));

    // One ticket per handshake, so a race can be set up with exactly one in the store.
    webtls = await startWebtlsServer(
      {
        certificates: [await loadCert(certFiles('p256'))],
        ticketer,
        sessionTickets: 1,
      },
      http1Handler,
    );
    target = `https://${SERVER_NAME}:${webtls.port}`;
    misnamed = await startWebtlsServer(
      { certificates: [await loadCert(otherCertFiles())] },
      http1Handler,
    );
    relay = await startRelay({
      allow: [`${SERVER_NAME}:${webtls.port}`, `${SERVER_NAME}:${misnamed.port}`],
      origins: [staticOrigin],
      log: () => {},
    });

    browser = await launchChromium();
    const config: ProxyConfig = {
      // The second origin is not on the relay's allowlist; the third has the wrong certificate.
      origins: [target, `https://${SERVER_NAME}:1`, `https://${SERVER_NAME}:${misnamed.port}`],
      relay: relay.url,
      roots: [pem(ROOT)],
      timeoutMs: 15_000,
    };
    for (const scope of SCOPES) {
      const page = await browser.context.newPage();
      await page.goto(`${staticOrigin}/${scope}/proxy.html`, { timeout: STEP_TIMEOUT_MS });
      await page.waitForFunction(() => 'webtlsProxy' in globalThis, null, {
        timeout: STEP_TIMEOUT_MS,
      });
      const api = proxyApi(page);
      api.scriptUrl = await api.register(config);
      expect(api.scriptUrl.startsWith(`${staticOrigin}/${scope}/proxy-sw.js?config=`)).toBe(true);
      tabs.push(api);
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await relay?.close();
    await webtls?.close();
    await misnamed?.close();
    await new Promise<void>((resolve) => (statics ? statics.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
    tabs = [];
  });

  /** The server's view of connections `from`..`from + count - 1`. */
  async function serverSessions(from: number, count: number): Promise<ServerSession[]> {
    const out: ServerSession[] = [];
    for (let n = from; n < from + count; n++) out.push(await webtls!.session(n, STEP_TIMEOUT_MS));
    return out;
  }

  it('serves GET /hello over webtls; later fetches resume from IndexedDB, also after a restart', async () => {
    const [tab] = tabs;
    await tab.drainTickets(SERVER_NAME);
    const first = webtls!.sessions.length;

    // 1. A full handshake; the worker keeps the ticket it was sent.
    const a = await tab.fetch(`${target}/hello`);
    expect(a.status).toBe(200);
    expect(a.body).toBe(HELLO_BODY);
    expect(a.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(a.headers['x-served-by']).toBe('webtls-test-server');
    expect(a.headers['x-webtls-resumed']).toBe('no');
    expect(a.headers['x-webtls-protocol']).toBe('TLSv1.3');
    expect(a.headers['x-webtls-cipher']).toMatch(/^TLS_/);
    expect(await tab.countTickets(SERVER_NAME), 'tickets after the first fetch').toBe(1);

    // 2. The next fetch, a new connection, resumes with it.
    const b = await tab.fetch(`${target}/hello`);
    expect(b.status).toBe(200);
    expect(b.body).toBe(HELLO_BODY);
    expect(b.headers['x-webtls-resumed']).toBe('yes');

    // 3. Stop every Service Worker: the next fetch starts ours again, which reads its
    //    configuration back from its script URL and resumes with the ticket from IndexedDB.
    await stopWorker(tab);
    const c = await tab.fetch(`${target}/hello`);
    expect(c.status).toBe(200);
    expect(c.body).toBe(HELLO_BODY);
    expect(c.headers['x-webtls-resumed'], 'after the worker restarted').toBe('yes');

    // 4. The server saw the same: one full handshake, then one resumed, each with our request.
    const [s1, s2, s3] = await serverSessions(first, 3);
    expect(s1.info?.resumed).toBe(false);
    expect(s2.info?.resumed).toBe(true);
    expect(s3.info?.resumed).toBe(true);
    expect(s1.info?.serverName).toBe(SERVER_NAME);
    for (const s of [s1, s2, s3]) {
      expect(s.received).toMatch(/^GET \/hello HTTP\/1\.1\r\n/);
      expect(s.received).toContain(`\r\nHost: ${SERVER_NAME}:${webtls!.port}\r\n`);
      expect(s.received).toContain('\r\nConnection: close\r\n');
    }
  }, 60_000);

  it('carries a 404, a query and a POST body; leaves other origins alone; names errors', async () => {
    const [tab] = tabs;
    const missing = await tab.fetch(`${target}/nope?x=1`);
    expect(missing.status).toBe(404);
    expect(missing.body).toBe('not found\n');
    expect(missing.headers['x-webtls-protocol']).toBe('TLSv1.3');
    const seen = await webtls!.session(webtls!.sessions.length - 1, STEP_TIMEOUT_MS);
    expect(seen.received).toMatch(/^GET \/nope\?x=1 HTTP\/1\.1\r\n/);

    // A POST carries its body and its Content-Length; the status and reason come back.
    const posted = await tab.fetch(`${target}/echo`, {
      method: 'POST',
      body: 'carried over webtls',
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toBe('CARRIED OVER WEBTLS');
    const post = await webtls!.session(webtls!.sessions.length - 1, STEP_TIMEOUT_MS);
    expect(post.received).toMatch(/^POST \/echo HTTP\/1\.1\r\n/);
    expect(post.received).toContain('\r\nContent-Length: 19\r\n');

    // Not a configured origin: the static server answers, the worker adds nothing.
    const local = await tab.fetch(`${staticOrigin}/a/local.txt`);
    expect(local.status).toBe(200);
    expect(local.body).toBe('served by the static server\n');
    expect(local.headers['x-webtls-resumed']).toBeUndefined();

    // Configured, but the relay refuses the destination: a 502 naming the TlsError code.
    const refused = await tab.fetch(`https://${SERVER_NAME}:1/hello`);
    expect(refused.status).toBe(502);
    expect(refused.headers['x-webtls-error']).toBe('TRANSPORT');
    expect(refused.body).toMatch(/^webtls proxy: TRANSPORT: /);

    // The server's certificate does not name localhost: a 502 naming the verification error.
    const wrongName = await tab.fetch(`https://${SERVER_NAME}:${misnamed!.port}/hello`);
    expect(wrongName.status).toBe(502);
    expect(wrongName.headers['x-webtls-error']).toBe('CERT_NAME_MISMATCH');
    expect(wrongName.body).toMatch(/^webtls proxy: CERT_NAME_MISMATCH: /);
    expect(misnamed!.sessions.length, 'requests the misnamed server answered').toBe(1);
    expect((await misnamed!.session(0, STEP_TIMEOUT_MS)).received).toBe('');
  }, 60_000);

  it(`two tabs, two workers, one ticket: it is presented once (${RACE_ROUNDS} rounds)`, async () => {
    const [tabA, tabB] = tabs;
    let overlapping = 0;
    for (let round = 1; round <= RACE_ROUNDS; round++) {
      // 1. Exactly one ticket in the store: empty it, then one full handshake leaves one.
      await tabA.drainTickets(SERVER_NAME);
      const seed = await tabs[round % 2].fetch(`${target}/hello`);
      expect(seed.headers['x-webtls-resumed'], `round ${round}: seed`).toBe('no');
      expect(await tabA.countTickets(SERVER_NAME), `round ${round}: tickets`).toBe(1);
      const seedTicket = ticketer.sealed.at(-1);
      const sealedBefore = ticketer.sealed.length;
      const openedBefore = ticketer.opened.length;

      // 2. Both tabs fetch at one instant, each through its own Service Worker.
      const from = webtls!.sessions.length;
      const startAt = Date.now() + START_DELAY_MS;
      const results: FetchResult[] = await withTimeout(
        Promise.all([
          tabA.fetchAt(`${target}/hello`, startAt),
          tabB.fetchAt(`${target}/hello`, startAt),
        ]),
        STEP_TIMEOUT_MS,
        `round ${round}: race`,
      );
      for (const r of results) {
        expect(r.status, `round ${round}`).toBe(200);
        expect(r.body, `round ${round}`).toBe(HELLO_BODY);
      }
      // 3. The one ticket was presented exactly once: one fetch took it, the other could not.
      //    The other may still resume, but only with the ticket the server sent the first one
      //    (each connection gets one), when that arrived before it looked in the store.
      const presented = ticketer.opened.slice(openedBefore);
      expect(
        presented.filter((t) => t === seedTicket).length,
        `round ${round}: presentations of the one ticket`,
      ).toBe(1);
      const issuedInRace = ticketer.sealed.slice(sealedBefore);
      for (const t of presented.filter((t) => t !== seedTicket)) {
        expect(issuedInRace, `round ${round}: a ticket from the race`).toContain(t);
      }
      const resumed = results.filter((r) => r.headers['x-webtls-resumed'] === 'yes');
      expect(resumed.length, `round ${round}: fetches that resumed`).toBe(presented.length);
      if (Math.max(results[0].start, results[1].start) < Math.min(results[0].end, results[1].end)) {
        overlapping++;
      }

      // 4. The server agrees on how many of the two connections resumed.
      const sessions = await serverSessions(from, 2);
      expect(sessions.filter((s) => s.info?.resumed).length, `round ${round}: server`).toBe(
        presented.length,
      );
    }
    // A real race: the two fetches were in flight together.
    expect(overlapping, 'rounds whose two fetches overlapped').toBeGreaterThan(RACE_ROUNDS / 2);
  }, 180_000);
});
