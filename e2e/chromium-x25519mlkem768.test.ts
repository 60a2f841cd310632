/**
 * The browser proof: Chromium (Debian's package, driven by playwright-core) loads a page from a
 * webtls server and negotiates X25519MLKEM768 over TLS 1.3. Both ends are asked: the server's
 * ConnectionInfo, and Chromium's own security details over the DevTools protocol. Chromium
 * verifies the chain webtls sends against the test root placed in its NSS store; a control run
 * without that root must fail. Loopback only; every wait is bounded.
 */
import type { CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignatureScheme } from '../src/msgs/enums.ts';
import { certFiles, ROOT, SUITES } from '../test/interop/peers/pki.ts';
import { killAllPeers } from '../test/interop/peers/proc.ts';
import { requirePeer } from '../test/interop/peers/require.ts';
import { loadCert, startWebtlsServerCli } from '../test/interop/peers/webtls.ts';
import { CERTUTIL, CHROMIUM, type Chromium, launchChromium, withTimeout } from './chromium.ts';
import { clientHelloFacts } from './client-hello-facts.ts';
import { startWwwServer, type WwwServer, type WwwSession } from './www-server.ts';

const HAVE = requirePeer(CHROMIUM, CERTUTIL);

const NAVIGATION_TIMEOUT_MS = 15_000;

/** The -www page's summary lines for a TLS 1.3 X25519MLKEM768 connection. */
const PAGE_FACTS = [/Protocol: TLSv1\.3/, /Group: X25519MLKEM768/, /HelloRetryRequest: no/];

/** Chromium's names (DevTools `Network.SecurityDetails.cipher`) for the TLS 1.3 suites. */
const CHROMIUM_CIPHER: Record<string, string> = {
  TLS_AES_128_GCM_SHA256: 'AES_128_GCM',
  TLS_AES_256_GCM_SHA384: 'AES_256_GCM',
  TLS_CHACHA20_POLY1305_SHA256: 'CHACHA20_POLY1305',
};

/** The fields of DevTools' `Network.SecurityDetails` read here. */
interface SecurityDetails {
  protocol: string;
  keyExchange: string;
  keyExchangeGroup?: string;
  cipher: string;
  subjectName: string;
  issuer: string;
  sanList: string[];
  /** The CertificateVerify scheme, as a number. */
  serverSignatureAlgorithm?: number;
}

/** Opens a page with DevTools' Network domain on, to read the main document's TLS details. */
async function openPage(browser: Chromium): Promise<{ page: Page; cdp: CDPSession }> {
  const page = await browser.context.newPage();
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send('Network.enable');
  return { page, cdp };
}

/** Navigates to `url`; resolves with the status, the page text and Chromium's TLS details. */
async function load(browser: Chromium, url: string) {
  const { page, cdp } = await openPage(browser);
  try {
    const details = new Promise<SecurityDetails | undefined>((resolve) => {
      cdp.on('Network.responseReceived', (event) => {
        if (event.type === 'Document') {
          resolve(event.response.securityDetails as SecurityDetails | undefined);
        }
      });
    });
    const response = await page.goto(url, { timeout: NAVIGATION_TIMEOUT_MS });
    const text = await page.locator('body').textContent({ timeout: NAVIGATION_TIMEOUT_MS });
    const security = await withTimeout(details, NAVIGATION_TIMEOUT_MS, 'security details');
    return { status: response?.status(), text, security };
  } finally {
    await page.close();
  }
}

/** The connections accepted after the first `since` that served `GET <path>`. */
function served(server: WwwServer, path: string, since: number): WwwSession[] {
  return server.sessions.slice(since).filter((s) => s.requestLine === `GET ${path} HTTP/1.1`);
}

/** The one connection accepted after the first `since` that served `GET <path>`. */
function sessionFor(server: WwwServer, path: string, since: number): WwwSession {
  const sessions = served(server, path, since);
  expect(sessions.length, `connections that served GET ${path}`).toBe(1);
  return sessions[0];
}

/** Every connection Chromium opened so far finished its handshake, all with the hybrid. */
function expectEveryHandshakeHybrid(server: WwwServer): void {
  for (const session of server.sessions) {
    expect(session.handshakeError, `connection ${session.id}`).toBeUndefined();
    if (session.info) expect(session.info.group, `connection ${session.id}`).toBe('X25519MLKEM768');
  }
}

