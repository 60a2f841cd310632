/**
 * The demo page end to end, and the proof of a real handshake in Chromium over its own
 * transport: `startDemo()` (what `npm start` runs) on free loopback ports, Debian's Chromium
 * opens the page and clicks Connect. The page's webtls client reaches the webtls server through
 * a WebSocket to the relay; the assertions read what the page drew. A second click resumes from
 * the ticket kept in IndexedDB and sends GET / as 0-RTT data, which the server says it received
 * early. Every wait is bounded; the browser and the demo are stopped in afterAll.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Demo, startDemo } from '../scripts/demo.ts';
import { requirePeer } from '../test/interop/peers/require.ts';
import { CERTUTIL, CHROMIUM, type Chromium, launchChromium } from './chromium.ts';

const HAVE = requirePeer(CHROMIUM, CERTUTIL);

const STEP_TIMEOUT_MS = 20_000;

/** The TLS 1.3 messages a full handshake's timeline must list (RFC 8446 §2, Figure 1). */
const FULL_HANDSHAKE = [
  'ClientHello',
  'ServerHello',
  'EncryptedExtensions',
  'Certificate',
  'CertificateVerify',
  'Finished',
];

/** What the page shows for its `n`th connection. */
interface Drawn {
  title: string;
  facts: Record<string, string>;
  events: string[];
  certs: { subject: string; issuer: string }[];
}

/** Clicks Connect and waits (bounded) for the page to draw connection `n`. */
async function connect(page: Page, n: number): Promise<Drawn> {
  await page.click('#connect', { timeout: STEP_TIMEOUT_MS });
  const selector = `article[data-connection="${n}"]`;
  await page.waitForSelector(selector, { timeout: STEP_TIMEOUT_MS });
  return page.$eval(selector, (article) => {
    const facts: Record<string, string> = {};
    // The connection's own facts and response (certificate facts are read below).
    for (const node of article.querySelectorAll<HTMLElement>(
      ':scope > dl > dd, .response [data-fact], :scope > .error',
    )) {
      facts[node.dataset.fact ?? ''] = node.textContent ?? '';
    }
    const events = [...article.querySelectorAll<HTMLElement>('.events li')].map(
      (li) => li.dataset.event ?? '',
    );
    const certs = [...article.querySelectorAll('.cert')].map((cert) => ({
      subject: cert.querySelector('[data-fact="Subject"]')?.textContent ?? '',
      issuer: cert.querySelector('[data-fact="Issuer"]')?.textContent ?? '',
    }));
    return { title: article.querySelector('h2')?.textContent ?? '', facts, events, certs };
  });
}

describe.skipIf(!HAVE)('demo page in Chromium: TLS 1.3 over a WebSocket relay', () => {
  let demo: Demo | undefined;
  let browser: Chromium | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    demo = await startDemo({ port: 0 });
    browser = await launchChromium();
    page = await browser.context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(demo.url, { timeout: STEP_TIMEOUT_MS });
    await page.waitForFunction(
      () => document.getElementById('status')?.textContent === 'ready',
      null,
      { timeout: STEP_TIMEOUT_MS },
    );
  });

  afterAll(async () => {
    await browser?.close();
    await demo?.close();
  });

  it('first Connect: a full TLS 1.3 handshake, its timeline, the chain and GET /', async () => {
    const drawn = await connect(page, 1);
    expect(drawn.facts.Error, 'the page reported an error').toBeUndefined();
    expect(drawn.title).toBe('Connection 1: full handshake');

    // The timeline lists every message of a full handshake, in order.
    const positions = FULL_HANDSHAKE.map((name) => drawn.events.indexOf(name));
    expect(positions, `timeline: ${drawn.events.join(', ')}`).not.toContain(-1);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);

    expect(drawn.facts.Protocol).toBe('TLSv1.3');
    expect(drawn.facts['Cipher suite']).toMatch(
      /^TLS_(AES_128_GCM|AES_256_GCM|CHACHA20_POLY1305)_SHA(256|384)$/,
    );
    expect(drawn.facts.Group).not.toBe('unknown');
    expect(drawn.facts.ALPN).toBe('http/1.1');
    expect(drawn.facts.Verification).toBe('OK');
    expect(drawn.facts.Resumed).toBe('no');
    expect(drawn.facts['0-RTT']).toBe('not sent');

    // The server's certificate, issued by this run's CA.
    expect(drawn.certs[0]).toEqual({ subject: 'CN=localhost', issuer: 'CN=webtls demo CA' });

    expect(drawn.facts.Status).toBe('200 OK');
    expect(drawn.facts.Body).toContain('Hello from the webtls demo server.');
    expect(drawn.facts.Body).toContain('Handshake: full');
    expect(drawn.facts.Body).toContain('arrived after the handshake');
  });

  it('second Connect: resumed from the IndexedDB ticket, GET / accepted as 0-RTT', async () => {
    const drawn = await connect(page, 2);
    expect(drawn.facts.Error, 'the page reported an error').toBeUndefined();
    expect(drawn.title).toBe('Connection 2: resumed');
    expect(drawn.facts.Protocol).toBe('TLSv1.3');
    expect(drawn.facts.Resumed).toBe('yes');
    expect(drawn.facts['0-RTT']).toMatch(/^accepted \(\d+ B: GET \/\)$/);

    // A resumed handshake: the PSK ClientHello and no certificate from the server.
    expect(drawn.events).toContain('ClientHello (PSK)');
    expect(drawn.events).toContain('ServerHello');
    expect(drawn.events).toContain('Finished');
    expect(drawn.events).not.toContain('CertificateVerify');

    // The server's own account of the request: it came in the first flight.
    expect(drawn.facts.Status).toBe('200 OK');
    expect(drawn.facts.Body).toContain('Handshake: resumed from a ticket');
    expect(drawn.facts.Body).toContain('arrived in 0-RTT early data');
    expect(pageErrors).toEqual([]);
  });
});
