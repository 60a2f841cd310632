/**
 * RFC 8879 certificate compression with a real peer: Chromium (Debian's package, driven by
 * playwright-core), which lists brotli in compress_certificate, loads a page from a webtls server
 * configured with brotli. The server confirms it sent a brotli CompressedCertificate (with the
 * sizes), and Chromium, which verifies the chain against the test root in its NSS store, loaded
 * the page: it could only have done so by decompressing the chain correctly. Once through
 * accept() in process, once through `webtls s_server -cert_comp brotli -www`. Loopback only;
 * every wait is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brotli } from '../src/certcomp/brotli.ts';
import { zstd } from '../src/certcomp/zstd.ts';
import { loadBrotliNode } from '../src/node/brotli.ts';
import { certFiles, ROOT } from '../test/interop/peers/pki.ts';
import { killAllPeers } from '../test/interop/peers/proc.ts';
import { requirePeer } from '../test/interop/peers/require.ts';
import { loadCert, startWebtlsServerCli } from '../test/interop/peers/webtls.ts';
import { CERTUTIL, CHROMIUM, type Chromium, launchChromium, withTimeout } from './chromium.ts';
import { clientHelloFacts } from './client-hello-facts.ts';
import { startWwwServer, type WwwServer, type WwwSession } from './www-server.ts';

const HAVE = requirePeer(CHROMIUM, CERTUTIL);

const NAVIGATION_TIMEOUT_MS = 15_000;

/** `brotli (N -> M bytes)`, as ConnectionInfo.certCompression and the summary line say it. */
const BROTLI_SENT = /^brotli \((\d+) -> (\d+) bytes\)$/;

/** Navigates a fresh page to `url`; resolves with the status and the page text. */
async function load(browser: Chromium, url: string) {
  const page = await browser.context.newPage();
  try {
    const response = await page.goto(url, { timeout: NAVIGATION_TIMEOUT_MS });
    const text = await page.locator('body').textContent({ timeout: NAVIGATION_TIMEOUT_MS });
    return { status: response?.status(), text: text ?? '' };
  } finally {
    await page.close();
  }
}

/** The one connection accepted after the first `since` that served `GET /`. */
function pageSession(server: WwwServer, since: number): WwwSession {
  const sessions = server.sessions.slice(since).filter((s) => s.requestLine === 'GET / HTTP/1.1');
  expect(sessions.length, 'connections that served GET /').toBe(1);
  return sessions[0];
}

/** Checks a `brotli (N -> M bytes)` report: compressed, and smaller than it was. */
function expectBrotli(report: string | undefined): void {
  const m = BROTLI_SENT.exec(report ?? '');
  expect(m, `certCompression: ${report}`).not.toBeNull();
  const [before, after] = [Number(m![1]), Number(m![2])];
  expect(after).toBeGreaterThan(0);
  expect(after).toBeLessThan(before);
}

describe.skipIf(!HAVE)('Chromium → webtls server: brotli-compressed Certificate (RFC 8879)', () => {
  let browser: Chromium;
  let server: WwwServer;
  beforeAll(async () => {
    server = await startWwwServer({
      certificates: [await loadCert(certFiles('rsa2048'))],
      alpnProtocols: ['http/1.1'],
      // zstd first: it cannot compress, so the server must pass over it to brotli.
      certCompression: [zstd(), brotli({ load: loadBrotliNode })],
    });
    browser = await launchChromium([ROOT]);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await server?.settled(10_000);
    await killAllPeers();
  });

  it('Chromium offers brotli; the server sends its chain brotli-compressed; the page loads', async () => {
    const since = server.sessions.length;
    const { status, text } = await load(browser, `https://localhost:${server.port}/`);

    // 1. The page arrived (Chromium verified the chain it decompressed) and it is webtls's page
    // for this connection, which names the compression too.
    expect(status).toBe(200);
    expect(text).toMatch(/Protocol: TLSv1\.3/);
    expect(text).toMatch(/Cert compression: brotli \(\d+ -> \d+ bytes\)/);

    // 2. Chromium asked for it: brotli in its compress_certificate (RFC 8879 §3).
    const session = pageSession(server, since);
    expect(session.clientHello).toBeDefined();
    expect(clientHelloFacts(session.clientHello!).certCompression).toContain('brotli');

    // 3. The server's side: it sent a brotli CompressedCertificate, smaller than the chain.
    await withTimeout(session.finished, NAVIGATION_TIMEOUT_MS, 'the connection to end');
    expect(session.handshakeError).toBeUndefined();
    expect(session.error).toBeUndefined();
    expect(session.info?.protocol).toBe('TLSv1.3');
    expectBrotli(session.info?.certCompression);
    for (const s of server.sessions) {
      expect(s.handshakeError, `connection ${s.id}`).toBeUndefined();
      if (s.info) expectBrotli(s.info.certCompression);
    }
  });

  // The CLI starts through tsx, which can take a while on a busy machine: 60 s.
  it('webtls s_server -cert_comp zstd,brotli -www: the summary says brotli', async () => {
    const files = certFiles('rsa2048');
    const { proc, port } = await startWebtlsServerCli([
      '-www',
      '-cert',
      files.chain,
      '-key',
      files.key,
      '-cert_comp',
      'zstd,brotli',
    ]);
    const { status, text } = await load(browser, `https://localhost:${port}/`);
    expect(status, proc.output).toBe(200);
    expect(text).toMatch(/Cert compression: brotli \(\d+ -> \d+ bytes\)/);

    // The server's own summary on stderr, one per connection, every one brotli.
    await proc.waitFor(/^Cert compression: /m, { stream: 'stderr' });
    const reports = [...proc.stderr.matchAll(/^Cert compression: (.*)$/gm)].map((m) => m[1]);
    expect(reports.length).toBeGreaterThan(0);
    for (const report of reports) expectBrotli(report);
    proc.kill();
  }, 60_000);
});
