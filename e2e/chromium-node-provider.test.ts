/**
 * Chromium → a webtls server running the node provider: X25519MLKEM768 (node's X25519 with the
 * project's ML-KEM-768) with each TLS 1.3 suite, and one page per certificate type Chromium
 * takes (its CertificateVerify signed by node:crypto). OpenSSL 3.0 and node:tls lack the hybrid,
 * so the browser is this provider's foreign proof for it. Loopback only; every wait is bounded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCipherSuites } from '../src/cli/names.ts';
import { NamedGroup } from '../src/msgs/enums.ts';
import { nodeProvider } from '../src/node/index.ts';
import { type CertType, certFiles, ROOT, SUITES } from '../test/interop/peers/pki.ts';
import { requirePeer } from '../test/interop/peers/require.ts';
import { loadCert } from '../test/interop/peers/webtls.ts';
import { CERTUTIL, CHROMIUM, type Chromium, launchChromium } from './chromium.ts';
import { startWwwServer, type WwwServer } from './www-server.ts';

const HAVE = requirePeer(CHROMIUM, CERTUTIL);
const NAVIGATION_TIMEOUT_MS = 15_000;
const provider = nodeProvider();

/** Loads `url` in a fresh page; returns the status and the page text. */
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

/** A -www server with the node provider, one certificate, and the given suites. */
async function start(type: CertType, suites: number[] | undefined): Promise<WwwServer> {
  return startWwwServer({
    provider,
    certificates: [await loadCert(certFiles(type), provider)],
    alpnProtocols: ['http/1.1'],
    groups: [NamedGroup.X25519MLKEM768],
    ...(suites ? { cipherSuites: suites } : {}),
  });
}

describe.skipIf(!HAVE)('Chromium → webtls accept() with the node provider', () => {
  let browser: Chromium;
  const servers: WwwServer[] = [];
  beforeAll(async () => {
    browser = await launchChromium([ROOT]);
  });
  afterAll(async () => {
    await browser?.close();
    for (const server of servers) {
      await server.close();
      await server.settled(10_000);
    }
  });

  it.each(SUITES)('X25519MLKEM768 with %s', async (suite) => {
    const server = await start('p256', parseCipherSuites([suite]));
    servers.push(server);
    const { status, text } = await load(browser, `https://localhost:${server.port}/`);
    expect(status).toBe(200);
    expect(text).toMatch(/Group: X25519MLKEM768/);
    const done = server.sessions.filter((s) => s.info);
    expect(done.length).toBeGreaterThan(0);
    for (const session of server.sessions) {
      expect(session.handshakeError, `connection ${session.id}`).toBeUndefined();
    }
    for (const session of done) {
      expect(session.info?.group).toBe('X25519MLKEM768');
      expect(session.info?.cipherSuite).toBe(suite);
    }
  });

  // Chromium has no Ed25519 server certificates; ECDSA P-384 and RSA it takes.
  it.each(['p384', 'rsa2048'] as const)('a %s certificate', async (type) => {
    const server = await start(type, undefined);
    servers.push(server);
    const { status, text } = await load(browser, `https://localhost:${server.port}/`);
    expect(status).toBe(200);
    expect(text).toMatch(/Protocol: TLSv1\.3/);
    for (const session of server.sessions) {
      expect(session.handshakeError, `connection ${session.id}`).toBeUndefined();
    }
  });
});
