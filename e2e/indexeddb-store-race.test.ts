/**
 * The single-use proof for IndexedDbSessionStore: two Chromium pages of one origin, in one
 * browser profile so they share its IndexedDB, call take() for the same server name at the same
 * instant. Exactly one of them may get the ticket, byte for byte what was put; the other gets
 * nothing (RFC 8446 §C.4: a ticket is used at most once). The store is bundled from src/ with
 * esbuild into a temporary directory and served from 127.0.0.1; every wait is bounded.
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
import { encodeStoredSession, type StoredSession } from '../src/sessions/stored-session.ts';
import { toHex } from '../src/util/bytes.ts';
import { requirePeer } from '../test/interop/peers/require.ts';
import { CERTUTIL, CHROMIUM, type Chromium, launchChromium, withTimeout } from './chromium.ts';
import type { RacePage, TakeResult } from './indexeddb-race-page.ts';

const HAVE = requirePeer(CHROMIUM, CERTUTIL);

const STEP_TIMEOUT_MS = 10_000;
/** How far ahead of "now" a race is scheduled, so both pages have its start time in hand. */
const START_DELAY_MS = 150;
const ROUNDS = 20;
const BATCH_ROUNDS = 5;
const BATCH_TICKETS = 6;

/** A TLS 1.3 session whose secret and ticket say which round and ticket it is. */
function ticket(round: number, n: number): StoredSession {
  return {
    version: 0x0304,
    cipherSuite: 0x1301,
    secret: new Uint8Array(32).fill(round),
    ticket: new Uint8Array([round, n, ...new Uint8Array(30).fill(0x5a)]),
    receivedAt: Date.now(),
    lifetime: 3600,
    ageAdd: (round << 8) | n,
    maxEarlyData: 0,
    alpn: 'h2',
    extendedMasterSecret: false,
    serverName: 'race.example',
    peerCertificates: [new Uint8Array([0x30, 0x03, 2, 1, n])],
  };
}

/** Serves the page and the bundled store from 127.0.0.1 on a free port. */
async function serve(script: string): Promise<{ server: Server; origin: string }> {
  const html = '<!doctype html><title>race</title><script type="module" src="/race.js"></script>';
  const server = createServer((req, res) => {
    if (req.url === '/race.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return { server, origin: `http://127.0.0.1:${port}` };
}

/** Opens the race page and waits for its store to be ready. */
async function openRacePage(browser: Chromium, origin: string): Promise<Page> {
  const page = await browser.context.newPage();
  await page.goto(`${origin}/`, { timeout: STEP_TIMEOUT_MS });
  await page.waitForFunction(() => 'webtlsRace' in globalThis, null, {
    timeout: STEP_TIMEOUT_MS,
  });
  return page;
}

function put(page: Page, key: string, session: StoredSession): Promise<void> {
  const hex = toHex(encodeStoredSession(session));
  const call = page.evaluate(
    ([k, h]) => (globalThis as unknown as { webtlsRace: RacePage }).webtlsRace.put(k, h),
    [key, hex] as const,
  );
  return withTimeout(call, STEP_TIMEOUT_MS, 'put');
}

/** Starts `count` takes in each page at one shared instant; resolves with each page's results. */
function race(pages: Page[], key: string, count: number): Promise<TakeResult[][]> {
  const startAt = Date.now() + START_DELAY_MS;
  const calls = pages.map((page) =>
    page.evaluate(
      ([k, at, n]) =>
        (globalThis as unknown as { webtlsRace: RacePage }).webtlsRace.takeAt(k, at, n),
      [key, startAt, count] as const,
    ),
  );
  return withTimeout(Promise.all(calls), STEP_TIMEOUT_MS, 'race');
}

/** Whether two takes were in flight at the same time. */
function overlapped(a: TakeResult, b: TakeResult): boolean {
  return Math.max(a.start, b.start) < Math.min(a.end, b.end);
}

describe.skipIf(!HAVE)('IndexedDbSessionStore: two Chromium pages race for tickets', () => {
  let dir: string;
  let server: Server | undefined;
  let browser: Chromium | undefined;
  let pages: Page[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'webtls-idb-race-'));
    const outfile = join(dir, 'race.js');
    await build({
      entryPoints: [fileURLToPath(new URL('./indexeddb-race-page.ts', import.meta.url))],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      outfile,
      logLevel: 'silent',
    });
    let origin: string;
    ({ server, origin } = await serve(readFileSync(outfile, 'utf8')));
    browser = await launchChromium();
    pages = [await openRacePage(browser, origin), await openRacePage(browser, origin)];
  });

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(`one ticket, two pages taking at once: exactly one gets it (${ROUNDS} rounds)`, async () => {
    const key = 'race.example';
    let overlapping = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const session = ticket(round, 0);
      const expected = toHex(encodeStoredSession(session));
      // Alternate which page puts, so neither is favoured by holding a warm connection.
      await put(pages[round % 2], key, session);

      const [[a], [b]] = await race(pages, key, 1);
      const winners = [a, b].filter((r) => r.session !== null);
      expect(winners.length, `round ${round}: pages that got the ticket`).toBe(1);
      expect(winners[0].session, `round ${round}`).toBe(expected);
      if (overlapped(a, b)) overlapping++;

      // The ticket is gone for both.
      const [[after]] = await race([pages[0]], key, 1);
      expect(after.session, `round ${round}: left in the store`).toBeNull();
    }
    // The point is a real race: the two take() calls were in flight together in most rounds.
    expect(overlapping, 'rounds in which the two takes overlapped').toBeGreaterThan(ROUNDS / 2);
  }, 120_000);

  it(`${BATCH_TICKETS} tickets, ${2 * BATCH_TICKETS} takes over two pages: each once`, async () => {
    const key = 'batch.example';
    for (let round = 1; round <= BATCH_ROUNDS; round++) {
      const put_: string[] = [];
      for (let n = 1; n <= BATCH_TICKETS; n++) {
        const session = ticket(100 + round, n);
        put_.push(toHex(encodeStoredSession(session)));
        await put(pages[n % 2], key, session);
      }

      const results = (await race(pages, key, BATCH_TICKETS)).flat();
      expect(results.length).toBe(2 * BATCH_TICKETS);
      const got = results.map((r) => r.session).filter((s): s is string => s !== null);
      expect(got.length, `round ${round}: sessions handed out`).toBe(BATCH_TICKETS);
      expect(new Set(got).size, `round ${round}: distinct sessions`).toBe(BATCH_TICKETS);
      expect([...got].sort(), `round ${round}`).toEqual([...put_].sort());
    }
  }, 120_000);
});