describe.skipIf(!HAVE)('Chromium → webtls accept(): X25519MLKEM768', () => {
  let server: WwwServer;
  let browser: Chromium;
  beforeAll(async () => {
    server = await startWwwServer({
      certificates: [await loadCert(certFiles('p256'))],
      alpnProtocols: ['http/1.1'],
    });
    browser = await launchChromium([ROOT]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await server?.settled(10_000);
  });

  it('loads https://localhost:PORT/ over TLS 1.3 with X25519MLKEM768, verified', async () => {
    const since = server.sessions.length;
    const { status, text, security } = await load(browser, `https://localhost:${server.port}/`);

    // 1. The page arrived, and it is the webtls page describing this connection.
    expect(status).toBe(200);
    for (const fact of PAGE_FACTS) expect(text).toMatch(fact);
    expect(text).toContain('SNI: localhost');
    expect(text).toContain('ALPN: http/1.1');

    // 2. Chromium's side: it accepted the chain (a failed verification aborts the navigation,
    // see the control below) and names the same protocol and group.
    expect(security).toBeDefined();
    expect(security!.protocol).toBe('TLS 1.3');
    expect(security!.keyExchangeGroup).toBe('X25519MLKEM768');
    expect(Object.values(CHROMIUM_CIPHER)).toContain(security!.cipher);
    expect(security!.subjectName).toBe('localhost');
    expect(security!.issuer).toBe('webtls Test Intermediate CA (p256)');
    // It checked webtls's CertificateVerify made with the P-256 key (RFC 8446 §4.4.3).
    expect(security!.serverSignatureAlgorithm).toBe(SignatureScheme.ecdsa_secp256r1_sha256);

    // 3. The server's side. Chromium reads the HTTP/1.0 response to the end (our close_notify)
    // and then drops the TCP connection without a close_notify of its own: TRUNCATED, if
    // anything, once the response is out.
    const session = sessionFor(server, '/', since);
    await withTimeout(session.finished, NAVIGATION_TIMEOUT_MS, 'the connection to end');
    expect(session.error).toBeUndefined();
    if (session.closeError) expect(session.closeError).toMatchObject({ code: 'TRUNCATED' });
    expect(session.info?.protocol).toBe('TLSv1.3');
    expect(session.info?.group).toBe('X25519MLKEM768');
    expect(SUITES).toContain(session.info?.cipherSuite);
    expect(CHROMIUM_CIPHER[session.info!.cipherSuite!]).toBe(security!.cipher);
    expect(session.info?.helloRetry).toBe(false);
    expect(session.info?.serverName).toBe('localhost');
    expect(session.info?.alpn).toBe('http/1.1');
    expectEveryHandshakeHybrid(server);

    // 4. What Chromium offered: the hybrid share up front (1184-byte ML-KEM-768 encapsulation
    // key + 32-byte X25519 share, draft-ietf-tls-ecdhe-mlkem), GREASE in every list it uses.
    expect(session.clientHello).toBeDefined();
    const offer = clientHelloFacts(session.clientHello!);
    expect(offer.supportedVersions).toContain('TLSv1.3');
    expect(offer.supportedGroups).toContain('X25519MLKEM768');
    expect(offer.keyShares).toContainEqual({ group: 'X25519MLKEM768', length: 1216 });
    expect(offer.serverName).toBe('localhost');
    expect(offer.alpn).toContain('http/1.1');
    expect(offer.grease).toEqual({
      cipherSuites: true,
      extensions: true,
      groups: true,
      keyShares: true,
      versions: true,
      signatureAlgorithms: true,
    });
  });

  it('loads https://127.0.0.1:PORT/: no SNI, the IP address SAN verifies', async () => {
    const since = server.sessions.length;
    const { status, text, security } = await load(browser, `https://127.0.0.1:${server.port}/`);
    expect(status).toBe(200);
    for (const fact of PAGE_FACTS) expect(text).toMatch(fact);
    expect(text).toContain('SNI: none');
    expect(security?.keyExchangeGroup).toBe('X25519MLKEM768');

    // RFC 6066 §3: literal IP addresses are not sent in server_name.
    const session = sessionFor(server, '/', since);
    expect(session.info?.serverName).toBeUndefined();
    expect(session.info?.group).toBe('X25519MLKEM768');
    expect(clientHelloFacts(session.clientHello!).serverName).toBeUndefined();
    expectEveryHandshakeHybrid(server);
  });

  it('reloads three times: a new connection and handshake each time', async () => {
    const since = server.sessions.length;
    for (let i = 0; i < 3; i++) {
      const { status, text } = await load(browser, `https://localhost:${server.port}/again`);
      expect(status).toBe(200);
      expect(text).toContain('Request: GET /again HTTP/1.1');
      expect(text).toMatch(/Group: X25519MLKEM768/);
    }
    // The server closes after each response, so each load is a connection of its own.
    const again = served(server, '/again', since);
    expect(again.length).toBe(3);
    for (const session of again) expect(session.info?.group).toBe('X25519MLKEM768');
    expectEveryHandshakeHybrid(server);
  });
});

describe.skipIf(!HAVE)('Chromium without the test root: verification is really on', () => {
  let server: WwwServer;
  let browser: Chromium;
  beforeAll(async () => {
    server = await startWwwServer({ certificates: [await loadCert(certFiles('p256'))] });
    browser = await launchChromium([]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await server?.settled(10_000);
  });

  it('refuses the page with ERR_CERT_AUTHORITY_INVALID and alerts the server', async () => {
    const page = await browser.context.newPage();
    try {
      await expect(
        page.goto(`https://localhost:${server.port}/`, { timeout: NAVIGATION_TIMEOUT_MS }),
      ).rejects.toThrow(/ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await page.close();
    }
    // Every connection ended in the handshake: Chromium rejected the chain and said so with a
    // certificate_unknown alert (46), which the server reports as a typed error.
    await server.settled(NAVIGATION_TIMEOUT_MS);
    expect(server.sessions.length).toBeGreaterThan(0);
    for (const session of server.sessions) {
      expect(session.requestLine).toBeUndefined();
      expect(session.info).toBeUndefined();
      expect(session.handshakeError).toMatchObject({ code: 'PEER_ALERT', peerAlert: 46 });
    }
  });
});

describe.skipIf(!HAVE)('Chromium → bin/webtls s_server -www', () => {
  let browser: Chromium;
  beforeAll(async () => {
    browser = await launchChromium([ROOT]);
  });
  afterAll(async () => {
    await browser?.close();
    await killAllPeers();
  });

  // The CLI starts through tsx, which can take a while on a busy machine: 60 s.
  it('loads the -www page; the server prints Group: X25519MLKEM768', async () => {
    const files = certFiles('p256');
    const { proc, port } = await startWebtlsServerCli([
      '-www',
      '-cert',
      files.chain,
      '-key',
      files.key,
    ]);
    const { status, text, security } = await load(browser, `https://localhost:${port}/`);
    expect(status, proc.output).toBe(200);
    for (const fact of PAGE_FACTS) expect(text).toMatch(fact);
    expect(security?.keyExchangeGroup).toBe('X25519MLKEM768');

    // The server's own summary on stderr, one per connection.
    await proc.waitFor(/Group: X25519MLKEM768/, { stream: 'stderr' });
    const groups = [...proc.stderr.matchAll(/^Group: (.*)$/gm)].map((m) => m[1]);
    expect(groups.length).toBeGreaterThan(0);
    expect(new Set(groups)).toEqual(new Set(['X25519MLKEM768']));
    const ciphers = [...proc.stderr.matchAll(/^Cipher: (.*)$/gm)].map((m) => m[1]);
    for (const cipher of ciphers) expect(SUITES).toContain(cipher);
    expect(proc.stderr).toMatch(/^Protocol: TLSv1\.3$/m);
    expect(proc.stderr).not.toMatch(/^Protocol: (?!TLSv1\.3$)/m);
    // s_server reports how a connection ended as `Connection N: error: ...`. Chromium closes
    // without close_notify after the response, so TRUNCATED is the only one expected.
    const ends = [...proc.stderr.matchAll(/^Connection \d+: (.*)$/gm)].map((m) => m[1]);
    for (const end of ends) expect(end).toMatch(/^error: TRUNCATED: /);
  }, 60_000);
});
